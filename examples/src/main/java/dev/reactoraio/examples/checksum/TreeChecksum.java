package dev.reactoraio.examples.checksum;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import dev.reactoraio.AioFiles;
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
 * Backpressured bulk reads: the CRC32C of every file under a directory, with at most {@code maxInFlight}
 * reads in flight overall, as a stream of results in completion order.
 * <p>
 * {@code flatMap} runs at most {@code maxInFlight} files at once, and each file has exactly one
 * operation (open, read, close) in flight at a time: its next block is read when the previous one has
 * been added to the checksum. So the engine never holds more than {@code maxInFlight} requests for this
 * job, however many files the tree has, and only {@code maxInFlight} blocks of memory.
 */
public final class TreeChecksum {

	private TreeChecksum() {
	}

	/**
	 * One file's checksum.
	 *
	 * @param path the file
	 * @param size its size in bytes
	 * @param crc32c its CRC32C
	 */
	public record FileChecksum(Path path, long size, long crc32c) {
	}

	/**
	 * The regular files under {@code root}, in path order.
	 *
	 * @param root the directory
	 * @return the files
	 * @throws IOException if the tree cannot be walked
	 */
	public static List<Path> files(Path root) throws IOException {
		try (Stream<Path> walk = Files.walk(root)) {
			return walk.filter(Files::isRegularFile).sorted().toList();
		}
	}

	/**
	 * The operations (open, read, close) a job has in flight, counted from subscription to the completion
	 * signal, and the most it had at once: the budget as the job sees it, whatever the number of loops
	 * ({@link dev.reactoraio.AioStats#peakInFlight()} sums the peaks of the loops, each reached at its
	 * own moment).
	 */
	public static final class InFlight {

		private final AtomicInteger now = new AtomicInteger();
		private final AtomicInteger peak = new AtomicInteger();

		/** {@return the most operations in flight at once so far} */
		public int peak() {
			return peak.get();
		}

		<T> Mono<T> count(Mono<T> operation) {
			return Mono.defer(() -> {
				peak.accumulateAndGet(now.incrementAndGet(), Math::max);
				// before the signal goes on: the next operation may start from it
				return operation.doOnTerminate(now::decrementAndGet).doOnCancel(now::decrementAndGet);
			});
		}
	}

	/**
	 * Checksums files through reactor-aio.
	 *
	 * @param files the files
	 * @param maxInFlight the most reads in flight at once, over all files
	 * @param blockSize bytes per read
	 * @param resources the loops
	 * @param progress called with the bytes of each block read
	 * @return a result per file, as each completes
	 */
	public static Flux<FileChecksum> checksums(List<Path> files, int maxInFlight, int blockSize,
			AioResources resources, LongConsumer progress) {
		return checksums(files, maxInFlight, blockSize, resources, progress, new InFlight());
	}

	/**
	 * Checksums files through reactor-aio, counting the operations in flight.
	 *
	 * @param files the files
	 * @param maxInFlight the most reads in flight at once, over all files
	 * @param blockSize bytes per read
	 * @param resources the loops
	 * @param progress called with the bytes of each block read
	 * @param inFlight counts the job's operations in flight
	 * @return a result per file, as each completes
	 */
	public static Flux<FileChecksum> checksums(List<Path> files, int maxInFlight, int blockSize,
			AioResources resources, LongConsumer progress, InFlight inFlight) {
		BufferProvider<ByteBuffer> blocks = BufferProvider.pooledDirectByteBuffers((long) maxInFlight * blockSize);
		return Flux.fromIterable(files)
				.flatMap(file -> checksum(file, blockSize, blocks, resources, progress, inFlight), maxInFlight);
	}

