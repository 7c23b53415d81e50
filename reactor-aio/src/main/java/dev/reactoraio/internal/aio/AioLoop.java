package dev.reactoraio.internal.aio;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.locks.LockSupport;

import dev.reactoraio.AioIOException;
import dev.reactoraio.internal.core.BlockingPool;
import dev.reactoraio.internal.core.FileHandle;
import dev.reactoraio.internal.core.IoRequest;
import dev.reactoraio.internal.core.NativeFile;
import dev.reactoraio.internal.core.NativeLoop;
import dev.reactoraio.internal.core.WakeupFd;
import dev.reactoraio.internal.jnr.Errno;
import dev.reactoraio.internal.jnr.Native;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The kernel AIO engine: one {@code io_setup} context owned by the loop thread. Only what kernel AIO
 * does asynchronously goes to it: reads and writes of O_DIRECT descriptors (and fsync where the kernel
 * accepts {@code IOCB_CMD_FSYNC}). Everything else, buffered transfers included, runs on the blocking
 * pool, because {@code io_submit} of a buffered transfer performs it inside the call.
 * <p>
 * <b>Capacity.</b> The context is created for {@code 2 × entries} events (fewer if
 * {@code fs.aio-max-nr} leaves less room) and no more requests than that are in flight, so
 * {@code io_submit} never runs out of room. Every iocb names the loop's eventfd
 * ({@code IOCB_FLAG_RESFD}); the loop sleeps in a read of that eventfd, which completions and other
 * threads' hand-offs both wake.
 * <p>
 * <b>Reads</b> are submitted with {@code RWF_NOWAIT}: a read that would block in {@code io_submit}
 * completes with EAGAIN instead and is retried on the blocking pool.
 */
public final class AioLoop extends NativeLoop {

	private static final Logger log = Loggers.getLogger(AioLoop.class);

	private final AioProbe probe;
	private final int requestedEvents;
	private long context;
	private long ctxp;
	private long iocbs;
	private long pointers;
	private long eventBuffer;
	/** Views of iocbs, pointers and eventBuffer: the per-operation accesses, plain Java, no native call. */
	private ByteBuffer iocbView;
	private ByteBuffer pointerView;
	private ByteBuffer eventView;
	private long zeroTimeout;
	private long counter;
	private int capacityEvents;
	private WakeupFd wakeup;
	/** After this many refusals in a row, a file's reads stop asking for RWF_NOWAIT. */
	private static final int NOWAIT_REFUSALS = 16;
	private final ArrayDeque<IoRequest> toSubmit = new ArrayDeque<>();

	public AioLoop(String name, BlockingPool blockingPool, AioProbe probe, int entries) {
		super(name, blockingPool);
		this.probe = probe;
		this.requestedEvents = 2 * entries;
	}

	@Override
	protected int init() {
		try {
			ctxp = Native.allocate(8);
			int nr = requestedEvents;
			while (true) {
				Native.putLong(ctxp, 0);
				int r = Native.ioSetup(nr, ctxp);
				if (r >= 0) {
					break;
				}
				if (-r == Errno.EAGAIN && nr > 8) {
					nr /= 2;
					continue;
				}
				throw new IllegalStateException(AioProbe.explainSetupFailure(-r));
			}
			context = Native.getLong(ctxp);
			capacityEvents = nr;
			iocbs = Native.allocate((long) Iocb.SIZE * nr);
			pointers = Native.allocate(8L * nr);
			eventBuffer = Native.allocate((long) Iocb.EVENT_SIZE * nr);
			iocbView = Native.view(iocbs, Iocb.SIZE * nr);
			pointerView = Native.view(pointers, 8 * nr);
			eventView = Native.view(eventBuffer, Iocb.EVENT_SIZE * nr);
			zeroTimeout = Native.allocate(16);
			counter = Native.allocate(8);
			wakeup = new WakeupFd();
			return nr;
		}
		catch (RuntimeException | Error e) {
			destroy(); // a half-made engine (eventfd refused with EMFILE, say) leaves nothing behind
			throw e;
		}
	}

	@Override
	public String describe() {
		return "kernel AIO context events=" + capacityEvents + (probe.supportsFsync() ? " fsync=aio" : " fsync=pool")
				+ " reads=RWF_NOWAIT until refused";
	}

	private boolean inKernel(IoRequest request) {
		FileHandle file = request.file;
		if (file == null) {
			return false;
		}
		switch (request.op) {
			case IoRequest.READ:
			case IoRequest.WRITE:
				return file.direct && !request.buffered;
			case IoRequest.FSYNC:
				return probe.supportsFsync();
			default:
				return false;
		}
	}

	@Override
	protected void issue(IoRequest request) {
		if (!inKernel(request)) {
			offload(request, NativeLoop::performBlocking);
			return;
		}
		int slot = slotOf(request);
		int fd = fdOf(request);
		switch (request.op) {
			case IoRequest.READ:
				Iocb.fill(iocbView, slot, token(request), Iocb.IOCB_CMD_PREAD, fd, addressOf(request), request.length,
						request.offset, ((NativeFile) request.file).aioNowait ? Iocb.RWF_NOWAIT : 0, wakeup.fd);
				break;
			case IoRequest.WRITE:
				Iocb.fill(iocbView, slot, token(request), Iocb.IOCB_CMD_PWRITE, fd, addressOf(request), request.length,
						request.offset, 0, wakeup.fd);
				break;
			default:
				Iocb.fill(iocbView, slot, token(request),
						request.flags == IoRequest.FSYNC_DATASYNC ? Iocb.IOCB_CMD_FDSYNC : Iocb.IOCB_CMD_FSYNC, fd, 0, 0,
						0, 0, wakeup.fd);
		}
		toSubmit.add(request);
	}

