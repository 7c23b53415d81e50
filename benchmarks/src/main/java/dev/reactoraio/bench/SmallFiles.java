package dev.reactoraio.bench;

import static java.nio.file.StandardOpenOption.READ;

import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import dev.reactoraio.AioBackend;
import dev.reactoraio.AioFiles;
import dev.reactoraio.AioResources;
import dev.reactoraio.bench.Contender.Kind;
import org.reactivestreams.Subscription;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * W5 contenders: every one of {@code count} small files opened, read whole and closed, {@code depth} files
 * in flight. One pass per run; an operation is a file, its latency runs from open to close.
 */
final class SmallFiles {

	static final int FILE_SIZE = 16 * 1024;

	private SmallFiles() {
	}

	static Path file(Path dir, int i) {
		return dir.resolve("f." + i);
	}

	/** {@code AioFiles.read(path, 16 KiB)} under {@code flatMap(..., depth)}. */
	static Contender aio(String name, AioBackend backend, Path dir, int count, int depth) {
		AioResources resources = Streams.resources(name, backend);
		return new Passes(name, Kind.LIBRARY, FILE_SIZE, false, true, latency -> Flux.range(0, count)
				.flatMap(i -> timed(latency, AioFiles.read(file(dir, i), FILE_SIZE, resources)
						.reduce(0L, (sum, b) -> sum + b.remaining())), depth)
				.reduce(0L, Long::sum).block(), () -> resources.disposeLater().block());
	}

	/** {@code AioFiles.readAllBytes(path)} under {@code flatMap(..., depth)}: what a user writes. */
	static Contender readAllBytes(String name, AioBackend backend, Path dir, int count, int depth) {
		AioResources resources = Streams.resources(name, backend);
		return new Passes(name, Kind.LIBRARY, FILE_SIZE, false, true, latency -> Flux.range(0, count)
				.flatMap(i -> timed(latency, AioFiles.readAllBytes(file(dir, i), resources)
						.map(bytes -> (long) bytes.length)), depth)
				.reduce(0L, Long::sum).block(), () -> resources.disposeLater().block());
	}

	/**
	 * The floor under {@link #readAllBytes}: {@code depth} lanes, each a hand-written subscriber that asks
	 * for the next file when one arrives (no Reactor operator between the files).
	 */
	static Contender readAllBytesFloor(String name, AioBackend backend, Path dir, int count, int depth) {
		AioResources resources = Streams.resources(name, backend);
		return new Passes(name, Kind.LIBRARY, FILE_SIZE, false, true, latency -> {
			AtomicInteger next = new AtomicInteger();
			AtomicLong bytes = new AtomicLong();
			AtomicReference<Throwable> error = new AtomicReference<>();
			CountDownLatch done = new CountDownLatch(depth);
			for (int lane = 0; lane < depth; lane++) {
				new WholeFileLane(dir, count, resources, next, bytes, error, done, latency).next();
			}
			done.await();
			if (error.get() != null) {
				throw new IllegalStateException(error.get());
			}
			return bytes.get();
		}, () -> resources.disposeLater().block());
	}

	/** One file in flight at a time; a completion signalled inside {@code subscribe} loops instead of recursing. */
	private static final class WholeFileLane {
		private final Path dir;
		private final int count;
		private final AioResources resources;
		private final AtomicInteger next;
		private final AtomicLong bytes;
		private final AtomicReference<Throwable> error;
		private final CountDownLatch done;
		private final Latency latency;
		private final AtomicInteger wip = new AtomicInteger();

		WholeFileLane(Path dir, int count, AioResources resources, AtomicInteger next, AtomicLong bytes,
				AtomicReference<Throwable> error, CountDownLatch done, Latency latency) {
			this.dir = dir;
			this.count = count;
			this.resources = resources;
			this.next = next;
			this.bytes = bytes;
			this.error = error;
			this.done = done;
			this.latency = latency;
		}

		void next() {
			if (wip.getAndIncrement() != 0) {
				return;
			}
			do {
				int i = next.getAndIncrement();
				if (i >= count || error.get() != null) {
					done.countDown();
					return;
				}
				long start = System.nanoTime();
				AioFiles.readAllBytes(file(dir, i), resources).subscribe(new CoreSubscriber<byte[]>() {
					@Override
					public void onSubscribe(Subscription s) {
						s.request(Long.MAX_VALUE);
					}

					@Override
					public void onNext(byte[] content) {
						bytes.addAndGet(content.length);
						latency.record(System.nanoTime() - start);
					}

					@Override
					public void onError(Throwable t) {
						error.compareAndSet(null, t);
						done.countDown();
					}

					@Override
					public void onComplete() {
						WholeFileLane.this.next();
					}
				});
			}
			while (wip.decrementAndGet() != 0);
		}
	}

	/** {@code Files.readAllBytes} on {@code depth} platform threads taking the next file. */
	static Contender filesReadAllBytes(Path dir, int count, int depth) {
		return new Passes("Files.readAllBytes x" + depth + " threads", Kind.JAVA_PEER, FILE_SIZE, false, true,
				latency -> onThreads("bench-readall-", count, depth, latency,
						() -> i -> Files.readAllBytes(file(dir, i)).length), null);
	}

	/** What one thread does with file {@code i}: the bytes it read. */
	@FunctionalInterface
	private interface FileRead {
		long read(int i) throws Exception;
	}

