package dev.reactoraio.internal.uring;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.locks.LockSupport;

import dev.reactoraio.internal.core.BlockingPool;
import dev.reactoraio.internal.core.IoRequest;
import dev.reactoraio.internal.core.NativeLoop;
import dev.reactoraio.internal.core.WakeupFd;
import dev.reactoraio.internal.jnr.Errno;
import dev.reactoraio.internal.jnr.Native;
import org.jspecify.annotations.Nullable;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The io_uring engine: one ring, owned by the loop thread, which creates it (so SINGLE_ISSUER and
 * DEFER_TASKRUN hold), fills SQEs, enters the kernel once per turn and reaps CQEs.
 * <p>
 * <b>Capacity.</b> The CQ has {@code 2 × entries} slots. One is kept for the eventfd read that wakes
 * the loop, a sixteenth for ASYNC_CANCEL requests, and the rest is the loop's capacity: with no more
 * than that in flight, the CQ cannot overflow, whatever the load.
 * <p>
 * <b>Wake-up.</b> An IORING_OP_READ of an eventfd is always armed before the loop blocks in
 * {@code io_uring_enter(GETEVENTS, min_complete=1)}; another thread that hands over work writes the
 * eventfd, which completes that read. This works on every kernel, with no EXT_ARG timeout (5.11).
 */
public final class UringLoop extends NativeLoop {

	private static final Logger log = Loggers.getLogger(UringLoop.class);

	private static final long EVENTFD_TOKEN = -1L;
	private static final long CANCEL_TOKEN = -2L;
	private static final long PROBE_TOKEN = -3L;

	/**
	 * The most direct descriptors a ring registers: the table counts against RLIMIT_NOFILE (EMFILE past
	 * it), and a chain that finds every slot held falls back to the separate operations.
	 */
	private static final int MAX_DIRECT = 4096;

	/** What the last ring set up found about whole-file chains: "yes", "no (why)", or null before any. */
	private static volatile @Nullable String chainsVerdict;
	/** The same for the ring descriptor's registration with the loop thread. */
	private static volatile @Nullable String ringFdVerdict;

	private final UringProbe probe;
	private final int requestedEntries;
	private final int iowqBoundedWorkers;
	private final boolean deferTaskrun;
	private Ring ring;
	private WakeupFd wakeup;
	private long eventBuffer;
	private boolean eventArmed;
	private int cancelsInFlight;
	private int cancelReserve;
	private final ArrayDeque<IoRequest> overflow = new ArrayDeque<>();
	/** Chains that found no free direct descriptor, to complete (unissued) at the start of the next turn. */
	private final ArrayDeque<IoRequest> slotless = new ArrayDeque<>();
	private final CompletionQueue.Handler onCqe = this::onCqe;
	private int lastEnterErrno;
	/** Free slots of the registered (direct descriptor) file table; empty when the kernel has none. */
	private int[] freeDirect = new int[0];
	private int freeDirectTop;
	/** Why whole-file chains are not used on this ring, or null when they are. */
	private @Nullable String chainsUnavailable = "not probed";
	/** Why the ring descriptor is not registered with the loop thread, or null when it is. */
	private @Nullable String ringRegistration = "not tried";

	public UringLoop(String name, BlockingPool blockingPool, UringProbe probe, int entries, int iowqBoundedWorkers,
			boolean deferTaskrun) {
		super(name, blockingPool);
		this.probe = probe;
		this.requestedEntries = entries;
		this.iowqBoundedWorkers = iowqBoundedWorkers;
		this.deferTaskrun = deferTaskrun;
	}

