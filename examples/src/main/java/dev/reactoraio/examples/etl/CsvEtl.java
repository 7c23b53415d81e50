package dev.reactoraio.examples.etl;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.function.LongConsumer;

import dev.reactoraio.AioResources;
import dev.reactoraio.AsyncFile;
import dev.reactoraio.BufferProvider;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The reactive ETL: read a CSV in chunks, split lines across chunk boundaries, transform
 * ({@link OrderTransform}), write the result and force it to the device, holding a bounded number of
 * chunks whatever the file's size.
 * <p>
 * With reactor-aio ({@link #run}): chunks are read into recycled direct buffers, at most
 * {@code readahead} at a time; the transform runs on a parallel worker behind a two-chunk
 * {@code publishOn}; output goes through {@link AsyncFile#write(org.reactivestreams.Publisher, long)}
 * (which asks for more only as its writes complete), then {@link AsyncFile#force}. The same job with
 * Spring's {@code DataBufferUtils} on {@code AsynchronousFileChannel} ({@link #runWithSpring}) is the
 * baseline the demo compares with.
 */
public final class CsvEtl {

	/** Chunks waiting between the reader and the transform. */
	static final int PREFETCH = 2;

	private CsvEtl() {
	}

	/**
	 * What a run did.
	 *
	 * @param bytesIn bytes read
	 * @param bytesOut bytes written
	 * @param rowsIn data lines read
	 * @param rowsOut lines written
	 * @param rejected malformed lines
	 * @param peakChunksHeld the most input chunks alive at once (read, queued or being transformed)
	 * @param elapsed wall time, force included
	 */
	public record Result(long bytesIn, long bytesOut, long rowsIn, long rowsOut, long rejected, int peakChunksHeld,
			Duration elapsed) {
	}

	/**
	 * Runs the ETL through reactor-aio.
	 *
	 * @param input the CSV
	 * @param output the result (created or truncated)
	 * @param chunkSize bytes per read
	 * @param resources the loops
	 * @param progress called with the size of each input chunk transformed
	 * @return the result, once the output is durable
	 */
	public static Mono<Result> run(Path input, Path output, int chunkSize, AioResources resources,
			LongConsumer progress) {
		return Mono.defer(() -> {
			long start = System.nanoTime();
			Counters counters = new Counters();
			OrderTransform transform = new OrderTransform();
			HeldBuffers buffers = new HeldBuffers(
					BufferProvider.pooledDirectByteBuffers((long) (resources.readahead() + PREFETCH + 1) * chunkSize));
			Flux<ByteBuffer> transformed = Flux.usingWhen(
							AsyncFile.open(input, Set.of(StandardOpenOption.READ), resources),
							file -> file.readChunks(0, Long.MAX_VALUE, chunkSize, buffers),
							AsyncFile::close, (file, error) -> file.close(), AsyncFile::close)
					.publishOn(Schedulers.parallel(), PREFETCH)
					.map(chunk -> {
						try {
							counters.in(chunk.remaining(), progress);
							return transform.feed(chunk);
						}
						finally {
							buffers.release(chunk);
						}
					})
					.doOnDiscard(ByteBuffer.class, buffers::release)
					.concatWith(Mono.fromCallable(transform::finish));
			return Mono.usingWhen(
							AsyncFile.open(output, Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
									StandardOpenOption.WRITE), resources),
							file -> file.write(transformed, 0).flatMap(written -> file.force(true).thenReturn(written)),
							AsyncFile::close, (file, error) -> file.close(), AsyncFile::close)
					.map(written -> new Result(counters.bytesIn, written, transform.rowsIn(), transform.rowsOut(),
							transform.rejected(), buffers.peak(), Duration.ofNanos(System.nanoTime() - start)));
		});
	}

	/**
	 * The same job with Spring's {@code DataBufferUtils.read/write} ({@code AsynchronousFileChannel}) and
	 * {@code FileChannel.force}: the baseline.
	 *
	 * @param input the CSV
	 * @param output the result (created or truncated)
	 * @param chunkSize bytes per read
	 * @param progress called with the size of each input chunk transformed
	 * @return the result, once the output is durable
	 */
	public static Mono<Result> runWithSpring(Path input, Path output, int chunkSize, LongConsumer progress) {
		return Mono.defer(() -> {
			long start = System.nanoTime();
			Counters counters = new Counters();
			OrderTransform transform = new OrderTransform();
			DefaultDataBufferFactory factory = DefaultDataBufferFactory.sharedInstance;
			long[] written = {0};
			Flux<DataBuffer> transformed = DataBufferUtils.read(input, factory, chunkSize)
					.publishOn(Schedulers.parallel(), PREFETCH)
					.map(buffer -> {
						try (DataBuffer.ByteBufferIterator regions = buffer.readableByteBuffers()) {
							ByteBuffer chunk = regions.next();
							counters.in(chunk.remaining(), progress);
							return transform.feed(chunk);
						}
						finally {
							DataBufferUtils.release(buffer);
						}
					})
					.concatWith(Mono.fromCallable(transform::finish))
					.doOnNext(chunk -> written[0] += chunk.remaining())
					.map(factory::wrap);
			return DataBufferUtils.write(transformed, output)
					.then(Mono.fromCallable(() -> {
						try (FileChannel channel = FileChannel.open(output, StandardOpenOption.WRITE)) {
							channel.force(true);
						}
						return new Result(counters.bytesIn, written[0], transform.rowsIn(), transform.rowsOut(),
								transform.rejected(), -1, Duration.ofNanos(System.nanoTime() - start));
					}).subscribeOn(Schedulers.boundedElastic()));
		});
	}

	/** Input bytes seen, each chunk reported to a progress callback. */
	private static final class Counters {
		volatile long bytesIn;

		void in(int bytes, LongConsumer progress) {
			bytesIn += bytes;
			progress.accept(bytes);
		}
	}

	/** A buffer provider that counts the chunks alive at once (lent and not yet released). */
	private static final class HeldBuffers implements BufferProvider<ByteBuffer> {
		private final BufferProvider<ByteBuffer> delegate;
		private final Set<ByteBuffer> lent = Collections.newSetFromMap(new IdentityHashMap<>());
		private int peak;

		HeldBuffers(BufferProvider<ByteBuffer> delegate) {
			this.delegate = delegate;
		}

		synchronized int peak() {
			return peak;
		}

		@Override
		public Class<ByteBuffer> type() {
			return ByteBuffer.class;
		}

		@Override
		public synchronized ByteBuffer allocate(int capacity) {
			ByteBuffer buffer = delegate.allocate(capacity);
			lent.add(buffer);
			peak = Math.max(peak, lent.size());
			return buffer;
		}

		@Override
		public ByteBuffer writableView(ByteBuffer buffer) {
			return delegate.writableView(buffer);
		}

		@Override
		public void written(ByteBuffer buffer, int bytes) {
			delegate.written(buffer, bytes);
		}

		@Override
		public synchronized void release(ByteBuffer buffer) {
			if (lent.remove(buffer)) {
				delegate.release(buffer);
			}
		}
	}
}
