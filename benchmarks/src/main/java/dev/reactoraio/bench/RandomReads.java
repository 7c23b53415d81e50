package dev.reactoraio.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

import dev.reactoraio.AioBackend;
import dev.reactoraio.AioOpenOption;
import dev.reactoraio.AioResources;
import dev.reactoraio.AsyncFile;
import dev.reactoraio.BufferProvider;
import dev.reactoraio.FileRange;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * W1/W2 contenders: 4 KiB reads at uniformly random 4 KiB-aligned offsets, {@code depth} of them
 * outstanding at all times (closed loop: each completion issues the next read), for a fixed time.
 */
final class RandomReads {

	static final int BLOCK = 4096;

	/** Runs so far: every run reads its own blocks, and no round repeats another's. */
	private static final AtomicLong RUNS = new AtomicLong();

	private RandomReads() {
	}

	/**
	 * The positions of lane {@code lane} of a run with {@code base} from {@link #runBase()}. Seeds one apart
	 * give unrelated sequences; seeds a multiple of SplittableRandom's gamma apart give the same sequence
	 * shifted, so that every lane read the blocks of the others, moments apart, from the CPU's caches.
	 */
	static SplittableRandom laneRandom(long base, int lane) {
		return new SplittableRandom(base + lane);
	}

	/** A base for {@link #laneRandom}, new for every run. */
	static long runBase() {
		return RUNS.incrementAndGet() << 20;
	}

	/** {@code path} opened for reading with {@code resources}, with O_DIRECT when {@code direct}. */
	static AsyncFile openForReading(Path path, boolean direct, AioResources resources) {
		return AsyncFile.open(path, direct ? Set.of(StandardOpenOption.READ, AioOpenOption.DIRECT)
				: Set.of(StandardOpenOption.READ), resources).block();
	}

	/** A 4 KiB direct buffer aligned to 4 KiB, as O_DIRECT wants. */
	static ByteBuffer alignedBlock() {
		return ByteBuffer.allocateDirect(2 * BLOCK).alignedSlice(BLOCK).limit(BLOCK).slice();
	}

	/** The state shared by the {@code depth} lanes of one run. */
	static final class Lanes {
		final long blocks;
		final long deadline;
		final Latency latency = new Latency();
		final long base = runBase();
		final CountDownLatch done;
		final AtomicReference<Throwable> error = new AtomicReference<>();

		Lanes(long fileSize, int depth, Duration duration) {
			this.blocks = fileSize / BLOCK;
			this.deadline = System.nanoTime() + duration.toNanos();
			this.done = new CountDownLatch(depth);
		}

		void fail(Throwable t) {
			error.compareAndSet(null, t);
			done.countDown();
		}

		/** Starts {@code depth} lanes, waits until every one has seen the deadline, and counts their reads. */
		Run run(int depth, IntFunction<ClosedLoop> lane) throws Exception {
			ClosedLoop[] all = new ClosedLoop[depth];
			Meter meter = Meter.start();
			for (int i = 0; i < depth; i++) {
				all[i] = lane.apply(i);
				all[i].next();
			}
			await();
			meter.stop();
			long ops = 0;
			for (ClosedLoop l : all) {
				ops += l.ops;
			}
			return Run.of(ops, ops * BLOCK, meter, latency);
		}

		void await() throws Exception {
			done.await();
			Throwable t = error.get();
			if (t instanceof Exception e) {
				throw e;
			}
			if (t != null) {
				throw new IllegalStateException(t);
			}
		}
	}

	/**
	 * reactor-aio's floor: {@code AsyncFile.read(buffer, position)}, one Mono per read, {@code depth} lanes
	 * each driven by a hand-written subscriber (no Reactor operator between the reads).
	 */
	static final class Aio extends Contender {
		private final Path path;
		private final int depth;
		private final AioResources resources;
		private final AsyncFile file;

		Aio(String name, AioBackend backend, Path path, boolean direct, int depth) {
			super(name, Kind.LIBRARY);
			this.path = path;
			this.depth = depth;
			this.resources = AioResources.builder("bench-" + name).backend(backend).build();
			this.file = openForReading(path, direct, resources);
		}


		@Override
		Run run(Duration duration) throws Exception {
			Lanes lanes = new Lanes(path.toFile().length(), depth, duration);
			return lanes.run(depth, i -> new Lane(lanes, file, i));
		}

		@Override
		void close() {
			file.close().block();
			resources.disposeLater().block();
		}
	}

	/**
	 * reactor-aio as its users write it: {@code depth} lanes under {@code flatMap}, each a
	 * {@code Mono.defer(() -> file.read(buffer, randomPosition))} repeated until the deadline. The headline
	 * row of W1 and W2; {@link Aio} (a hand-written closed loop) is the floor beside it.
	 */
	static final class Idiom extends Contender {
		private final Path path;
		private final int depth;
		private final AioResources resources;
		private final AsyncFile file;

