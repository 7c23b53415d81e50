package dev.reactoraio.bench.jmh;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import dev.reactoraio.AioBackend;
import dev.reactoraio.AioResources;
import dev.reactoraio.AsyncFile;
import dev.reactoraio.BufferProvider;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;

/**
 * The per-operation path on page-cached 4 KiB reads: submit, completion, signal. {@code read} is one
 * read and a {@code block()} (so it includes the hand-off to and from the loop thread); {@code read32}
 * keeps 32 reads outstanding per invocation, as the W2 workload does, and reports the time per read;
 * {@code fileChannelRead} is the JDK's positional read on the calling thread, the floor;
 * {@code readChunks} streams 8 MiB in 64 KiB chunks and reports per chunk. The subscribers and the
 * buffer provider here allocate nothing per operation, so {@code -prof gc}'s bytes per operation are
 * the library's and the Mono's (one object per read; none per chunk).
 *
 * <pre>
 * java -jar benchmarks/target/reactor-aio-benchmarks.jar jmh ReadPathBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
// JMH forks run with -cp, where the jar manifest's Enable-Native-Access does not apply: the flag does.
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "--enable-native-access=ALL-UNNAMED"})
public class ReadPathBenchmark {

	static final int BLOCK = 4096;
	static final int DEPTH = 32;
	static final long FILE_SIZE = 64L << 20;
	static final int CHUNK = 64 << 10;
	static final int STREAM_BYTES = 8 << 20;

	/** A page-cached 64 MiB file in {@code java.io.tmpdir} (or {@code -Dbench.dir}). */
	@State(Scope.Benchmark)
	public static class CachedFile {
		Path path;
		final SplittableRandom random = new SplittableRandom(7);

		@Setup(Level.Trial)
		public void create() throws IOException {
			Path dir = Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir")));
			path = Files.createTempFile(dir, "read-path-", ".bin");
			byte[] bytes = new byte[1 << 20];
			random.nextBytes(bytes);
			try (FileChannel channel = FileChannel.open(path, CREATE, WRITE)) {
				for (long at = 0; at < FILE_SIZE; at += bytes.length) {
					channel.write(ByteBuffer.wrap(bytes), at);
				}
			}
			try (FileChannel channel = FileChannel.open(path, READ)) {
				ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
				while (channel.read(buffer.clear()) >= 0) {
					// into the page cache
				}
			}
		}

		long nextPosition() {
			return random.nextLong(FILE_SIZE / BLOCK) * BLOCK;
		}

		@TearDown(Level.Trial)
		public void delete() throws IOException {
			Files.deleteIfExists(path);
		}
	}

	/** The file opened with reactor-aio on one backend. */
	@State(Scope.Benchmark)
	public static class Aio {
		@Param({"IO_URING", "NIO"})
		public AioBackend backend;
		AioResources resources;
		AsyncFile file;
		final ByteBuffer[] buffers = new ByteBuffer[DEPTH];
		final RecyclingProvider chunks = new RecyclingProvider();
		final AtomicInteger remaining = new AtomicInteger();
		volatile Thread waiter;

		@Setup(Level.Trial)
		public void open(CachedFile cached) {
			resources = AioResources.builder("jmh").backend(backend).build();
			file = AsyncFile.open(cached.path, Set.of(READ), resources).block();
			for (int i = 0; i < DEPTH; i++) {
				buffers[i] = ByteBuffer.allocateDirect(2 * BLOCK).alignedSlice(BLOCK).limit(BLOCK).slice();
			}
		}

		@TearDown(Level.Trial)
		public void close() {
			file.close().block();
			resources.disposeLater().block();
		}
	}

	/** The same file as a FileChannel. */
	@State(Scope.Benchmark)
	public static class Channel {
		FileChannel channel;
		final ByteBuffer buffer = ByteBuffer.allocateDirect(2 * BLOCK).alignedSlice(BLOCK).limit(BLOCK).slice();

		@Setup(Level.Trial)
		public void open(CachedFile cached) throws IOException {
			channel = FileChannel.open(cached.path, READ);
		}

		@TearDown(Level.Trial)
		public void close() throws IOException {
			channel.close();
		}
	}

	@Benchmark
	public Integer read(CachedFile cached, Aio aio) {
		return aio.file.read(aio.buffers[0].clear(), cached.nextPosition()).block();
	}

	@Benchmark
	@OperationsPerInvocation(DEPTH)
	public void read32(CachedFile cached, Aio aio) {
		aio.waiter = Thread.currentThread();
		aio.remaining.set(DEPTH);
		for (int i = 0; i < DEPTH; i++) {
			aio.file.read(aio.buffers[i].clear(), cached.nextPosition()).subscribe(new Countdown(aio));
		}
		while (aio.remaining.get() > 0) {
			LockSupport.park(aio);
		}
	}

	@Benchmark
	@OperationsPerInvocation(STREAM_BYTES / CHUNK)
	public void readChunks(Aio aio) {
		aio.waiter = Thread.currentThread();
		aio.remaining.set(1);
		aio.file.readChunks(0, STREAM_BYTES, CHUNK, aio.chunks).subscribe(new ChunkSink(aio));
		while (aio.remaining.get() > 0) {
			LockSupport.park(aio);
		}
	}

	@Benchmark
	public int fileChannelRead(CachedFile cached, Channel channel) throws IOException {
		return channel.channel.read(channel.buffer.clear(), cached.nextPosition());
	}

	/**
	 * Direct chunks of {@link #CHUNK} bytes, taken back for the next stream: a provider that allocates
	 * nothing once warm (as a pooled Netty allocator), so that what {@code -prof gc} sees is the stream's.
	 */
	static final class RecyclingProvider implements BufferProvider<ByteBuffer> {
		private final java.util.ArrayDeque<ByteBuffer> free = new java.util.ArrayDeque<>();

		@Override
		public Class<ByteBuffer> type() {
			return ByteBuffer.class;
		}

		@Override
		public synchronized ByteBuffer allocate(int capacity) {
			ByteBuffer buffer = free.pollFirst();
			return buffer != null && buffer.capacity() >= capacity ? buffer.clear().limit(capacity)
					: ByteBuffer.allocateDirect(2 * CHUNK).alignedSlice(BLOCK).limit(capacity);
		}

		@Override
		public ByteBuffer writableView(ByteBuffer buffer) {
			return buffer;
		}

		@Override
		public void written(ByteBuffer buffer, int bytes) {
			buffer.limit(buffer.position() + bytes);
		}

		@Override
		public synchronized void release(ByteBuffer buffer) {
			free.offerFirst(buffer);
		}
	}

	/** Takes every chunk of a stream, 16 at a time, gives each back, and wakes the benchmark thread at the end. */
	static final class ChunkSink implements CoreSubscriber<ByteBuffer> {
		private final Aio aio;
		private Subscription subscription;
		private int taken;

		ChunkSink(Aio aio) {
			this.aio = aio;
		}

		@Override
		public void onSubscribe(Subscription s) {
			subscription = s;
			s.request(16);
		}

		@Override
		public void onNext(ByteBuffer chunk) {
			aio.chunks.release(chunk);
			if (++taken == 16) {
				taken = 0;
				subscription.request(16);
			}
		}

		@Override
		public void onError(Throwable t) {
			t.printStackTrace();
			onComplete();
		}

		@Override
		public void onComplete() {
			aio.remaining.set(0);
			LockSupport.unpark(aio.waiter);
		}
	}

	/** Counts a read down and wakes the benchmark thread after the last one. */
	static final class Countdown implements CoreSubscriber<Integer> {
		private final Aio aio;

		Countdown(Aio aio) {
			this.aio = aio;
		}

		@Override
		public void onSubscribe(Subscription s) {
			s.request(Long.MAX_VALUE);
		}

		@Override
		public void onNext(Integer bytes) {
			if (bytes != BLOCK) {
				throw new IllegalStateException("short read: " + bytes);
			}
		}

		@Override
		public void onError(Throwable t) {
			t.printStackTrace();
			onComplete();
		}

		@Override
		public void onComplete() {
			if (aio.remaining.decrementAndGet() == 0) {
				LockSupport.unpark(aio.waiter);
			}
		}
	}
}
