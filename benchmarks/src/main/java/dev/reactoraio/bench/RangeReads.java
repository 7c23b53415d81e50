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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import dev.reactoraio.AioBackend;
import dev.reactoraio.AioResources;
import dev.reactoraio.AsyncFile;
import dev.reactoraio.BufferProvider;
import dev.reactoraio.FileRange;

/**
 * W7 contenders: the "shopping list" of a columnar reader. Each list is the projection of a Parquet-like
 * file: {@link #ROW_GROUPS} row groups spread over the data file, each holding {@link #COLUMNS} column
 * chunks back to back (8 KiB to 1 MiB, log-uniform, 4 KiB multiples so that O_DIRECT takes them), of
 * which the reader wants about two in three: a few hundred ranges, many adjacent. A new list (seeded by
 * its number) per pass, passes until the time is up; an operation is one list, its latency from the
 * first read issued to the last range's bytes in hand.
 */
final class RangeReads {

	static final int ROW_GROUPS = 12;
	static final int COLUMNS = 36;
	private static final int BLOCK = 4096;

	private RangeReads() {
	}

	/** The ranges of list {@code n} in a file of {@code size} bytes. */
	static List<FileRange> list(long size, int n) {
		SplittableRandom random = new SplittableRandom(0x5eed + n);
		List<FileRange> ranges = new ArrayList<>();
		long stride = size / ROW_GROUPS / BLOCK * BLOCK;
		for (int group = 0; group < ROW_GROUPS; group++) {
			long offset = group * stride;
			long end = offset + stride;
			for (int column = 0; column < COLUMNS; column++) {
				double log = Math.log(8 << 10) + random.nextDouble() * (Math.log(1 << 20) - Math.log(8 << 10));
				int length = (int) Math.max(BLOCK, Math.round(Math.exp(log) / BLOCK) * BLOCK);
				if (offset + length > end) {
					break;
				}
				if (random.nextInt(3) != 0) {
					ranges.add(FileRange.of(offset, length));
				}
				offset += length;
			}
		}
		return ranges;
	}

	static long bytes(List<FileRange> ranges) {
		long total = 0;
		for (FileRange range : ranges) {
			total += range.length();
		}
		return total;
	}

	/** A time-based contender: one list per pass. */
	abstract static class Lists extends Contender {
		final Path path;
		final long size;
		private int lists;

		Lists(String name, Kind kind, Path path) {
			super(name, kind);
			this.path = path;
			this.size = path.toFile().length();
		}

		/** Reads every range of {@code ranges}; returns the bytes read. */
		abstract long read(List<FileRange> ranges) throws Exception;

		@Override
		final Run run(Duration duration) throws Exception {
			Latency latency = new Latency();
			long deadline = System.nanoTime() + duration.toNanos();
			long bytes = 0;
			long ops = 0;
			Meter meter = Meter.start();
			do {
				List<FileRange> ranges = list(size, lists++);
				long start = System.nanoTime();
				long n = read(ranges);
				latency.record(System.nanoTime() - start);
				if (n != bytes(ranges)) {
					throw new IllegalStateException("read " + n + " of " + bytes(ranges) + " bytes");
				}
				bytes += n;
				ops++;
			}
			while (System.nanoTime() < deadline);
			meter.stop();
			return Run.of(ops, bytes, meter, latency);
		}
	}

	/** {@code AsyncFile.readRanges(list, pooled direct buffers)}, each buffer released as it arrives. */
	static final class Aio extends Lists {
		private final AioResources resources;
		private final AsyncFile file;
		private final BufferProvider<ByteBuffer> buffers = BufferProvider.pooledDirectByteBuffers(256L << 20);

		Aio(String name, AioBackend backend, Path path, boolean direct, int window) {
			super(name, Kind.LIBRARY, path);
			this.resources = AioResources.builder("bench-" + name).backend(backend).readahead(window).build();
			this.file = RandomReads.openForReading(path, direct, resources);
		}

		@Override
		long read(List<FileRange> ranges) {
			return file.readRanges(ranges, buffers)
					.map(range -> {
						int n = range.buffer().remaining();
						buffers.release(range.buffer());
						return (long) n;
					})
					.reduce(0L, Long::sum)
					.block();
		}

		@Override
		void close() {
			file.close().block();
			resources.disposeLater().block();
		}
	}