	private static Mono<FileChecksum> checksum(Path path, int blockSize, BufferProvider<ByteBuffer> blocks,
			AioResources resources, LongConsumer progress, InFlight inFlight) {
		Mono<AsyncFile> open = inFlight.count(AsyncFile.open(path, Set.of(StandardOpenOption.READ), resources));
		Function<AsyncFile, Mono<Void>> close = file -> inFlight.count(file.close());
		return Mono.usingWhen(open, file -> {
			ByteBuffer block = blocks.allocate(blockSize);
			CRC32C crc = new CRC32C();
			long[] size = {0};
			return Mono.defer(() -> inFlight.count(file.read(block.clear(), size[0])))
					.repeat()
					.takeWhile(n -> n > 0)
					.doOnNext(n -> {
						crc.update(block.flip());
						size[0] += n;
						progress.accept(n);
					})
					.then(Mono.fromSupplier(() -> new FileChecksum(path, size[0], crc.getValue())))
					.doFinally(signal -> blocks.release(block));
		}, close, (file, error) -> close.apply(file), close);
	}

	/**
	 * The same job with Spring's {@code DataBufferUtils.read} ({@code AsynchronousFileChannel}, which also
	 * keeps one read in flight per file): the baseline.
	 *
	 * @param files the files
	 * @param maxInFlight the most files (so reads) at once
	 * @param blockSize bytes per read
	 * @param progress called with the bytes of each block read
	 * @return a result per file, as each completes
	 */
	public static Flux<FileChecksum> checksumsWithSpring(List<Path> files, int maxInFlight, int blockSize,
			LongConsumer progress) {
		return Flux.fromIterable(files).flatMap(path -> springChecksum(path, blockSize, progress), maxInFlight);
	}

	private static Mono<FileChecksum> springChecksum(Path path, int blockSize, LongConsumer progress) {
		return Mono.defer(() -> {
			CRC32C crc = new CRC32C();
			long[] size = {0};
			return DataBufferUtils.read(path, DefaultDataBufferFactory.sharedInstance, blockSize)
					.doOnNext(buffer -> {
						try (DataBuffer.ByteBufferIterator regions = buffer.readableByteBuffers()) {
							regions.forEachRemaining(region -> {
								size[0] += region.remaining();
								progress.accept(region.remaining());
								crc.update(region);
							});
						}
						finally {
							DataBufferUtils.release(buffer);
						}
					})
					.then(Mono.fromSupplier(() -> new FileChecksum(path, size[0], crc.getValue())));
		});
	}

	/**
	 * Checksums a file with {@code java.util.zip.CRC32C} over a plain blocking read: the reference.
	 *
	 * @param path the file
	 * @return its checksum
	 */
	public static FileChecksum reference(Path path) {
		try {
			CRC32C crc = new CRC32C();
			byte[] bytes = Files.readAllBytes(path);
			crc.update(bytes);
			return new FileChecksum(path, bytes.length, crc.getValue());
		}
		catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/**
	 * Creates a tree of {@code count} random files of log-uniform sizes adding up to about
	 * {@code totalBytes}, in 16 directories of two levels, written through reactor-aio.
	 *
	 * @param root where to create the tree
	 * @param count the number of files
	 * @param totalBytes about how many bytes in all
	 * @param seed the random seed
	 * @param resources the loops
	 * @param progress called with the bytes of each file written
	 * @return the bytes written
	 */
	public static Mono<Long> generateTree(Path root, int count, long totalBytes, long seed, AioResources resources,
			LongConsumer progress) {
		SplittableRandom random = new SplittableRandom(seed);
		double[] weights = new double[count];
		double sum = 0;
		for (int i = 0; i < count; i++) {
			weights[i] = Math.exp(random.nextDouble() * Math.log(1024));
			sum += weights[i];
		}
		double scale = totalBytes / sum;
		return Flux.range(0, count)
				.flatMap(i -> {
					int size = (int) Math.max(1, weights[i] * scale);
					Path file = root.resolve("d" + (i % 4)).resolve("e" + (i % 16 / 4)).resolve("file-" + i + ".bin");
					return Mono.fromCallable(() -> Files.createDirectories(file.getParent()))
							.subscribeOn(Schedulers.boundedElastic())
							.then(AioFiles.write(Mono.fromCallable(() -> randomBlock(seed + i, size)), file, resources))
							.doOnNext(progress::accept);
				}, 8)
				.reduce(0L, Long::sum);
	}

	private static ByteBuffer randomBlock(long seed, int size) {
		byte[] bytes = new byte[size];
		new SplittableRandom(seed).nextBytes(bytes);
		return ByteBuffer.wrap(bytes);
	}
}
