package dev.reactoraio;

import java.nio.ByteBuffer;
import java.nio.file.OpenOption;
import java.nio.file.Path;

import dev.reactoraio.internal.flow.AsyncFiles;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Whole-file streaming in one call: open, stream, close (on completion, error and cancellation).
 */
public final class AioFiles {

	private AioFiles() {
	}

	/**
	 * Reads a whole file in chunks, with the global resources.
	 * <p>
	 * The file is opened at subscription (a missing file is an error signal without demand, as with
	 * {@code usingWhen}). On io_uring where the kernel can (direct descriptors and
	 * {@code IORING_OP_FIXED_FD_INSTALL}, 6.8 and later), the open reads the first chunks with it, as many as
	 * fit 60 KiB and the readahead (one for chunks up to 1 MiB), in the same submission: a small file is
	 * then read whole and closed before any demand, and the chunks wait for it; a larger one goes on through
	 * the same open file. Every chunk is {@code chunkSize} bytes but the last. Pipes and character devices
	 * are read one chunk at a time, their bytes in order.
	 * <p>
	 * <b>Release support.</b> Each emitted ByteBuffer is a new heap buffer owned by the subscriber.
	 *
	 * @param path the file
	 * @param chunkSize bytes per chunk, {@code > 0}
	 * @param options open options; READ is implied, WRITE and APPEND are refused
	 * @return the chunks in file order; the Flux completes (or fails) after the file was closed
	 */
	public static Flux<ByteBuffer> read(Path path, int chunkSize, OpenOption... options) {
		return AsyncFiles.readAll(path, chunkSize, AioResources.global(), options);
	}

	/**
	 * Reads a whole file in chunks with the given resources.
	 *
	 * @param path the file
	 * @param chunkSize bytes per chunk, {@code > 0}
	 * @param resources the loops to use
	 * @param options open options; READ is implied, WRITE and APPEND are refused
	 * @return the chunks in file order
	 */
	public static Flux<ByteBuffer> read(Path path, int chunkSize, AioResources resources, OpenOption... options) {
		return AsyncFiles.readAll(path, chunkSize, resources, options);
	}

	/**
	 * Reads a whole file into one array, as {@code Files.readAllBytes} does, with the global resources.
	 * <p>
	 * On io_uring, where the kernel runs a linked chain on a direct descriptor (5.18 and later; the ring's
	 * probe tries it), a file of up to 60 KiB is one submission (open, read, and a read of a few bytes more
	 * that finds the end) and a close; a larger file is read on through the same descriptor. Older kernels
	 * take an open, reads sized by the file's size and a close, all through the ring. On kernel AIO and NIO
	 * one task of the blocking pool reads it. As with {@code Files.readAllBytes}, only a read of nothing
	 * ends a file that is not regular (a pipe, a {@code /proc} file): a short read ends a regular file only
	 * at the size it had. Whatever the engine, it holds ring capacity while it runs, so a
	 * {@code flatMap(AioFiles::readAllBytes, n)} over many files keeps at most {@code n} in flight.
	 * <p>
	 * Errors are those of {@code Files.readAllBytes}: {@code NoSuchFileException},
	 * {@code AccessDeniedException}, an {@code IOException} for a directory ("Is a directory"), and an
	 * {@code OutOfMemoryError} signal ("Required array size too large") for a file larger than an array
	 * can be. The file is closed before the Mono signals. A file that grows while it is read is read to its
	 * new end.
	 *
	 * @param path the file
	 * @param options {@code READ} (implied) and {@code NOFOLLOW_LINKS}; others are refused
	 * @return the file's bytes
	 */
	public static Mono<byte[]> readAllBytes(Path path, OpenOption... options) {
		return AsyncFiles.readAllBytes(path, AioResources.global(), options);
	}

	/**
	 * Reads a whole file into one array with the given resources; see {@link #readAllBytes(Path, OpenOption...)}.
	 *
	 * @param path the file
	 * @param resources the loops to use
	 * @param options {@code READ} (implied) and {@code NOFOLLOW_LINKS}; others are refused
	 * @return the file's bytes
	 */
	public static Mono<byte[]> readAllBytes(Path path, AioResources resources, OpenOption... options) {
		return AsyncFiles.readAllBytes(path, resources, options);
	}

	/**
	 * Writes every buffer of {@code source} to a file, with the global resources. Without options the file
	 * is created or truncated ({@code CREATE, TRUNCATE_EXISTING, WRITE}). With {@code APPEND} the file is
	 * opened with the kernel's {@code O_APPEND}: each write lands at the end of the file as it is then, one
	 * write at a time, so concurrent appenders (threads or processes) never overwrite each other. READ is
	 * refused. The Mono completes after the file was closed.
	 * <p>
	 * <b>Release support.</b> As {@link AsyncFile#write(Publisher, long)}: buffers are not changed, and
	 * are the library's until the Mono signals (after a cancel, buffers not completely written go to the
	 * discard hook once no write uses them).
	 *
	 * @param source the bytes
	 * @param path the file
	 * @param options open options
	 * @return the number of bytes written, after the file was closed
	 */
	public static Mono<Long> write(Publisher<? extends ByteBuffer> source, Path path, OpenOption... options) {
		return AsyncFiles.writeAll(source, path, AioResources.global(), options);
	}

	/**
	 * Writes every buffer of {@code source} to a file with the given resources.
	 *
	 * @param source the bytes
	 * @param path the file
	 * @param resources the loops to use
	 * @param options open options (see {@link #write(Publisher, Path, OpenOption...)})
	 * @return the number of bytes written, after the file was closed
	 */
	public static Mono<Long> write(Publisher<? extends ByteBuffer> source, Path path, AioResources resources,
			OpenOption... options) {
		return AsyncFiles.writeAll(source, path, resources, options);
	}
}