	/**
	 * One {@code AsynchronousFileChannel.read} per range, all issued at once (what Hadoop's local file
	 * system does for {@code readVectored}), into direct buffers of each range's length.
	 */
	static final class Channel extends Lists {
		private final AsynchronousFileChannel channel;
		private final Arena arena = new Arena();

		Channel(String name, Path path, boolean direct) throws IOException {
			super(name, Kind.JAVA_PEER, path);
			Set<OpenOption> options = new HashSet<>(Set.of(StandardOpenOption.READ));
			if (direct) {
				options.add(Machine.DIRECT);
			}
			this.channel = AsynchronousFileChannel.open(path, options, null);
		}

		@Override
		long read(List<FileRange> ranges) throws Exception {
			CountDownLatch done = new CountDownLatch(ranges.size());
			AtomicLong bytes = new AtomicLong();
			AtomicReference<Throwable> error = new AtomicReference<>();
			ByteBuffer[] buffers = arena.slices(ranges);
			for (int i = 0; i < buffers.length; i++) {
				FileRange range = ranges.get(i);
				ByteBuffer buffer = buffers[i];
				channel.read(buffer, range.offset(), range, new CompletionHandler<Integer, FileRange>() {
					@Override
					public void completed(Integer n, FileRange r) {
						if (n > 0 && buffer.hasRemaining()) {
							channel.read(buffer, r.offset() + buffer.position(), r, this);
							return;
						}
						bytes.addAndGet(buffer.position());
						done.countDown();
					}

					@Override
					public void failed(Throwable t, FileRange r) {
						error.compareAndSet(null, t);
						done.countDown();
					}
				});
			}
			done.await();
			if (error.get() != null) {
				throw new IllegalStateException(error.get());
			}
			return bytes.get();
		}

		@Override
		void close() throws IOException {
			channel.close();
		}
	}

	/** {@code FileChannel.read(buffer, position)} on {@code threads} platform threads taking the next range. */
	static final class Threads extends Lists {
		private final FileChannel channel;
		private final int threads;
		private final Arena arena = new Arena();

		Threads(String name, Path path, boolean direct, int threads) throws IOException {
			super(name, Kind.JAVA_PEER, path);
			this.threads = threads;
			this.channel = direct ? FileChannel.open(path, StandardOpenOption.READ, Machine.DIRECT)
					: FileChannel.open(path, StandardOpenOption.READ);
		}

		@Override
		long read(List<FileRange> ranges) throws Exception {
			AtomicInteger next = new AtomicInteger();
			AtomicLong bytes = new AtomicLong();
			AtomicReference<Throwable> error = new AtomicReference<>();
			ByteBuffer[] buffers = arena.slices(ranges);
			Thread[] all = new Thread[threads];
			for (int t = 0; t < threads; t++) {
				all[t] = new Thread(() -> {
					try {
						for (int i; (i = next.getAndIncrement()) < ranges.size();) {
							FileRange range = ranges.get(i);
							ByteBuffer buffer = buffers[i];
							while (buffer.hasRemaining()
									&& channel.read(buffer, range.offset() + buffer.position()) > 0) {
								// until the range is in
							}
							bytes.addAndGet(buffer.position());
						}
					}
					catch (Throwable e) {
						error.compareAndSet(null, e);
					}
				}, "bench-ranges-" + t);
				all[t].start();
			}
			for (Thread thread : all) {
				thread.join();
			}
			if (error.get() != null) {
				throw new IllegalStateException(error.get());
			}
			return bytes.get();
		}

		@Override
		void close() throws IOException {
			channel.close();
		}
	}

	/**
	 * The peers' buffers: one 4 KiB-aligned direct arena, cut into one slice per range of a list (a pool
	 * of their own, as the library's contender has; a fresh direct buffer per range would cost them more
	 * than the read).
	 */
	static final class Arena {
		private final ByteBuffer memory = ByteBuffer.allocateDirect((128 << 20) + BLOCK).alignedSlice(BLOCK);

		ByteBuffer[] slices(List<FileRange> ranges) {
			ByteBuffer[] slices = new ByteBuffer[ranges.size()];
			int at = 0;
			for (int i = 0; i < slices.length; i++) {
				int length = ranges.get(i).length();
				slices[i] = memory.slice(at, length);
				at += length;
			}
			return slices;
		}
	}
}
