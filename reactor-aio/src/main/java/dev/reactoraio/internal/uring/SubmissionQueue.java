package dev.reactoraio.internal.uring;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The submission side of a ring: the SQ ring (head, tail, mask, index array) shared with the kernel,
 * and the SQE array. Only the loop thread touches it.
 * <p>
 * The kernel moves {@code head} as it consumes entries (read with acquire, {@link #lvHead}); we move
 * {@code tail} after filling entries (stored with release, {@link #soTail}), which publishes the SQE
 * contents to the kernel. The index array is filled once with the identity mapping, so entry
 * {@code tail & mask} is always the SQE of the same index.
 * <pre>{@code
 * struct io_uring_sqe {                 // 64 bytes
 *     __u8    opcode;                   //  0
 *     __u8    flags;                    //  1  IOSQE_*
 *     __u16   ioprio;                   //  2
 *     __s32   fd;                       //  4
 *     union { __u64 off; __u64 addr2; };                //  8  file offset; statx buffer
 *     union { __u64 addr; __u64 splice_off_in; };       // 16  buffer, path, or user_data to cancel
 *     __u32   len;                      // 24  bytes; open mode; statx mask; fallocate mode
 *     union { __kernel_rwf_t rw_flags; __u32 fsync_flags; __u32 open_flags;
 *             __u32 statx_flags; __u32 cancel_flags; __u32 unlink_flags; ... };   // 28
 *     __u64   user_data;                // 32  echoed in the CQE
 *     union { __u16 buf_index; __u16 buf_group; };      // 40
 *     __u16   personality;              // 42
 *     union { __s32 splice_fd_in; __u32 file_index; };  // 44
 *     __u64   addr3;                    // 48
 *     __u64   __pad2[1];                // 56
 * };
 * }</pre>
 */
final class SubmissionQueue {

	static final int SQE_SIZE = 64;
	private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

	private final ByteBuffer ring;
	private final ByteBuffer sqes;
	private final int headOffset;
	private final int tailOffset;
	private final int mask;
	final int entries;
	private int tail;
	private int submittedTail;

	SubmissionQueue(ByteBuffer ring, ByteBuffer sqes, int headOffset, int tailOffset, int maskOffset,
			int entriesOffset, int arrayOffset) {
		this.ring = ring;
		this.sqes = sqes;
		this.headOffset = headOffset;
		this.tailOffset = tailOffset;
		this.mask = ring.getInt(maskOffset);
		this.entries = ring.getInt(entriesOffset);
		this.tail = (int) INT.getAcquire(ring, tailOffset);
		this.submittedTail = tail;
		for (int i = 0; i < entries; i++) {
			ring.putInt(arrayOffset + i * 4, i);
		}
	}

	private int lvHead() {
		return (int) INT.getAcquire(ring, headOffset);
	}

	private void soTail(int value) {
		INT.setRelease(ring, tailOffset, value);
	}

	/** True when no free entry is left until the kernel consumes some. */
	boolean isFull() {
		return tail - lvHead() == entries;
	}

	/** Entries free for filling. */
	int free() {
		return entries - (tail - lvHead());
	}

	/**
	 * Fills the next SQE. Returns false (flow control, not an error) when the queue is full: the caller
	 * submits what is queued and tries again.
	 */
	boolean enqueue(byte opcode, int fd, long off, long addr, int len, int opFlags, long userData) {
		return enqueue(opcode, (byte) 0, fd, off, addr, len, opFlags, userData, 0);
	}

	/**
	 * As {@link #enqueue(byte, int, long, long, int, int, long)}, with the SQE's {@code IOSQE_*} flags (a link
	 * to the next entry, a fixed file) and its {@code file_index} (a direct descriptor slot + 1, or 0).
	 */
	boolean enqueue(byte opcode, byte sqeFlags, int fd, long off, long addr, int len, int opFlags, long userData,
			int fileIndex) {
		if (isFull()) {
			return false;
		}
		int base = (tail & mask) * SQE_SIZE;
		ByteBuffer s = sqes;
		s.putLong(base, 0L);
		s.put(base, opcode);
		s.put(base + 1, sqeFlags);
		s.putInt(base + 4, fd);
		s.putLong(base + 8, off);
		s.putLong(base + 16, addr);
		s.putInt(base + 24, len);
		s.putInt(base + 28, opFlags);
		s.putLong(base + 32, userData);
		s.putLong(base + 40, 0L);
		s.putInt(base + 44, fileIndex);
		s.putLong(base + 48, 0L);
		s.putLong(base + 56, 0L);
		tail++;
		return true;
	}

	/** Publishes the filled entries and returns how many the kernel has not consumed yet. */
	int flush() {
		if (tail != submittedTail) {
			soTail(tail);
			submittedTail = tail;
		}
		return tail - lvHead();
	}
}