		Idiom(String name, AioBackend backend, Path path, boolean direct, int depth) {
			super(name, Kind.LIBRARY);
			this.path = path;
			this.depth = depth;
			this.resources = AioResources.builder("bench-" + name).backend(backend).build();
			this.file = openForReading(path, direct, resources);
		}

		@Override
		Run run(Duration duration) {
			long blocks = path.toFile().length() / BLOCK;
			long deadline = System.nanoTime() + duration.toNanos();
			Latency latency = new Latency();
			long base = runBase();
			Meter meter = Meter.start();
			long ops = Flux.range(0, depth)
					.flatMap(lane -> {
						ByteBuffer buffer = alignedBlock();
						SplittableRandom random = laneRandom(base, lane);
						return Mono.defer(() -> {
							long start = System.nanoTime();
							return file.read(buffer.clear(), random.nextLong(blocks) * BLOCK)
									.doOnNext(n -> {
										if (n != BLOCK) {
											throw new IllegalStateException("short read: " + n);
										}
										latency.record(System.nanoTime() - start);
									});
						}).repeat(() -> System.nanoTime() < deadline);
					}, depth)
					.count()
					.block();
			meter.stop();
			return Run.of(ops, ops * BLOCK, meter, latency);
		}

		@Override
		void close() {
			file.close().block();
			resources.disposeLater().block();
		}
	}

	/**
	 * reactor-aio's batched range read: {@code readRanges} of {@code batch} random blocks at a time, with
	 * {@code depth} merged reads in flight ({@code readahead = depth}), repeated until the deadline. What
	 * the library offers when one Mono per 4 KiB read is the cost; an operation is still one block, its
	 * latency the batch's, from subscription to the range's delivery.
	 */
	static final class Ranges extends Contender {
		private final Path path;
		private final int batch;
		private final AioResources resources;
		private final AsyncFile file;
		private final BufferProvider<ByteBuffer> buffers;

		Ranges(String name, AioBackend backend, Path path, boolean direct, int depth, int batch) {
			super(name, Kind.LIBRARY);
			this.path = path;
			this.batch = batch;
			this.resources = AioResources.builder("bench-" + name).backend(backend).readahead(depth).build();
			this.file = openForReading(path, direct, resources);
			this.buffers = BufferProvider.pooledDirectByteBuffers(64L << 20);
		}

		@Override
		Run run(Duration duration) {
			long blocks = path.toFile().length() / BLOCK;
			long deadline = System.nanoTime() + duration.toNanos();
			Latency latency = new Latency();
			SplittableRandom random = laneRandom(runBase(), 0);
			Meter meter = Meter.start();
			long ops = Flux.defer(() -> {
				long start = System.nanoTime();
				return file.readRanges(randomBlocks(random, blocks), buffers)
						.doOnNext(range -> {
							int n = range.buffer().remaining();
							buffers.release(range.buffer());
							if (n != BLOCK) {
								throw new IllegalStateException("short range: " + n);
							}
							latency.record(System.nanoTime() - start);
						});
			})
					.repeat(() -> System.nanoTime() < deadline)
					.count()
					.block();
			meter.stop();
			return Run.of(ops, ops * BLOCK, meter, latency);
		}

		/** {@code batch} distinct random blocks. */
		private List<FileRange> randomBlocks(SplittableRandom random, long blocks) {
			Set<Long> picked = new HashSet<>();
			List<FileRange> ranges = new ArrayList<>(batch);
			while (ranges.size() < batch) {
				long block = random.nextLong(blocks);
				if (picked.add(block)) {
					ranges.add(FileRange.of(block * BLOCK, BLOCK));
				}
			}
			return ranges;
		}

		@Override
		void close() {
			file.close().block();
			resources.disposeLater().block();
		}
	}

	/** One read outstanding at a time: each completion records its latency and issues the next read. */
	abstract static class ClosedLoop {
		final Lanes lanes;
		final ByteBuffer buffer = alignedBlock();
		private final SplittableRandom random;
		long ops;

		ClosedLoop(Lanes lanes, int seed) {
			this.lanes = lanes;
			this.random = laneRandom(lanes.base, seed);
		}

		/** Issues the next read, or counts the lane out once the deadline has passed. */
		abstract void next();

		/** True (and the lane counted out) once the deadline has passed; else the buffer is cleared for a read. */
		boolean expired() {
			if (System.nanoTime() >= lanes.deadline) {
				lanes.done.countDown();
				return true;
			}
			buffer.clear();
			return false;
		}

		long nextPosition() {
			return random.nextLong(lanes.blocks) * BLOCK;
		}

		void completed(long start, int bytes) {
			if (bytes != BLOCK) {
				lanes.fail(new IllegalStateException("short read: " + bytes));
				return;
			}
			lanes.latency.record(System.nanoTime() - start);
			ops++;
			next();
		}
	}

	/**
	 * One outstanding read at a time. A completion issues the next read; the WIP counter turns a
	 * completion signalled inside {@code subscribe} into a loop instead of a recursion.
	 */
	static final class Lane extends ClosedLoop {
		private final AsyncFile file;
		private final AtomicInteger wip = new AtomicInteger();