	@Override
	protected int init() throws Exception {
		try {
			ring = Ring.create(requestedEntries, probe.ladder(deferTaskrun));
		}
		catch (Ring.SetupException e) {
			throw new IllegalStateException(UringProbe.explainSetupFailure(e.errno));
		}
		try {
			if (iowqBoundedWorkers > 0 && probe.canLimitWorkers()) {
				long workers = Native.allocate(8);
				Native.putInt(workers, iowqBoundedWorkers);
				ring.register(Uring.IORING_REGISTER_IOWQ_MAX_WORKERS, workers, 2);
				Native.free(workers);
			}
			wakeup = new WakeupFd();
			eventBuffer = Native.allocate(8);
		}
		catch (RuntimeException | Error e) {
			// a half-made engine (eventfd refused with EMFILE, say) leaves nothing behind
			ring.close();
			if (wakeup != null) {
				wakeup.close();
			}
			throw e;
		}
		ringRegistration = ring.registerWithThisThread();
		ringFdVerdict = ringRegistration == null ? "yes" : "no (" + ringRegistration + ")";
		int cq = ring.cqEntries();
		cancelReserve = Math.max(1, cq / 16);
		int capacity = cq - 1 - cancelReserve;
		// a direct descriptor outlives its chain (the file is read on, then closed): room for every unit of
		// capacity, and a chain that finds none free anyway is not issued (IoRequest.NO_DIRECT_SLOT)
		setUpDirectFiles(Math.min(capacity + 1, MAX_DIRECT));
		return capacity;
	}

	/**
	 * Registers a sparse table of {@code size} files and tries one openat into it and one close of it, so
	 * that whole-file chains (open into a direct descriptor, read, close: one submission) are used only
	 * where this kernel does them. Any failure leaves them off, with the reason for {@link #describe()}.
	 */
	private void setUpDirectFiles(int size) {
		if (!probe.supports(Uring.IORING_OP_OPENAT) || !probe.supports(Uring.IORING_OP_CLOSE)) {
			chainsUnavailable = "no IORING_OP_OPENAT/CLOSE";
			return;
		}
		long table = Native.allocate(4L * size);
		try {
			for (int i = 0; i < size; i++) {
				Native.putInt(table + 4L * i, -1);
			}
			int r = ring.register(Uring.IORING_REGISTER_FILES, table, size);
			if (r < 0) {
				chainsUnavailable = "IORING_REGISTER_FILES: " + Errno.describe(-r);
				return;
			}
		}
		finally {
			Native.free(table);
		}
		String refused = probeChain(size);
		chainsVerdict = refused == null ? "yes" : "no (" + refused + ")";
		if (refused != null) {
			chainsUnavailable = refused;
			ring.register(Uring.IORING_UNREGISTER_FILES, 0, 0);
			return;
		}
		freeDirect = new int[size];
		for (int i = 0; i < size; i++) {
			freeDirect[i] = size - 1 - i;
		}
		freeDirectTop = size;
		chainsUnavailable = null;
	}

	/**
	 * At setup, before the loop runs: the chain whole-file reads use, on {@code /dev/null}, waited for. Null
	 * when every step did what it should, else why chains stay off. Two kernel generations fail it: before
	 * 5.15 openat ignores {@code file_index} and installs an ordinary descriptor (perhaps number 0, in a
	 * process without stdin), so a slot past the table is asked for first, which only a kernel reading the
	 * field refuses; before 5.18 (and in stable kernels carrying that io_uring, Debian's 5.10 among them) a
	 * linked request's fixed file is looked up when the chain is submitted, while its slot is still empty,
	 * and the whole chain is cancelled.
	 */
	private String probeChain(int size) {
		long memory = Native.allocate(16);
		try {
			Native.putLong(memory, 0x6c756e2f7665642fL); // "/dev/nul"
			Native.putLong(memory + 8, 'l');
			int[] results = new int[3];
			int outside = probe(results, new byte[] {Uring.IORING_OP_OPENAT}, new byte[] {0},
					new long[] {memory}, new int[] {size + 1});
			if (outside != 0) {
				return "probe: " + Errno.describe(-outside);
			}
			if (results[0] >= 0) {
				Native.close(results[0]);
				return "openat ignores file_index (direct descriptors need 5.15)";
			}
			int r = probe(results,
					new byte[] {Uring.IORING_OP_OPENAT, Uring.IORING_OP_READ, Uring.IORING_OP_CLOSE},
					new byte[] {Uring.IOSQE_IO_LINK, (byte) (Uring.IOSQE_FIXED_FILE | Uring.IOSQE_IO_HARDLINK), 0},
					new long[] {memory, memory, 0}, new int[] {1, 0, 1});
			if (r != 0) {
				return "probe: " + Errno.describe(-r);
			}
			if (results[0] != 0 || results[1] != 0 || results[2] != 0) {
				return "open, read, close of a direct descriptor in one chain gave " + results[0] + ", " + results[1]
						+ ", " + results[2] + " (needs 5.18)";
			}
			return null;
		}
		finally {
			Native.free(memory);
		}
	}

