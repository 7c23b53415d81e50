package dev.reactoraio.internal.uring;

import java.nio.ByteBuffer;

import dev.reactoraio.AioIOException;
import dev.reactoraio.internal.jnr.Errno;
import dev.reactoraio.internal.jnr.Native;

/**
 * One io_uring instance: the ring descriptor and its three mappings.
 * <pre>{@code
 * struct io_uring_params {             // 120 bytes
 *     __u32 sq_entries;                //   0
 *     __u32 cq_entries;                //   4
 *     __u32 flags;                     //   8
 *     __u32 sq_thread_cpu;             //  12
 *     __u32 sq_thread_idle;            //  16
 *     __u32 features;                  //  20
 *     __u32 wq_fd;                     //  24
 *     __u32 resv[3];                   //  28
 *     struct io_sqring_offsets sq_off; //  40: head, tail, ring_mask, ring_entries, flags, dropped, array, resv1, user_addr(u64)
 *     struct io_cqring_offsets cq_off; //  80: head, tail, ring_mask, ring_entries, overflow, cqes, flags, resv1, user_addr(u64)
 * };
 * }</pre>
 */
final class Ring {

	private static final int PARAMS_SIZE = 120;
	private static final int SQ_OFF = 40;
	private static final int CQ_OFF = 80;
	/** The smallest ring worth creating when the kernel answers ENOMEM. */
	static final int MIN_ENTRIES = 8;

	final int fd;
	final int flags;
	final int features;
	final SubmissionQueue sq;
	final CompletionQueue cq;
	private final long ringAddress;
	private final long ringSize;
	private final long cqRingAddress;
	private final long cqRingSize;
	private final long sqesAddress;
	private final long sqesSize;
	private boolean closed;
	/** The ring's index among the calling thread's registered rings, or -1: enter by descriptor. */
	private int registeredIndex = -1;

	private Ring(int fd, int flags, long params) {
		this.fd = fd;
		this.flags = flags;
		this.features = Native.getInt(params + 20);
		int sqEntries = Native.getInt(params);
		int cqEntries = Native.getInt(params + 4);
		int sqArray = Native.getInt(params + SQ_OFF + 24);
		int cqes = Native.getInt(params + CQ_OFF + 20);
		long sqRingSize = sqArray + 4L * sqEntries;
		long cqSize = cqes + 16L * cqEntries;
		boolean single = (features & Uring.IORING_FEAT_SINGLE_MMAP) != 0;
		long mapped = 0;
		long cqMapped = 0;
		long sqesMapped = 0;
		try {
			long size = single ? Math.max(sqRingSize, cqSize) : sqRingSize;
			mapped = map(fd, size, Uring.IORING_OFF_SQ_RING);
			this.ringAddress = mapped;
			this.ringSize = size;
			if (single) {
				cqMapped = mapped;
				this.cqRingSize = 0;
			}
			else {
				cqMapped = map(fd, cqSize, Uring.IORING_OFF_CQ_RING);
				this.cqRingSize = cqSize;
			}
			this.cqRingAddress = cqMapped;
			this.sqesSize = (long) SubmissionQueue.SQE_SIZE * sqEntries;
			sqesMapped = map(fd, sqesSize, Uring.IORING_OFF_SQES);
			this.sqesAddress = sqesMapped;
		}
		catch (RuntimeException e) {
			if (sqesMapped > 0) {
				Native.munmap(sqesMapped, (long) SubmissionQueue.SQE_SIZE * sqEntries);
			}
			if (cqMapped > 0 && !single) {
				Native.munmap(cqMapped, cqSize);
			}
			if (mapped > 0) {
				Native.munmap(mapped, single ? Math.max(sqRingSize, cqSize) : sqRingSize);
			}
			Native.close(fd);
			throw e;
		}
		ByteBuffer sqRing = Native.view(ringAddress, (int) ringSize);
		ByteBuffer cqRing = single ? sqRing : Native.view(cqRingAddress, (int) cqRingSize);
		this.sq = new SubmissionQueue(sqRing, Native.view(sqesAddress, (int) sqesSize),
				Native.getInt(params + SQ_OFF), Native.getInt(params + SQ_OFF + 4), Native.getInt(params + SQ_OFF + 8),
				Native.getInt(params + SQ_OFF + 12), sqArray);
		this.cq = new CompletionQueue(cqRing, Native.getInt(params + CQ_OFF), Native.getInt(params + CQ_OFF + 4),
				Native.getInt(params + CQ_OFF + 8), Native.getInt(params + CQ_OFF + 12), cqes);
	}

