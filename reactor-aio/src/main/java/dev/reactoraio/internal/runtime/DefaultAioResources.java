package dev.reactoraio.internal.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.reactoraio.AioBackend;
import dev.reactoraio.AioProperties;
import dev.reactoraio.AioResources;
import dev.reactoraio.AioStats;
import dev.reactoraio.internal.aio.AioLoop;
import dev.reactoraio.internal.aio.AioProbe;
import dev.reactoraio.internal.core.BlockingPool;
import dev.reactoraio.internal.core.IoLoop;
import dev.reactoraio.internal.core.LoopStats;
import dev.reactoraio.internal.jnr.Native;
import dev.reactoraio.internal.nio.NioLoop;
import dev.reactoraio.internal.uring.UringLoop;
import dev.reactoraio.internal.uring.UringProbe;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/** The {@link AioResources} implementation: loops of one backend and their blocking pool. */
public final class DefaultAioResources implements AioResources {

	private static final AtomicReference<@Nullable DefaultAioResources> GLOBAL = new AtomicReference<>();

	private final String name;
	private final AioBackend backend;
	private final int readahead;
	private final BlockingPool blockingPool;
	private final IoLoop[] loops;
	private final AtomicInteger next = new AtomicInteger();
	private final Mono<Void> disposal;
	private volatile boolean disposed;

	public DefaultAioResources(String name, AioBackend requested, int rings, int ringEntries, int readahead,
			int blockingThreads, int iowqMaxWorkers, boolean deferTaskrun) {
		this.name = name;
		this.backend = Backends.resolve(requested);
		if (backend != AioBackend.NIO) {
			// Binding libc reads a jar and writes a stub: done here, on the caller's thread, never later on a
			// NonBlocking loop thread (resolving io_uring or kernel AIO has done it already). The NIO
			// engine makes no native call: it does not load native code at all.
			Native.loadFailure();
		}
		this.readahead = readahead;
		this.blockingPool = new BlockingPool(name, blockingThreads);
		List<IoLoop> started = new ArrayList<>();
		try {
			for (int i = 0; i < rings; i++) {
				IoLoop loop = newLoop(i, ringEntries, iowqMaxWorkers, deferTaskrun);
				loop.start();
				started.add(loop);
			}
		}
		catch (RuntimeException e) {
			started.forEach(IoLoop::shutdown);
			blockingPool.shutdown();
			throw e;
		}
		this.loops = started.toArray(new IoLoop[0]);
		this.disposal = Mono.defer(() -> {
			disposed = true;
			CompletableFuture<?>[] all = Arrays.stream(loops).map(IoLoop::shutdown).toArray(CompletableFuture[]::new);
			return Mono.fromFuture(CompletableFuture.allOf(all)).then(Mono.<Void>fromRunnable(blockingPool::shutdown));
		}).cache();
	}

	private IoLoop newLoop(int index, int ringEntries, int iowqMaxWorkers, boolean deferTaskrun) {
		switch (backend) {
			case IO_URING:
				return new UringLoop(name + "-uring-" + index, blockingPool, UringProbe.get(), ringEntries, iowqMaxWorkers,
						deferTaskrun);
			case LIBAIO:
				return new AioLoop(name + "-aio-" + index, blockingPool, AioProbe.get(), ringEntries);
			case NIO:
				return new NioLoop(name + "-nio-" + index, blockingPool, ringEntries);
			default:
				throw new IllegalStateException("unresolved backend " + backend);
		}
	}

	/** The shared resources, recreated after disposal. */
	public static DefaultAioResources global() {
		while (true) {
			DefaultAioResources current = GLOBAL.get();
			if (current != null && !current.disposed) {
				return current;
			}
			synchronized (GLOBAL) {
				current = GLOBAL.get();
				if (current == null || current.disposed) {
					current = new DefaultAioResources("reactor-aio", AioProperties.backend(), AioProperties.rings(),
							AioProperties.ringEntries(), AioProperties.readahead(), AioProperties.blockingThreads(),
							AioProperties.iowqMaxWorkers(), AioProperties.deferTaskrun());
					GLOBAL.set(current);
				}
				return current;
			}
		}
	}

	/** How many completions more than the least busy loop a loop thread's own loop may hold and still take new work. */
	private static final int BALANCE_SLACK = 16;