	/**
	 * Submits the given SQEs (step {@code i} with token {@code PROBE_TOKEN - i}; an OPENAT's address is the
	 * path, a READ's a one-byte buffer with slot 0 as its fixed file, a CLOSE's descriptor is its slot) and waits for their results; 0, or a
	 * negative errno when the ring could not do it.
	 */
	private int probe(int[] results, byte[] opcodes, byte[] flags, long[] addresses, int[] fileIndexes) {
		if (ring.sq.free() < opcodes.length) {
			return -Errno.EBUSY;
		}
		for (int i = 0; i < opcodes.length; i++) {
			results[i] = -Errno.ETIMEDOUT;
			boolean open = opcodes[i] == Uring.IORING_OP_OPENAT;
			ring.sq.enqueue(opcodes[i], flags[i], open ? Native.AT_FDCWD : 0, 0, addresses[i],
					opcodes[i] == Uring.IORING_OP_READ ? 1 : 0, open ? Native.O_RDONLY : 0, PROBE_TOKEN - i,
					fileIndexes[i]);
		}
		int[] pending = {opcodes.length};
		for (int attempt = 0; attempt < 100 && pending[0] > 0; attempt++) {
			int r = ring.enter(ring.sq.flush(), 1, Uring.IORING_ENTER_GETEVENTS);
			if (r < 0 && r != -Errno.EINTR) {
				return r;
			}
			ring.cq.drain((userData, res) -> {
				int step = (int) (PROBE_TOKEN - userData);
				if (step >= 0 && step < opcodes.length) {
					results[step] = res;
					pending[0]--;
				}
			});
		}
		return pending[0] == 0 ? 0 : -Errno.ETIMEDOUT;
	}

	/**
	 * Whether the rings of this process use whole-file chains, as the last one set up found: "yes", "no"
	 * with the reason, or null when no ring has been set up yet.
	 */
	public static @Nullable String wholeFileChainsVerdict() {
		return chainsVerdict;
	}

	/** Whether the last ring set up is entered through a registered ring descriptor: as {@link #wholeFileChainsVerdict()}. */
	public static @Nullable String registeredRingVerdict() {
		return ringFdVerdict;
	}

	@Override
	protected boolean asyncOpenAndRead() {
		return probe.supports(Uring.IORING_OP_OPENAT) && probe.supports(Uring.IORING_OP_READ);
	}

	@Override
	public boolean wholeFileChains() {
		return chainsUnavailable == null && capacity() >= IoRequest.OPEN_READ_STEPS;
	}

	@Override
	public boolean headChains() {
		return wholeFileChains() && probe.supports(Uring.IORING_OP_FIXED_FD_INSTALL);
	}

	@Override
	public String describe() {
		Ring r = ring;
		return r == null ? "io_uring (not started)"
				: "io_uring fd=" + r.fd + " sq=" + r.sqEntries() + " cq=" + r.cqEntries() + " flags="
						+ Uring.setupFlagNames(r.flags) + " capacity=" + capacity() + " whole-file chains="
						+ (chainsUnavailable == null ? "yes (" + freeDirect.length + " direct descriptors)"
								: "no (" + chainsUnavailable + ")")
						+ " head reads=" + (headChains() ? "yes" : "no")
						+ " registered ring fd=" + (ringRegistration == null ? "yes" : "no (" + ringRegistration + ")");
	}

	/** The setup flags the ring was created with. */
	public int ringFlags() {
		return ring.flags;
	}

