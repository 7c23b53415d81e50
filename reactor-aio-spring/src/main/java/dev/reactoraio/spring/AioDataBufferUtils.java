package dev.reactoraio.spring;

import java.io.IOException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;

import dev.reactoraio.AioResources;
import dev.reactoraio.AsyncFile;
import dev.reactoraio.BufferProvider;
import dev.reactoraio.internal.flow.AsyncFiles;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.springframework.core.io.Resource;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.util.Assert;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Drop-in twins of Spring's {@link DataBufferUtils} file reads and writes, carried out by reactor-aio
 * (io_uring, kernel AIO, or its bounded pool) instead of the JDK's {@code AsynchronousFileChannel}.
 * Same names, parameter order, argument checks and buffer ownership: migrating is an import swap.
 * <p>
 * <b>Reading.</b> Buffers come from the given {@link DataBufferFactory} and are filled in place when
 * they are direct (Netty's pooled direct buffers, {@code DefaultDataBufferFactory(true)}): the kernel
 * writes into the buffer that goes to the network, with no copy. Heap buffers are filled by one copy
 * from a native buffer. At most {@link AioResources#readahead()} reads are in flight per stream, and
 * they start with the first request.
 * <p>
 * <b>Threads.</b> Buffers are emitted on the file's reactor-aio loop thread (a Reactor
 * {@code NonBlocking} thread) rather than on the JDK's AIO pool: do CPU-heavy work behind
 * {@code publishOn}. No {@code subscribeOn(boundedElastic)} is needed, as nothing here blocks.
 * <p>
 * <b>Errors.</b> The JDK's exceptions ({@code NoSuchFileException}, {@code AccessDeniedException}, …),
 * so {@code onErrorResume(NoSuchFileException.class, …)} keeps working.
 */
public abstract class AioDataBufferUtils {

	/** The number of buffers a streaming write keeps in flight or waiting for demand. */
	static final int WRITE_WINDOW = 4;

	private AioDataBufferUtils() {
	}

	/**
	 * Reads a file into {@link DataBuffer}s, like {@link DataBufferUtils#read(Path, DataBufferFactory, int,
	 * OpenOption...)}; the file is opened on subscription and closed when the stream terminates or is
	 * cancelled. Uses {@link AioResources#global()}.
	 * <p>
	 * <b>Release support.</b> Each emitted buffer belongs to the subscriber, which must release it
	 * ({@link DataBufferUtils#release}). Buffers read ahead but not emitted (cancellation, error, end of
	 * file) are released by the library once the kernel is done with them. As with Spring, operators
	 * placed downstream that drop buffers need their own
	 * {@code doOnDiscard(DataBuffer.class, DataBufferUtils::release)}.
	 *
	 * @param path the file to read
	 * @param bufferFactory the factory to create the buffers with
	 * @param bufferSize the size of each buffer (the last one may hold less), {@code > 0}
	 * @param options how to open the file; {@code APPEND} and {@code WRITE} are not allowed
	 * @return the buffers, in file order
	 * @throws IllegalArgumentException on a null argument, a non-positive size or a write option
	 */
	public static Flux<DataBuffer> read(Path path, DataBufferFactory bufferFactory, int bufferSize,
			OpenOption... options) {
		return read(path, 0, Long.MAX_VALUE, bufferFactory, bufferSize, options);
	}

	/**
	 * Reads {@code count} bytes of a file from {@code position} (fewer if the file ends first) into
	 * {@link DataBuffer}s, reading no byte beyond the range: the bounded twin of
	 * {@code DataBufferUtils.takeUntilByteCount(DataBufferUtils.read(resource, position, …), count)}.
	 * Uses {@link AioResources#global()}.
	 * <p>
	 * <b>Release support.</b> As {@link #read(Path, DataBufferFactory, int, OpenOption...)}: emitted
	 * buffers belong to the subscriber.
	 *
	 * @param path the file to read
	 * @param position the offset of the first byte, {@code >= 0}
	 * @param count how many bytes at most, {@code >= 0}; {@code Long.MAX_VALUE} reads to the end
	 * @param bufferFactory the factory to create the buffers with
	 * @param bufferSize the size of each buffer, {@code > 0}
	 * @param options how to open the file; {@code APPEND} and {@code WRITE} are not allowed
	 * @return the buffers, in file order
	 * @throws IllegalArgumentException on a null argument, a negative position or count, a non-positive
	 * size or a write option
	 */
	public static Flux<DataBuffer> read(Path path, long position, long count, DataBufferFactory bufferFactory,
			int bufferSize, OpenOption... options) {
		checkRead(path, position, count, bufferFactory, bufferSize, options);
		return Flux.defer(() -> readChecked(path, position, count, bufferFactory, bufferSize, AioResources.global(),
				options));
	}

	/**
	 * Reads {@code count} bytes of a file from {@code position} with the given resources.
	 * <p>
	 * <b>Release support.</b> As {@link #read(Path, DataBufferFactory, int, OpenOption...)}: emitted
	 * buffers belong to the subscriber.
	 *
	 * @param path the file to read
	 * @param position the offset of the first byte, {@code >= 0}
	 * @param count how many bytes at most, {@code >= 0}; {@code Long.MAX_VALUE} reads to the end
	 * @param bufferFactory the factory to create the buffers with
	 * @param bufferSize the size of each buffer, {@code > 0}
	 * @param resources the loops that carry out the reads
	 * @param options how to open the file; {@code APPEND} and {@code WRITE} are not allowed
	 * @return the buffers, in file order
	 * @throws IllegalArgumentException on a null argument, a negative position or count, a non-positive
	 * size or a write option
	 */
	public static Flux<DataBuffer> read(Path path, long position, long count, DataBufferFactory bufferFactory,
			int bufferSize, AioResources resources, OpenOption... options) {
		checkRead(path, position, count, bufferFactory, bufferSize, options);
		Assert.notNull(resources, "'resources' must not be null");
		return readChecked(path, position, count, bufferFactory, bufferSize, resources, options);
	}

	/**
	 * Reads a {@link Resource}, like {@link DataBufferUtils#read(Resource, DataBufferFactory, int)}: through
	 * reactor-aio when it is a file, through {@code DataBufferUtils} otherwise.
	 * <p>
	 * <b>Release support.</b> Emitted buffers belong to the subscriber.
	 *
	 * @param resource the resource to read
	 * @param bufferFactory the factory to create the buffers with
	 * @param bufferSize the size of each buffer, {@code > 0}
	 * @return the buffers, in order
	 */
	public static Flux<DataBuffer> read(Resource resource, DataBufferFactory bufferFactory, int bufferSize) {
		return read(resource, 0, bufferFactory, bufferSize);
	}

	/**
	 * Reads a {@link Resource} from {@code position}, like
	 * {@link DataBufferUtils#read(Resource, long, DataBufferFactory, int)}: through reactor-aio when it is a
	 * file, through {@code DataBufferUtils} otherwise.
	 * <p>
	 * <b>Release support.</b> Emitted buffers belong to the subscriber.
	 *
	 * @param resource the resource to read
	 * @param position the offset of the first byte, {@code >= 0}
	 * @param bufferFactory the factory to create the buffers with
	 * @param bufferSize the size of each buffer, {@code > 0}
	 * @return the buffers, in order
	 */
	public static Flux<DataBuffer> read(Resource resource, long position, DataBufferFactory bufferFactory,
			int bufferSize) {
		Assert.notNull(resource, "'resource' must not be null");
		Path file = filePath(resource);
		if (file == null) {
			return DataBufferUtils.read(resource, position, bufferFactory, bufferSize);
		}
		return read(file, position, Long.MAX_VALUE, bufferFactory, bufferSize);
	}

	/**
	 * Writes a stream of {@link DataBuffer}s to a file, like
	 * {@link DataBufferUtils#write(Publisher, Path, OpenOption...)}: without options the file is created
	 * or truncated ({@code CREATE, TRUNCATE_EXISTING, WRITE}); {@code READ} is not allowed. Unlike
	 * {@code AsynchronousFileChannel}, {@code APPEND} works: the file is opened with the kernel's
	 * {@code O_APPEND} and each buffer goes to the end as it is written, one at a time, so that concurrent
	 * appenders (threads or processes) never overwrite each other.
	 * The file is closed before the Mono completes. Uses {@link AioResources#global()}.
	 * <p>
	 * <b>Release support.</b> Every buffer of {@code source} is released, once written, on error and on
	 * cancellation alike (on cancellation, once the kernel is done with it).
	 *
	 * @param source the buffers to write
	 * @param destination the file
	 * @param options how to open the file
	 * @return completion once every byte was written and the file closed
	 * @throws IllegalArgumentException on a null argument, {@code READ}, or {@code APPEND} with
	 * {@code TRUNCATE_EXISTING}
	 */
	public static Mono<Void> write(Publisher<DataBuffer> source, Path destination, OpenOption... options) {
		Set<OpenOption> openOptions = checkWrite(source, destination, options);
		return Mono.defer(() -> writeChecked(source, destination, openOptions, AioResources.global()));
	}

	/**
	 * Writes a stream of {@link DataBuffer}s to a file with the given resources; see
	 * {@link #write(Publisher, Path, OpenOption...)}.
	 * <p>
	 * <b>Release support.</b> Every buffer of {@code source} is released.
	 *
	 * @param source the buffers to write
	 * @param destination the file
	 * @param resources the loops that carry out the writes
	 * @param options how to open the file
	 * @return completion once every byte was written and the file closed
	 * @throws IllegalArgumentException on a null argument, {@code READ}, or {@code APPEND} with
	 * {@code TRUNCATE_EXISTING}
	 */
	public static Mono<Void> write(Publisher<DataBuffer> source, Path destination, AioResources resources,
			OpenOption... options) {
		Set<OpenOption> openOptions = checkWrite(source, destination, options);
		Assert.notNull(resources, "'resources' must not be null");
		return writeChecked(source, destination, openOptions, resources);
	}

	/**
	 * Writes a stream of {@link DataBuffer}s to an open file from {@code position}, like
	 * {@link DataBufferUtils#write(Publisher, java.nio.channels.AsynchronousFileChannel, long)}: each buffer
	 * is emitted once its bytes are written, in order. Up to four buffers are written at once (their ranges
	 * are disjoint), but never more than downstream has requested: after {@code take(n)} or a cancel, no
	 * byte of a buffer that was not emitted is in the file. The file is not closed.
	 * <p>
	 * <b>Release support.</b> Buffers are <em>not</em> released: each one received from {@code source} is
	 * emitted, and the subscriber releases it (e.g. {@code .map(DataBufferUtils::release)}). After a
	 * write or upstream error, the buffers already received are still emitted, once the kernel is done
	 * with them (the failed one included, as Spring does), and then the error. On cancellation, the
	 * buffers not yet emitted go to the discard hook once the kernel is done with them: add
	 * {@code doOnDiscard(DataBuffer.class, DataBufferUtils::release)} downstream.
	 *
	 * @param source the buffers to write
	 * @param file the file, open for writing
	 * @param position the file offset of the first byte, {@code >= 0}
	 * @return the same buffers, each after it was written
	 * @throws IllegalArgumentException on a null argument or a negative position
	 */
	public static Flux<DataBuffer> write(Publisher<? extends DataBuffer> source, AsyncFile file, long position) {
		Assert.notNull(source, "'source' must not be null");
		Assert.notNull(file, "'file' must not be null");
		Assert.isTrue(position >= 0, "'position' must be >= 0");
		return new FluxWriteDataBuffers(source, file, position, WRITE_WINDOW);
	}

	/**
	 * A {@link BufferProvider} over a {@link DataBufferFactory}, for
	 * {@link AsyncFile#readChunks(long, long, int, BufferProvider)}: the kernel reads straight into the
	 * factory's buffers when they are direct.
	 * <p>
	 * <b>Release support.</b> Buffers emitted by {@code readChunks} belong to the subscriber;
	 * {@link BufferProvider#release} is {@link DataBufferUtils#release}.
	 *
	 * @param bufferFactory the factory
	 * @return the provider
	 */
	public static BufferProvider<DataBuffer> bufferProvider(DataBufferFactory bufferFactory) {
		Assert.notNull(bufferFactory, "'bufferFactory' must not be null");
		return new DataBufferProvider(bufferFactory);
	}

	private static void checkRead(Path path, long position, long count, DataBufferFactory bufferFactory,
			int bufferSize, OpenOption[] options) {
		Assert.notNull(path, "Path must not be null");
		Assert.notNull(bufferFactory, "DataBufferFactory must not be null");
		Assert.isTrue(position >= 0, "'position' must be >= 0");
		Assert.isTrue(count >= 0, "'count' must be >= 0");
		Assert.isTrue(bufferSize > 0, "'bufferSize' must be > 0");
		for (OpenOption option : options) {
			Assert.isTrue(option != StandardOpenOption.APPEND && option != StandardOpenOption.WRITE,
					() -> "'" + option + "' not allowed");
		}
	}

	private static Flux<DataBuffer> readChecked(Path path, long position, long count, DataBufferFactory bufferFactory,
			int bufferSize, AioResources resources, OpenOption[] options) {
		return Flux.usingWhen(AsyncFile.open(path, Set.of(options), resources),
				file -> readChunks(file, position, count, bufferFactory, bufferSize),
				AsyncFile::close, (file, error) -> file.close(), AsyncFile::close);
	}

	/** Buffers of an open file, released when discarded downstream. */
	static Flux<DataBuffer> readChunks(AsyncFile file, long position, long count, DataBufferFactory bufferFactory,
			int bufferSize) {
		return file.readChunks(position, count, bufferSize, new DataBufferProvider(bufferFactory))
				.doOnDiscard(DataBuffer.class, DataBufferUtils::release);
	}

	private static Set<OpenOption> checkWrite(Publisher<DataBuffer> source, Path destination, OpenOption[] options) {
		Assert.notNull(source, "Source must not be null");
		Assert.notNull(destination, "Destination must not be null");
		Set<OpenOption> result = new HashSet<>();
		if (options.length == 0) {
			result.add(StandardOpenOption.CREATE);
			result.add(StandardOpenOption.TRUNCATE_EXISTING);
		}
		for (OpenOption option : options) {
			Assert.isTrue(option != StandardOpenOption.READ, "READ not allowed");
			result.add(option);
		}
		Assert.isTrue(!(result.contains(StandardOpenOption.APPEND)
				&& result.contains(StandardOpenOption.TRUNCATE_EXISTING)), "APPEND and TRUNCATE_EXISTING not allowed together");
		result.add(StandardOpenOption.WRITE);
		return result;
	}

	private static Mono<Void> writeChecked(Publisher<DataBuffer> source, Path destination, Set<OpenOption> options,
			AioResources resources) {
		// APPEND is the kernel's O_APPEND: each write goes to the end, so one at a time, in order
		int window = options.contains(StandardOpenOption.APPEND) ? 1 : WRITE_WINDOW;
		return Mono.usingWhen(AsyncFiles.open(destination, options, resources, true),
						file -> new FluxWriteDataBuffers(source, file, 0, window)
								.map(DataBufferUtils::release)
								.then(),
						AsyncFile::close, (file, error) -> file.close(), AsyncFile::close)
				.doOnDiscard(DataBuffer.class, DataBufferUtils::release);
	}

	/** The resource's file, or null when it is not one (then Spring reads it). */
	static @Nullable Path filePath(Resource resource) {
		if (!resource.isFile()) {
			return null;
		}
		try {
			return resource.getFilePath();
		}
		catch (IOException | UnsupportedOperationException e) {
			return null;
		}
	}
}