	private static int slotOf(IoRequest request) {
		return request.slotIndex();
	}

	@Override
	protected void cancelIssued(IoRequest request) {
		// io_cancel does not cancel file reads and writes (only requests with a cancel callback): they complete
	}

	/** io_submit of everything queued this turn; a partial submission keeps the rest for the next call. */
	@Override
	protected void submitQueued() {
		while (!toSubmit.isEmpty()) {
			int n = 0;
			for (IoRequest request : toSubmit) {
				pointerView.putLong(8 * n, Iocb.at(iocbs, slotOf(request)));
				if (++n == capacityEvents) {
					break;
				}
			}
			int r = Native.ioSubmit(context, n, pointers);
			if (r > 0) {
				for (int i = 0; i < r; i++) {
					toSubmit.poll();
				}
			}
			else if (r == -Errno.EAGAIN || r == -Errno.EINTR || r == 0) {
				return; // no room for now: retried after completions were reaped
			}
			else if (r == -Errno.EOPNOTSUPP && asksNowait(toSubmit.peek())) {
				stopNowait((NativeFile) toSubmit.peek().file); // refused at submission (overlayfs): ask no more
			}
			else {
				IoRequest first = toSubmit.poll();
				complete(token(first), r);
			}
		}
	}

	private boolean asksNowait(IoRequest request) {
		return request.op == IoRequest.READ
				&& (Iocb.rwFlags(iocbView, slotOf(request)) & Iocb.RWF_NOWAIT) != 0;
	}

	/** The file's reads no longer ask for RWF_NOWAIT, those queued for submission included. */
	private void stopNowait(NativeFile file) {
		file.aioNowait = false;
		for (IoRequest queued : toSubmit) {
			if (queued.file == file && queued.op == IoRequest.READ) {
				Iocb.setRwFlags(iocbView, slotOf(queued), 0);
			}
		}
	}

	@Override
	protected void runIo(boolean mayBlock) {
		submitQueued();
		if (reap() > 0 || !mayBlock) {
			return;
		}
		if (!toSubmit.isEmpty() && inFlight() == toSubmit.size()) {
			LockSupport.parkNanos(1_000_000L); // io_submit refused with nothing in flight: back off, then retry
			return;
		}
		Native.read(wakeup.fd, counter, 8);
		reap();
	}

	/**
	 * Reaps what completed, up to {@link #REAP_ROUNDS} full event arrays: the completions hand new reads to
	 * the kernel as they go, and a bound keeps a reader that issues its next read from each completion from
	 * holding the loop (and its tasks: a close, a cancel) for ever. What is left is reaped on the next turn.
	 */
	private int reap() {
		int total = 0;
		batchStarts();
		for (int round = 0; round < REAP_ROUNDS; round++) {
			int n = Native.ioGetevents(context, 0, capacityEvents, eventBuffer, zeroTimeout);
			if (n <= 0) {
				return total;
			}
			for (int i = 0; i < n; i++) {
				int event = Iocb.EVENT_SIZE * i;
				onEvent(eventView.getLong(event), eventView.getLong(event + 16));
				handledInBatch();
			}
			total += n;
			if (n < capacityEvents) {
				return total;
			}
		}
		return total;
	}

	/** Full event arrays {@link #reap} takes in one turn. */
	private static final int REAP_ROUNDS = 2;

	/**
	 * A read asked with RWF_NOWAIT that would have blocked comes back EAGAIN (EOPNOTSUPP where the file
	 * system cannot do NOWAIT at all) and is retried on the pool. A file whose reads keep being refused
	 * — Linux 5.10 refuses a NOWAIT direct read whenever pages of the range are cached — stops asking:
	 * its reads are then plain io_submit reads, which may wait briefly for that page-cache range.
	 */
	private void onEvent(long token, long res) {
		IoRequest request = inFlightRequest(token);
		if (request != null && asksNowait(request)) {
			NativeFile file = (NativeFile) request.file;
			if (res == -Errno.EAGAIN || res == -Errno.EOPNOTSUPP) {
				if (res == -Errno.EOPNOTSUPP || ++file.nowaitRefusals >= NOWAIT_REFUSALS) {
					stopNowait(file);
				}
				offload(request, NativeLoop::performBlocking);
				return;
			}
			file.nowaitRefusals = 0;
		}
		complete(token, res);
	}

	@Override
	protected void wakeup() {
		wakeup.signal();
	}

	@Override
	protected void destroy() {
		if (context != 0) {
			int r = Native.ioDestroy(context);
			if (r < 0) {
				log.warn("{}: {}", name, new AioIOException(-r, "io_destroy", "").getMessage());
			}
			context = 0;
		}
		if (wakeup != null) {
			wakeup.close();
		}
		for (long memory : new long[] {iocbs, pointers, eventBuffer, zeroTimeout, counter, ctxp}) {
			if (memory != 0) {
				Native.free(memory);
			}
		}
		iocbs = pointers = eventBuffer = zeroTimeout = counter = ctxp = 0;
		iocbView = pointerView = eventView = null;
	}
}