	@Override
	protected void issue(IoRequest request) {
		if (request.op == IoRequest.OPEN_READ) {
			if (freeDirectTop == 0 && request.directSlot < 0) {
				// every direct descriptor is held by a file still being read or closed (reads and closes
				// waiting for capacity hold theirs too): the issuer opens it the ordinary way instead, told
				// on the next turn, not from inside this start (whose caller may be starting the next one)
				request.flags = IoRequest.NO_DIRECT_SLOT;
				slotless.add(request);
				return;
			}
			if (request.directSlot < 0) {
				request.directSlot = freeDirect[--freeDirectTop];
				directOpened(1);
			}
			if (!overflow.isEmpty() || !enqueueChain(request)) {
				overflow.add(request);
			}
			return;
		}
		byte opcode = opcodeOf(request.op);
		if (!probe.supports(opcode)) {
			offload(request, NativeLoop::performBlocking);
			return;
		}
		if (!overflow.isEmpty() || !enqueue(request, opcode)) {
			overflow.add(request);
		}
	}

	private static byte opcodeOf(byte op) {
		switch (op) {
			case IoRequest.READ: return Uring.IORING_OP_READ;
			case IoRequest.WRITE: return Uring.IORING_OP_WRITE;
			case IoRequest.FSYNC: return Uring.IORING_OP_FSYNC;
			case IoRequest.OPEN: return Uring.IORING_OP_OPENAT;
			case IoRequest.CLOSE: return Uring.IORING_OP_CLOSE;
			case IoRequest.STATX: return Uring.IORING_OP_STATX;
			case IoRequest.FTRUNCATE: return Uring.IORING_OP_FTRUNCATE;
			case IoRequest.FALLOCATE: return Uring.IORING_OP_FALLOCATE;
			case IoRequest.UNLINK: return Uring.IORING_OP_UNLINKAT;
			case IoRequest.READV: return Uring.IORING_OP_READV;
			case IoRequest.WRITEV: return Uring.IORING_OP_WRITEV;
			case IoRequest.INSTALL: return Uring.IORING_OP_FIXED_FD_INSTALL;
			default: throw new IllegalArgumentException("unknown op " + op);
		}
	}

	/** Fills an SQE for {@code request}; false when the SQ stays full even after submitting. */
	private boolean enqueue(IoRequest request, byte opcode) {
		if (ring.sq.isFull()) {
			submitQueued();
		}
		long token = token(request);
		int fd = fdOf(request);
		switch (request.op) {
			case IoRequest.READ:
				if (request.file == null && request.directSlot >= 0) {
					return ring.sq.enqueue(opcode, Uring.IOSQE_FIXED_FILE, request.directSlot, request.offset,
							addressOf(request), request.length, 0, token, 0);
				}
				return ring.sq.enqueue(opcode, request.async ? Uring.IOSQE_ASYNC : 0, fd, request.offset,
						addressOf(request), request.length, 0, token, 0);
			case IoRequest.WRITE:
			case IoRequest.READV:
			case IoRequest.WRITEV:
				return ring.sq.enqueue(opcode, request.async ? Uring.IOSQE_ASYNC : 0, fd, request.offset,
						addressOf(request), request.length, 0, token, 0);
			case IoRequest.FSYNC:
				return ring.sq.enqueue(opcode, fd, 0, 0, 0,
						request.flags == IoRequest.FSYNC_DATASYNC ? Uring.IORING_FSYNC_DATASYNC : 0, token);
			case IoRequest.OPEN:
				return ring.sq.enqueue(opcode, Native.AT_FDCWD, 0, addressOf(request), request.length,
						(int) request.offset, token);
			case IoRequest.CLOSE:
				if (request.file == null && request.directSlot >= 0) {
					return ring.sq.enqueue(opcode, (byte) 0, 0, 0, 0, 0, 0, token, request.directSlot + 1);
				}
				return ring.sq.enqueue(opcode, fd, 0, 0, 0, 0, token);
			case IoRequest.STATX:
				return ring.sq.enqueue(opcode, fd, addressOf(request), emptyPath(), request.length,
						Native.AT_EMPTY_PATH, token);
			case IoRequest.FTRUNCATE:
				return ring.sq.enqueue(opcode, fd, request.offset, 0, 0, 0, token);
			case IoRequest.FALLOCATE:
				return ring.sq.enqueue(opcode, fd, request.offset, request.offset2, request.flags, 0, token);
			case IoRequest.UNLINK:
				return ring.sq.enqueue(opcode, Native.AT_FDCWD, 0, addressOf(request), 0, 0, token);
			case IoRequest.INSTALL:
				// install_fd_flags 0: the new descriptor is close-on-exec
				return ring.sq.enqueue(opcode, Uring.IOSQE_FIXED_FILE, request.directSlot, 0, 0, 0, 0, token, 0);
			default:
				throw new IllegalArgumentException("unknown op " + request.op);
		}
	}

