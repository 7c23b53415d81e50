package dev.reactoraio;

import dev.reactoraio.internal.runtime.DefaultAioResources;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * The loops (threads owning an io_uring ring, a kernel AIO context or the NIO hand-off) and the bounded
 * blocking pool that carry out file I/O. Files opened with these resources are bound to one loop,
 * chosen round-robin; every signal of their publishers is delivered on that loop's thread, a Reactor
 * {@code NonBlocking} thread: move heavy work behind {@code publishOn}.
 * <p>
 * {@link #global()} is shared and created on first use from the {@link AioProperties} system
 * properties; {@link #builder(String)} makes private resources (tests, isolation, tuning).
 */
public interface AioResources extends Disposable {

	/**
	 * The shared resources, created on first use (and again after they were disposed) from the
	 * {@link AioProperties} system properties.
	 *
	 * @return the global resources
	 */
	static AioResources global() {
		return DefaultAioResources.global();
	}

	/**
	 * A builder for private resources whose threads are named after {@code name}.
	 *
	 * @param name prefix of thread names, e.g. {@code "etl"} gives {@code etl-uring-0}
	 * @return a builder with the {@link AioProperties} defaults
	 */
	static Builder builder(String name) {
		return new Builder(name);
	}

	/** {@return the name given to the builder ({@code reactor-aio} for the global resources)} */
	String name();

	/** {@return the backend actually running: never {@link AioBackend#AUTO}} */
	AioBackend backend();

	/** {@return the reads (and writes) in flight per stream} */
	int readahead();

	/**
	 * A snapshot of the loops' counters.
	 *
	 * @return the counters summed over loops
	 */
	AioStats stats();

	/**
	 * One snapshot per loop, in loop order (loop {@code i} is the thread named {@code <name>-<backend>-i}).
	 *
	 * @return the per-loop counters
	 */
	java.util.List<AioStats> loopStats();

	/**
	 * Disposes on subscription: stops accepting work, ends live streams with
	 * {@code AsynchronousCloseException}, closes every open file once its in-flight operations
	 * completed, then releases the rings and threads. Completes when all of that is done.
	 *
	 * @return a Mono that disposes when subscribed
	 */
	Mono<Void> disposeLater();

	/**
	 * Settings of new {@link AioResources}; unset values come from the {@link AioProperties} system properties.
	 */
	final class Builder {

		private final String name;
		private AioBackend backend;
		private int rings;
		private int ringEntries;
		private int readahead;
		private int blockingThreads;
		private int iowqMaxWorkers;
		private boolean deferTaskrun;

		Builder(String name) {
			if (name == null || name.isBlank()) {
				throw new IllegalArgumentException("name must not be blank");
			}
			this.name = name;
			this.backend = AioProperties.backend();
			this.rings = AioProperties.rings();
			this.ringEntries = AioProperties.ringEntries();
			this.readahead = AioProperties.readahead();
			this.blockingThreads = AioProperties.blockingThreads();
			this.iowqMaxWorkers = AioProperties.iowqMaxWorkers();
			this.deferTaskrun = AioProperties.deferTaskrun();
		}

		/**
		 * The backend; forcing one this process cannot use makes {@link #build()} fail with its cause.
		 *
		 * @param backend the backend, {@link AioBackend#AUTO} to probe
		 * @return this builder
		 */
		public Builder backend(AioBackend backend) {
			if (backend == null) {
				throw new NullPointerException("backend");
			}
			this.backend = backend;
			return this;
		}

		/**
		 * Number of loops (each with its own ring and thread).
		 *
		 * @param rings 1 to 64
		 * @return this builder
		 */
		public Builder rings(int rings) {
			this.rings = AioProperties.checkRange("rings", rings, 1, 64);
			return this;
		}

		/**
		 * Submission queue entries per ring; the completion queue gets twice as many, and the loop admits
		 * that many operations in flight, less a few it reserves.
		 *
		 * @param entries 2 to 32768 (the kernel rounds up to a power of two)
		 * @return this builder
		 */
		public Builder ringEntries(int entries) {
			this.ringEntries = AioProperties.checkRange("ringEntries", entries, 2, 32768);
			return this;
		}

		/**
		 * Reads in flight per streaming read (and writes per streaming write).
		 *
		 * @param readahead 1 to 1024
		 * @return this builder
		 */
		public Builder readahead(int readahead) {
			this.readahead = AioProperties.checkRange("readahead", readahead, 1, 1024);
			return this;
		}

		/**
		 * Threads of the blocking pool (the NIO backend's workers, and fallbacks of the others).
		 *
		 * @param threads 1 to 4096
		 * @return this builder
		 */
		public Builder blockingThreads(int threads) {
			this.blockingThreads = AioProperties.checkRange("blockingThreads", threads, 1, 4096);
			return this;
		}

		/**
		 * io-wq bounded workers per ring, where the kernel supports the limit (5.15); 0 keeps its default.
		 *
		 * @param workers 0 to 65536
		 * @return this builder
		 */
		public Builder iowqMaxWorkers(int workers) {
			this.iowqMaxWorkers = AioProperties.checkRange("iowqMaxWorkers", workers, 0, 65536);
			return this;
		}

		/**
		 * Whether io_uring rings are created with {@code IORING_SETUP_DEFER_TASKRUN} where the kernel accepts
		 * it (off by default: see {@link AioProperties#DEFER_TASKRUN}).
		 *
		 * @param defer true to ask for it
		 * @return this builder
		 */
		public Builder deferTaskrun(boolean defer) {
			this.deferTaskrun = defer;
			return this;
		}

		/**
		 * Creates the resources and starts their loops.
		 *
		 * @return the resources
		 * @throws UnsupportedOperationException if a forced backend is not available (the cause says why)
		 */
		public AioResources build() {
			return new DefaultAioResources(name, backend, rings, ringEntries, readahead, blockingThreads,
					iowqMaxWorkers, deferTaskrun);
		}
	}
}