	/**
	 * The loop for new work (a file to open): the calling thread's own loop when it is one of these and not
	 * clearly busier than the least busy one (work issued from a signal, such as the next file of a
	 * {@code flatMap}, then stays where its predecessor ran, with no hand-off and no wake-up), the least
	 * busy loop when it is; from other threads, the loops in turn.
	 */
	public IoLoop nextLoop() {
		if (disposed) {
			throw new IllegalStateException("AioResources '" + name + "' is disposed");
		}
		// A loop thread that opens a file (a flatMap draining on it, a completion starting the next file)
		// keeps it, saving a hand-over, unless another loop is clearly less busy: flatMap's drain runs on
		// whichever thread gets there, and would otherwise put every new file on one loop.
		IoLoop own = null;
		IoLoop least = null;
		for (IoLoop loop : loops) {
			if (loop.inLoop()) {
				own = loop;
			}
			if (least == null || loop.load() < least.load()) {
				least = loop;
			}
		}
		if (own != null) {
			return own.load() - least.load() <= BALANCE_SLACK ? own : least;
		}
		return loops[Math.floorMod(next.getAndIncrement(), loops.length)];
	}

	/**
	 * Whether the positional reads of a file opened for reading alone may go to every loop
	 * ({@link dev.reactoraio.internal.core.FileHandle#spreadReads} decides which files): with a native
	 * engine. NIO's loops hand every transfer to the blocking pool anyway.
	 */
	public boolean spreadsReads() {
		return backend != AioBackend.NIO;
	}

	public List<IoLoop> loops() {
		return List.of(loops);
	}

	@Override
	public String name() {
		return name;
	}

	@Override
	public AioBackend backend() {
		return backend;
	}

	@Override
	public int readahead() {
		return readahead;
	}

	@Override
	public AioStats stats() {
		Snapshot total = new Snapshot();
		for (IoLoop loop : loops) {
			total.add(loop);
		}
		return total;
	}

	@Override
	public List<AioStats> loopStats() {
		List<AioStats> stats = new ArrayList<>(loops.length);
		for (IoLoop loop : loops) {
			Snapshot one = new Snapshot();
			one.add(loop);
			stats.add(one);
		}
		return stats;
	}

	@Override
	public Mono<Void> disposeLater() {
		return disposal;
	}

	@Override
	public void dispose() {
		disposeLater().subscribe();
	}

	@Override
	public boolean isDisposed() {
		return disposed;
	}

	@Override
	public String toString() {
		return "AioResources[" + name + ", " + backend + ", " + loops.length + " loop(s)]";
	}

	private static final class Snapshot implements AioStats {
		private long submitted;
		private long completed;
		private long failed;
		private long latencyNanos;
		private int inFlight;
		private int peak;
		private int capacity;
		private int queued;
		private long offloaded;
		private int openFiles;
		private int buffers;

		void add(IoLoop loop) {
			LoopStats s = loop.stats;
			submitted += s.submitted();
			completed += s.completed();
			failed += s.failed();
			latencyNanos += s.latencyNanos();
			offloaded += s.offloaded();
			inFlight += s.inFlight();
			peak += s.peakInFlight();
			capacity += loop.capacity();
			queued += s.waiting();
			openFiles += s.openFiles();
			buffers += loop.buffers.outstanding();
		}

		@Override
		public long submitted() {
			return submitted;
		}

		@Override
		public long completed() {
			return completed;
		}

		@Override
		public long failed() {
			return failed;
		}

		@Override
		public long latencyNanos() {
			return latencyNanos;
		}

		@Override
		public int inFlight() {
			return inFlight;
		}

		@Override
		public int peakInFlight() {
			return peak;
		}

		@Override
		public int capacity() {
			return capacity;
		}

		@Override
		public int queued() {
			return queued;
		}

		@Override
		public long offloaded() {
			return offloaded;
		}

		@Override
		public int openFiles() {
			return openFiles;
		}

		@Override
		public int outstandingBuffers() {
			return buffers;
		}

		@Override
		public String toString() {
			return "AioStats[submitted=" + submitted + ", completed=" + completed + ", failed=" + failed
					+ ", inFlight=" + inFlight + ", peakInFlight=" + peak + ", capacity=" + capacity + ", queued="
					+ queued + ", offloaded=" + offloaded + ", openFiles=" + openFiles + ", outstandingBuffers="
					+ buffers + "]";
		}
	}
}