	/**
	 * The three SQEs of an {@link IoRequest#OPEN_READ}, all or none: openat into its direct descriptor
	 * slot, linked (only if it opened) to a read of the slot at its file position, hard-linked (whatever
	 * that read did) to a read of a few bytes more, also at the file position, that does not wait.
	 * Offset -1 is the file position for io_uring, so the second read starts where the first ended.
	 */
	private boolean enqueueChain(IoRequest request) {
		if (ring.sq.free() < IoRequest.OPEN_READ_STEPS) {
			submitQueued();
			if (ring.sq.free() < IoRequest.OPEN_READ_STEPS) {
				return false;
			}
		}
		int slot = request.directSlot;
		long base = addressOf(request);
		SubmissionQueue sq = ring.sq;
		// a direct descriptor is no descriptor of the process: O_CLOEXEC has no meaning there (EINVAL)
		sq.enqueue(Uring.IORING_OP_OPENAT, Uring.IOSQE_IO_LINK, Native.AT_FDCWD, 0, base, 0,
				(int) request.offset & ~Native.O_CLOEXEC, token(request, 0), slot + 1);
		sq.enqueue(Uring.IORING_OP_READ, (byte) (Uring.IOSQE_FIXED_FILE | Uring.IOSQE_IO_HARDLINK), slot, -1L,
				base + IoRequest.DATA_OFFSET, request.length, 0, token(request, 1), 0);
		// RWF_NOWAIT: at the end of a file it reads nothing at once; a pipe whose writer is between pieces
		// answers EAGAIN instead of holding the bytes already read until the writer writes again
		sq.enqueue(Uring.IORING_OP_READ, Uring.IOSQE_FIXED_FILE, slot, -1L, base + IoRequest.PROBE_OFFSET,
				IoRequest.PROBE_BYTES, Uring.RWF_NOWAIT, token(request, 2), 0);
		return true;
	}

	/**
	 * A direct descriptor slot is free again when nothing was opened into it (the chain's open failed or
	 * was cancelled) or when the CLOSE of it completed; a chain that opened hands the slot to its issuer.
	 */
	@Override
	protected void retired(IoRequest request) {
		if (request.directSlot < 0 || request.flags == IoRequest.NO_DIRECT_SLOT) {
			return;
		}
		long[] results = request.results;
		boolean closed = request.op == IoRequest.CLOSE && request.file == null;
		if (closed || request.op == IoRequest.OPEN_READ && results != null && results[0] < 0) {
			directOpened(-1);
			freeDirect[freeDirectTop++] = request.directSlot;
			if (request.op == IoRequest.OPEN_READ) {
				request.directSlot = -1;
			}
		}
	}

	/** Submits what the SQ holds without waiting (to make room, or from {@link #handledInBatch}). */
	@Override
	protected void submitQueued() {
		int toSubmit = ring.sq.flush();
		if (toSubmit > 0) {
			int r = ring.enter(toSubmit, 0, 0);
			if (r < 0) {
				enterFailed(-r);
			}
		}
	}