	/**
	 * {@code depth} platform threads, each with a {@link FileRead} of its own, taking the next of
	 * {@code count} files until none is left; the latency of each file recorded; the bytes read.
	 */
	private static long onThreads(String name, int count, int depth, Latency latency, Supplier<FileRead> perThread)
			throws InterruptedException {
		AtomicInteger next = new AtomicInteger();
		AtomicLong bytes = new AtomicLong();
		AtomicReference<Throwable> error = new AtomicReference<>();
		Thread[] threads = new Thread[depth];
		for (int t = 0; t < depth; t++) {
			threads[t] = new Thread(() -> {
				try {
					FileRead read = perThread.get();
					for (int i; (i = next.getAndIncrement()) < count;) {
						long start = System.nanoTime();
						long n = read.read(i);
						latency.record(System.nanoTime() - start);
						bytes.addAndGet(n);
					}
				}
				catch (Throwable e) {
					error.compareAndSet(null, e);
				}
			}, name + t);
			threads[t].start();
		}
		for (Thread thread : threads) {
			thread.join();
		}
		if (error.get() != null) {
			throw new IllegalStateException(error.get());
		}
		return bytes.get();
	}

	/** A {@code DataBufferUtils.read}-shaped reader under {@code flatMap(..., depth)}, heap buffers. */
	static Contender dataBuffers(String name, Kind kind, Streams.DataBufferRead reader, Path dir, int count, int depth,
			Runnable close) {
		return new Passes(name, kind, FILE_SIZE, false, true, latency -> Flux.range(0, count)
				.flatMap(i -> timed(latency, Streams.drain(reader.read(file(dir, i),
						DefaultDataBufferFactory.sharedInstance, FILE_SIZE))), depth)
				.reduce(0L, Long::sum).block(), close);
	}

	private static Mono<Long> timed(Latency latency, Mono<Long> read) {
		return Mono.defer(() -> {
			long start = System.nanoTime();
			return read.doOnSuccess(n -> latency.record(System.nanoTime() - start));
		});
	}

	/** Open, {@code FileChannel.read}, close on {@code depth} platform threads taking the next file. */
	static Contender threads(Path dir, int count, int depth) {
		return new Passes("FileChannel x" + depth + " threads", Kind.JAVA_PEER, FILE_SIZE, false, true,
				latency -> onThreads("bench-small-", count, depth, latency, () -> {
					ByteBuffer buffer = ByteBuffer.allocateDirect(FILE_SIZE);
					return i -> {
						try (FileChannel channel = FileChannel.open(file(dir, i), READ)) {
							buffer.clear();
							while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
								// until full or end of file
							}
						}
						return buffer.position();
					};
				}), null);
	}

	/** {@code AsynchronousFileChannel} per file (the JDK's default pool), {@code depth} files in flight. */
	static Contender channels(Path dir, int count, int depth) {
		return new Passes("AsynchronousFileChannel", Kind.JAVA_PEER, FILE_SIZE, false, true, latency -> {
			ChannelReads reads = new ChannelReads(dir, count, depth, latency);
			for (int t = 0; t < depth; t++) {
				reads.next(ByteBuffer.allocateDirect(FILE_SIZE));
			}
			reads.done.await();
			if (reads.error.get() != null) {
				throw new IllegalStateException(reads.error.get());
			}
			return reads.bytes.get();
		}, null);
	}

	private static final class ChannelReads {
		final Path dir;
		final int count;
		final Latency latency;
		final AtomicInteger next = new AtomicInteger();
		final AtomicLong bytes = new AtomicLong();
		final AtomicReference<Throwable> error = new AtomicReference<>();
		final CountDownLatch done;

		ChannelReads(Path dir, int count, int depth, Latency latency) {
			this.dir = dir;
			this.count = count;
			this.latency = latency;
			this.done = new CountDownLatch(depth);
		}

		void next(ByteBuffer buffer) {
			int i = next.getAndIncrement();
			if (i >= count || error.get() != null) {
				done.countDown();
				return;
			}
			long start = System.nanoTime();
			try {
				AsynchronousFileChannel channel = AsynchronousFileChannel.open(file(dir, i), READ);
				channel.read(buffer.clear(), 0, null, new CompletionHandler<Integer, Void>() {
					@Override
					public void completed(Integer n, Void attachment) {
						try {
							channel.close();
						}
						catch (Exception e) {
							failed(e, null);
							return;
						}
						bytes.addAndGet(n);
						latency.record(System.nanoTime() - start);
						next(buffer);
					}

					@Override
					public void failed(Throwable t, Void attachment) {
						error.compareAndSet(null, t);
						done.countDown();
					}
				});
			}
			catch (Exception e) {
				error.compareAndSet(null, e);
				done.countDown();
			}
		}
	}

	static Contender fio(String engine, Path dir, int count, int depth) {
		return new Fio("fio " + engine + " qd" + depth, "read", d -> List.of("--directory=" + dir,
				"--filename_format=f.$filenum", "--nrfiles=" + count, "--filesize=" + FILE_SIZE, "--bs=" + FILE_SIZE,
				"--rw=read", "--ioengine=" + engine, "--iodepth=" + depth, "--openfiles=" + depth, "--invalidate=0"));
	}
}