	private static long map(int fd, long size, long offset) {
		long address = Native.mmap(size, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED | Native.MAP_POPULATE,
				fd, offset);
		if (address < 0) {
			throw new IllegalStateException(new AioIOException((int) -address, "mmap of io_uring", ""));
		}
		return address;
	}

	/**
	 * Creates a ring of {@code entries} SQEs and twice as many CQEs with the first flag set of
	 * {@code ladder} the kernel accepts. EINVAL moves down the ladder; ENOMEM halves the ring (down to
	 * {@link #MIN_ENTRIES}); any other errno ends the attempt.
	 *
	 * @throws SetupException with the errno of the last attempt
	 */
	static Ring create(int entries, int[] ladder) throws SetupException {
		long params = Native.allocate(PARAMS_SIZE);
		try {
			int lastErrno = Errno.EINVAL;
			int lastFlags = 0;
			for (int flags : ladder) {
				int size = entries;
				while (true) {
					for (int i = 0; i < PARAMS_SIZE; i += 8) {
						Native.putLong(params + i, 0);
					}
					Native.putInt(params + 8, flags);
					if ((flags & Uring.IORING_SETUP_CQSIZE) != 0) {
						Native.putInt(params + 4, size * 2);
					}
					int fd = Native.ioUringSetup(size, params);
					if (fd >= 0) {
						return new Ring(fd, flags, params);
					}
					lastErrno = -fd;
					lastFlags = flags;
					if (lastErrno == Errno.ENOMEM && size > MIN_ENTRIES) {
						size /= 2;
						continue;
					}
					break;
				}
				if (lastErrno != Errno.EINVAL) {
					break;
				}
			}
			throw new SetupException(lastErrno, lastFlags);
		}
		finally {
			Native.free(params);
		}
	}

	int register(int opcode, long arg, int nrArgs) {
		return Native.ioUringRegister(fd, opcode, arg, nrArgs);
	}

	int enter(int toSubmit, int minComplete, int enterFlags) {
		int index = registeredIndex;
		return index < 0 ? Native.ioUringEnter(fd, toSubmit, minComplete, enterFlags)
				: Native.ioUringEnter(index, toSubmit, minComplete, enterFlags | Uring.IORING_ENTER_REGISTERED_RING);
	}

	/**
	 * Registers the ring's descriptor with the calling thread (IORING_REGISTER_RING_FDS, 5.18), so that its
	 * {@link #enter}s skip the descriptor lookup; only that thread may enter the ring from then on. Returns
	 * null, or why the kernel refused (the ring is then entered by its descriptor, as before).
	 */
	String registerWithThisThread() {
		long update = Native.allocate(16); // struct io_uring_rsrc_update { u32 offset, resv; u64 data; }
		try {
			Native.putInt(update, -1); // any free index
			Native.putInt(update + 4, 0);
			Native.putLong(update + 8, fd);
			int r = register(Uring.IORING_REGISTER_RING_FDS, update, 1);
			if (r != 1) {
				return "IORING_REGISTER_RING_FDS: " + (r < 0 ? Errno.describe(-r) : "registered " + r);
			}
			registeredIndex = Native.getInt(update);
			return null;
		}
		finally {
			Native.free(update);
		}
	}

	/** Whether {@link #enter} goes by the thread's registered index. */
	boolean registeredWithThread() {
		return registeredIndex >= 0;
	}

	int sqEntries() {
		return sq.entries;
	}

	int cqEntries() {
		return cq.entries;
	}

	/** Closes the ring: the kernel cancels what is left. Call only once nothing is in flight. */
	void close() {
		if (closed) {
			return;
		}
		closed = true;
		if (registeredIndex >= 0) {
			// the registration holds a reference of its own; on another thread this fails and thread exit
			// drops it instead
			long update = Native.allocate(16);
			Native.putInt(update, registeredIndex);
			Native.putInt(update + 4, 0);
			Native.putLong(update + 8, 0);
			Native.ioUringRegister(fd, Uring.IORING_UNREGISTER_RING_FDS, update, 1);
			Native.free(update);
			registeredIndex = -1;
		}
		Native.munmap(sqesAddress, sqesSize);
		if (cqRingSize > 0) {
			Native.munmap(cqRingAddress, cqRingSize);
		}
		Native.munmap(ringAddress, ringSize);
		Native.close(fd);
	}

	/** io_uring_setup failed with {@code errno} for every flag set tried. */
	static final class SetupException extends Exception {
		private static final long serialVersionUID = 1L;
		final int errno;
		final int flags;

		SetupException(int errno, int flags) {
			super("io_uring_setup: " + Errno.describe(errno) + " (flags " + Uring.setupFlagNames(flags) + ")", null,
					false, false);
			this.errno = errno;
			this.flags = flags;
		}
	}
}
