package dev.reactoraio.internal.uring;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The completion side of a ring. The kernel moves {@code tail} as it posts CQEs (read with acquire,
 * {@link #lvTail}); we move {@code head} after reading an entry (stored with release, {@link #soHead}),
 * which hands the slot back to the kernel.
 * <pre>{@code
 * struct io_uring_cqe {      // 16 bytes
 *     __u64 user_data;       //  0
 *     __s32 res;             //  8  result or -errno
 *     __u32 flags;           // 12  IORING_CQE_F_*
 * };
 * }</pre>
 */
final class CompletionQueue {

	interface Handler {
		void handle(long userData, int res);
	}

	private static final int CQE_SIZE = 16;
	private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

	private final ByteBuffer ring;
	private final int headOffset;
	private final int tailOffset;
	private final int cqesOffset;
	private final int mask;
	final int entries;
	private int head;

	CompletionQueue(ByteBuffer ring, int headOffset, int tailOffset, int maskOffset, int entriesOffset,
			int cqesOffset) {
		this.ring = ring;
		this.headOffset = headOffset;
		this.tailOffset = tailOffset;
		this.cqesOffset = cqesOffset;
		this.mask = ring.getInt(maskOffset);
		this.entries = ring.getInt(entriesOffset);
		this.head = (int) INT.getAcquire(ring, headOffset);
	}

	private int lvTail() {
		return (int) INT.getAcquire(ring, tailOffset);
	}

	private void soHead(int value) {
		INT.setRelease(ring, headOffset, value);
	}

	boolean isEmpty() {
		return head == lvTail();
	}

	/**
	 * Hands the posted CQEs to {@code handler}, returning each slot to the kernel before the handler runs:
	 * those posted before the call and those posted while it runs, up to one queue's worth ({@link #entries}).
	 * The bound is what lets the loop's tasks (a close, a cancel, a new subscriber) run: a handler that
	 * submits new work (the loop does every few completions) gets page-cached reads completed inside that
	 * submission, and without a bound a reader that issues its next read from each completion would keep
	 * this call going for ever. What is left is handed over on the next call.
	 */
	int drain(Handler handler) {
		int count = 0;
		int tail = lvTail();
		while (head != tail && count < entries) {
			int base = cqesOffset + (head & mask) * CQE_SIZE;
			long userData = ring.getLong(base);
			int res = ring.getInt(base + 8);
			soHead(++head);
			handler.handle(userData, res);
			count++;
			if (head == tail) {
				tail = lvTail();
			}
		}
		return count;
	}
}