	/**
	 * A chain is cancelled step by step (each has its token): the steps not yet run complete with
	 * ECANCELED, a blocked one (a pipe with no writer) is interrupted.
	 */
	@Override
	protected void cancelIssued(IoRequest request) {
		if (slotless.contains(request)) {
			return; // told on the next turn anyway
		}
		if (overflow.remove(request)) {
			for (int step = 0; step < request.completions; step++) {
				complete(token(request, step), -Errno.ECANCELED);
			}
			return;
		}
		if (request.isOffloaded()) {
			return; // best effort: the request completes on its own
		}
		for (int step = 0; step < request.completions && cancelsInFlight < cancelReserve; step++) {
			if (ring.sq.isFull()) {
				submitQueued();
			}
			if (ring.sq.enqueue(Uring.IORING_OP_ASYNC_CANCEL, -1, 0, token(request, step), 0, 0, CANCEL_TOKEN)) {
				cancelsInFlight++;
			}
		}
	}

	@Override
	protected void runIo(boolean mayBlock) {
		while (!slotless.isEmpty()) {
			IoRequest request = slotless.poll();
			for (int step = 0; step < IoRequest.OPEN_READ_STEPS; step++) {
				complete(token(request, step), 0); // NO_DIRECT_SLOT: nothing ran
			}
		}
		Iterator<IoRequest> pending = overflow.iterator();
		while (pending.hasNext()) {
			IoRequest request = pending.next();
			boolean queued = request.op == IoRequest.OPEN_READ ? enqueueChain(request)
					: enqueue(request, opcodeOf(request.op));
			if (!queued) {
				break;
			}
			pending.remove();
		}
		boolean wait = mayBlock && ring.cq.isEmpty();
		if (wait && !eventArmed) {
			armEventfd();
		}
		int toSubmit = ring.sq.flush();
		if (toSubmit > 0 || wait || inFlight() > 0 || cancelsInFlight > 0) {
			int r = ring.enter(toSubmit, wait ? 1 : 0, Uring.IORING_ENTER_GETEVENTS);
			if (r < 0) {
				enterFailed(-r);
			}
			else {
				lastEnterErrno = 0;
			}
		}
		batchStarts();
		ring.cq.drain(onCqe);
	}

	private void armEventfd() {
		if (ring.sq.isFull()) {
			submitQueued();
		}
		eventArmed = ring.sq.enqueue(Uring.IORING_OP_READ, wakeup.fd, 0, eventBuffer, 8, 0, EVENTFD_TOKEN);
	}

	private void enterFailed(int errno) {
		switch (errno) {
			case Errno.EINTR:
			case Errno.EAGAIN:
			case Errno.EBUSY:
				return; // transient: reap what completed and enter again on the next turn
			default:
				if (errno != lastEnterErrno) {
					log.error("{}: io_uring_enter failed: {}", name, Errno.describe(errno));
				}
				lastEnterErrno = errno;
				LockSupport.parkNanos(1_000_000L);
		}
	}

	private void onCqe(long userData, int res) {
		if (userData == EVENTFD_TOKEN) {
			eventArmed = false;
		}
		else if (userData == CANCEL_TOKEN) {
			cancelsInFlight--;
		}
		else {
			complete(userData, res);
			handledInBatch();
		}
	}

	@Override
	protected void wakeup() {
		wakeup.signal();
	}

	@Override
	protected void destroy() {
		// The eventfd read and any ASYNC_CANCEL still own ring state (and eventBuffer): let them complete.
		if (eventArmed) {
			wakeup.signal();
		}
		int attempts = 0;
		while ((eventArmed || cancelsInFlight > 0) && attempts++ < 10_000) {
			int r = ring.enter(ring.sq.flush(), 1, Uring.IORING_ENTER_GETEVENTS);
			if (r < 0 && r != -Errno.EINTR) {
				LockSupport.parkNanos(100_000L);
			}
			ring.cq.drain((userData, res) -> {
				if (userData == EVENTFD_TOKEN) {
					eventArmed = false;
				}
				else if (userData == CANCEL_TOKEN) {
					cancelsInFlight--;
				}
			});
		}
		ring.close();
		wakeup.close();
		if (!eventArmed) {
			Native.free(eventBuffer);
		}
	}
}