		Lane(Lanes lanes, AsyncFile file, int seed) {
			super(lanes, seed);
			this.file = file;
		}

		@Override
		void next() {
			if (wip.getAndIncrement() != 0) {
				return;
			}
			do {
				if (expired()) {
					return;
				}
				file.read(buffer, nextPosition()).subscribe(new ReadSubscriber(this));
			}
			while (wip.decrementAndGet() != 0);
		}
	}

	/** The subscriber of one read, as any caller of {@code read(...).subscribe(...)} allocates. */
	static final class ReadSubscriber implements CoreSubscriber<Integer> {
		private final Lane lane;
		private final long start = System.nanoTime();
		private int bytes = -1;

		ReadSubscriber(Lane lane) {
			this.lane = lane;
		}

		@Override
		public void onSubscribe(Subscription s) {
			s.request(Long.MAX_VALUE);
		}

		@Override
		public void onNext(Integer n) {
			bytes = n;
		}

		@Override
		public void onError(Throwable t) {
			lane.lanes.fail(t);
		}

		@Override
		public void onComplete() {
			lane.completed(start, bytes);
		}
	}

	/** {@code FileChannel.read(buffer, position)} on {@code depth} platform threads. */
	static final class Threads extends Contender {
		private final Path path;
		private final int depth;
		private final FileChannel channel;

		Threads(String name, Path path, boolean direct, int depth) throws Exception {
			super(name, Kind.JAVA_PEER);
			this.path = path;
			this.depth = depth;
			this.channel = direct ? FileChannel.open(path, StandardOpenOption.READ, Machine.DIRECT)
					: FileChannel.open(path, StandardOpenOption.READ);
		}


		@Override
		Run run(Duration duration) throws Exception {
			long blocks = path.toFile().length() / BLOCK;
			long base = runBase();
			Latency latency = new Latency();
			Meter meter = new Meter();
			CyclicBarrier start = new CyclicBarrier(depth + 1);
			long[] ops = new long[depth];
			AtomicReference<Throwable> error = new AtomicReference<>();
			Thread[] threads = new Thread[depth];
			for (int i = 0; i < depth; i++) {
				int lane = i;
				threads[i] = new Thread(() -> {
					ByteBuffer buffer = alignedBlock();
					SplittableRandom random = laneRandom(base, lane);
					try {
						start.await();
						long deadline = System.nanoTime() + duration.toNanos();
						long t0;
						while ((t0 = System.nanoTime()) < deadline) {
							buffer.clear();
							int n = channel.read(buffer, random.nextLong(blocks) * BLOCK);
							if (n != BLOCK) {
								throw new IllegalStateException("short read: " + n);
							}
							latency.record(System.nanoTime() - t0);
							ops[lane]++;
						}
					}
					catch (Throwable t) {
						error.compareAndSet(null, t);
					}
				}, "bench-filechannel-" + i);
				threads[i].start();
			}
			start.await();
			meter.restart();
			for (Thread thread : threads) {
				thread.join();
			}
			meter.stop();
			if (error.get() != null) {
				throw new IllegalStateException(error.get());
			}
			long total = 0;
			for (long n : ops) {
				total += n;
			}
			return Run.of(total, total * BLOCK, meter, latency);
		}

		@Override
		void close() throws IOException {
			channel.close();
		}
	}

	/** {@code AsynchronousFileChannel} (the JDK's default thread pool) with {@code depth} reads outstanding. */
	static final class Channel extends Contender {
		private final Path path;
		private final int depth;
		private final AsynchronousFileChannel channel;

		Channel(String name, Path path, boolean direct, int depth) throws Exception {
			super(name, Kind.JAVA_PEER);
			this.path = path;
			this.depth = depth;
			Set<OpenOption> options = new HashSet<>(Set.of(StandardOpenOption.READ));
			if (direct) {
				options.add(Machine.DIRECT);
			}
			this.channel = AsynchronousFileChannel.open(path, options, null);
		}


		@Override
		Run run(Duration duration) throws Exception {
			Lanes lanes = new Lanes(path.toFile().length(), depth, duration);
			return lanes.run(depth, i -> new ChannelLane(lanes, channel, i));
		}

		@Override
		void close() throws IOException {
			channel.close();
		}
	}

	static final class ChannelLane extends ClosedLoop implements CompletionHandler<Integer, Long> {
		private final AsynchronousFileChannel channel;

		ChannelLane(Lanes lanes, AsynchronousFileChannel channel, int seed) {
			super(lanes, seed);
			this.channel = channel;
		}

		@Override
		void next() {
			if (!expired()) {
				channel.read(buffer, nextPosition(), System.nanoTime(), this);
			}
		}

		@Override
		public void completed(Integer bytes, Long start) {
			completed(start, bytes);
		}

		@Override
		public void failed(Throwable t, Long start) {
			lanes.fail(t);
		}
	}
}
