package dev.reactoraio;

import java.nio.ByteBuffer;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;

import dev.reactoraio.internal.flow.AsyncFiles;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * An open file whose operations are {@link Mono}s and {@link Flux}es. Nothing happens before
 * subscription. Positions are explicit, as with {@link java.nio.channels.AsynchronousFileChannel}:
 * the file has no current position, and any number of operations may run at once.
 * <p>
 * <b>Threads.</b> Every signal is delivered on the loop thread the file is bound to (a Reactor
 * {@code NonBlocking} thread). Do CPU-heavy or blocking work behind {@code publishOn}.
 * <p>
 * <b>Buffers.</b> Buffers passed in may be heap or direct, aligned or not. A direct buffer is read into
 * or written from in place; other buffers are copied through native buffers the library owns.
 * <p>
 * <b>Who owns a buffer, and until when.</b> A buffer passed to {@link #read(ByteBuffer, long)} or
 * {@link #write(ByteBuffer, long)} belongs to the operation from subscription until exactly one of:
 * <ul>
 * <li>the value or error signal: the buffer is yours again (only a read that succeeded changed it);</li>
 * <li>after a cancel ({@code dispose()}, {@code timeout}, {@code take}…): the moment the kernel is done
 * with it, when the library hands it to Reactor's discard hook, so
 * {@code .doOnDiscard(ByteBuffer.class, release)} after the operation frees it at the right time. A
 * cancelled operation never changes a heap buffer nor moves any buffer's position; a direct buffer may
 * still receive a read's bytes until it is discarded.</li>
 * </ul>
 * And whatever happened, once {@link #close()} of the file has completed, no operation of the file uses
 * any buffer any more. Releasing memory earlier ({@code doFinally}, a Netty {@code release()} on
 * cancel, {@code invokeCleaner}) can hand memory the kernel still writes into to someone else.
 * Streams follow the same rule: see {@link #readChunks(long, long, int, BufferProvider)} and
 * {@link #write(Publisher, long)}.
 * <p>
 * <b>Lifecycle.</b> Once {@link #close()} is subscribed, no further I/O of this file reaches the kernel:
 * an operation that had not started fails with {@code ClosedChannelException}, one in progress with
 * {@code AsynchronousCloseException} (a multi-step one, such as {@code truncate} after its size query,
 * included), and the descriptor is closed only after every operation already in the kernel completed.
 * <p>
 * <b>Errors.</b> Failures are error signals with the exception a {@code FileChannel} user would get:
 * {@code IllegalArgumentException} for a negative position or size, {@code ClosedChannelException}
 * after {@link #close()}, {@code NonReadableChannelException}/{@code NonWritableChannelException}
 * for the wrong mode, {@code NoSuchFileException}, {@code AccessDeniedException}, … and
 * {@link AioIOException} for other kernel errors. Null arguments throw {@code NullPointerException}.
 */
public interface AsyncFile {

	/**
	 * Opens a file with the {@linkplain AioResources#global() global resources}. Without options the file
	 * is opened for reading.
	 *
	 * @param path the file
	 * @param options {@link java.nio.file.StandardOpenOption}s (all but APPEND), {@code NOFOLLOW_LINKS},
	 * {@link AioOpenOption#DIRECT}. As with {@code FileChannel}, {@code DELETE_ON_CLOSE} removes the name
	 * right after opening (the file vanishes with its last descriptor, even if the process dies), and a
	 * directory opens for reading, so that {@code force(true)} on it makes a rename durable (its reads
	 * fail with "Is a directory").
	 * @return a Mono of the open file; errors as {@code FileChannel.open} reports them
	 */
	static Mono<AsyncFile> open(Path path, OpenOption... options) {
		return AsyncFiles.open(path, Set.of(options), AioResources.global());
	}

	/**
	 * Opens a file with the given resources.
	 *
	 * @param path the file
	 * @param options open options (none means READ)
	 * @param resources the loops that will carry out its I/O
	 * @return a Mono of the open file
	 */
	static Mono<AsyncFile> open(Path path, Set<? extends OpenOption> options, AioResources resources) {
		return AsyncFiles.open(path, options, resources);
	}

	/** {@return the path this file was opened with} */
	Path path();

	/** {@return false once {@link #close()} was subscribed} */
	boolean isOpen();

	/**
	 * Reads up to {@code dst.remaining()} bytes at {@code position}, advancing {@code dst}'s position.
	 *
	 * @param dst the buffer to fill (not read-only)
	 * @param position the file offset, {@code >= 0}
	 * @return the number of bytes read, possibly fewer than asked; {@code -1} at or past the end of the file;
	 * {@code 0} when {@code dst} has no room
	 */
	Mono<Integer> read(ByteBuffer dst, long position);

	/**
	 * Writes {@code src.remaining()} bytes at {@code position}, advancing {@code src}'s position.
	 *
	 * @param src the bytes to write
	 * @param position the file offset, {@code >= 0}
	 * @return the number of bytes written (fewer than asked only for very large heap buffers or when
	 * the device fills up)
	 */
	Mono<Integer> write(ByteBuffer src, long position);

	/**
	 * A scattering read ({@code preadv}): fills the buffers in order from {@code position}, each from its
	 * position up to its limit, in one operation, and advances their positions by what each received. With
	 * direct buffers and a file opened without O_DIRECT, the kernel reads straight into them; otherwise
	 * (heap buffers, O_DIRECT alignment, more than 1,024 buffers) through one native buffer of up to 64 MiB.
	 * <p>
	 * <b>Release support.</b> As {@link #read(ByteBuffer, long)}, for every buffer of the array: after a
	 * cancel each goes to the discard hook once the kernel is done with them.
	 *
	 * @param dsts the buffers to fill (none read-only); the array is copied, the buffers are not
	 * @param position the file offset, {@code >= 0}
	 * @return the number of bytes read, possibly fewer than asked; {@code -1} at or past the end of the file;
	 * {@code 0} when the buffers have no room
	 */
	Mono<Long> read(ByteBuffer[] dsts, long position);

	/**
	 * A gathering write ({@code pwritev}): writes the buffers' remaining bytes one after the other from
	 * {@code position} in one operation, and advances their positions by what was written from each. Direct
	 * buffers of a file opened without O_DIRECT are written in place; others are gathered first into one
	 * native buffer of up to 64 MiB.
	 * <p>
	 * <b>Release support.</b> As {@link #write(ByteBuffer, long)}, for every buffer of the array.
	 *
	 * @param srcs the buffers to write; the array is copied, the buffers are not
	 * @param position the file offset of the first byte, {@code >= 0}
	 * @return the number of bytes written
	 */
	Mono<Long> write(ByteBuffer[] srcs, long position);

	/**
	 * Streams {@code count} bytes from {@code position} (or up to the end of the file) in chunks of
	 * {@code chunkSize} bytes, in file order; the last chunk may be shorter.
	 * <p>
	 * At most {@link AioResources#readahead() readahead} chunks are in flight or waiting for demand at
	 * any time, whatever the demand.
	 * <p>
	 * A failed read ends the stream in file order: the chunks before it are delivered first (and the part
	 * of its own chunk that was read, as a shorter chunk), then the error, whose
	 * {@linkplain AioIOException#position() position} is the first byte not delivered.
	 * <p>
	 * <b>Release support.</b> Each emitted buffer is a new heap ByteBuffer (position 0, limit = its
	 * length) owned by the subscriber; there is nothing to release. For the most throughput, read into
	 * recycled buffers with {@link #readChunks(long, long, int, BufferProvider)} and
	 * {@link BufferProvider#pooledDirectByteBuffers(long)}.
	 *
	 * @param position the first file offset, {@code >= 0}
	 * @param count how many bytes at most; {@code Long.MAX_VALUE} for "to the end"
	 * @param chunkSize bytes per chunk, {@code > 0}
	 * @return the chunks
	 */
	Flux<ByteBuffer> readChunks(long position, long count, int chunkSize);

	/**
	 * Streams {@code count} bytes from {@code position} in chunks read straight into buffers from
	 * {@code buffers}.
	 * <p>
	 * <b>Release support.</b> Emitted buffers belong to the subscriber, which releases them through
	 * {@link BufferProvider#release}. Buffers read ahead and not emitted (cancellation, error, end of
	 * file) are released by the library once the kernel is done with them.
	 *
	 * @param position the first file offset, {@code >= 0}
	 * @param count how many bytes at most; {@code Long.MAX_VALUE} for "to the end"
	 * @param chunkSize bytes per chunk, {@code > 0}
	 * @param buffers where the chunk buffers come from
	 * @param <B> the buffer type
	 * @return the chunks
	 */
	<B> Flux<B> readChunks(long position, long count, int chunkSize, BufferProvider<B> buffers);

	/**
	 * Reads many ranges of the file (the "shopping list" of Parquet and ORC readers, Hadoop's
	 * {@code readVectored}): each range is delivered with all of its bytes as soon as its read completes,
	 * in no particular order. Ranges close together (at most 4 KiB apart, spans up to 1 MiB) are read by one
	 * request: straight into the ranges' buffers with {@code preadv} when the provider's buffers are direct
	 * and the file has no O_DIRECT, through one native buffer otherwise. Reads start with the first request;
	 * at most {@link AioResources#readahead() readahead} merged reads are in flight or hold ranges not yet
	 * delivered. A range that ends past the end of the file fails the stream with {@code EOFException}.
	 * <p>
	 * <b>Release support.</b> Each delivered buffer belongs to the subscriber, which releases it through
	 * {@link BufferProvider#release}. Buffers of ranges not delivered (cancellation, error) are released by
	 * the library once the kernel is done with them.
	 *
	 * @param ranges the ranges, in any order; none may overlap another ({@code IllegalArgumentException})
	 * @param buffers where each range's buffer comes from (one buffer of the range's length per range)
	 * @param <B> the buffer type
	 * @return the ranges with their bytes, as they complete
	 */
	<B> Flux<RangeRead<B>> readRanges(java.util.List<FileRange> ranges, BufferProvider<B> buffers);

	/**
	 * As {@link #readRanges(java.util.List, BufferProvider)}, into heap buffers (position 0, limit the
	 * range's length) owned outright by the subscriber.
	 * <p>
	 * <b>Release support.</b> Nothing to release.
	 *
	 * @param ranges the ranges, in any order, none overlapping another
	 * @return the ranges with their bytes, as they complete
	 */
	Flux<RangeRead<ByteBuffer>> readRanges(java.util.List<FileRange> ranges);

	/**
	 * Writes every buffer of {@code source}, back to back from {@code position}. Upstream is asked for
	 * buffers only as write slots free up; writes in flight never overlap. A write or upstream error is
	 * signalled after the writes in flight have settled.
	 * <p>
	 * <b>Release support.</b> The source buffers' positions and limits are never changed. A buffer may be
	 * copied or written in place; it is the library's from {@code onNext} until the returned Mono signals,
	 * or, after a cancel, until it is handed to the discard hook (buffers not completely written, once no
	 * write uses them) or {@link #close()} completed. Do not change a buffer before then. Emit a new buffer
	 * each time: a buffer emitted again within {@link AioResources#readahead() readahead} buffers of its
	 * last emission may still be being written, and the Mono fails with {@code IllegalStateException}
	 * rather than write bytes that may have changed.
	 *
	 * @param source the bytes to write
	 * @param position the file offset of the first byte, {@code >= 0}
	 * @return the total number of bytes written
	 */
	Mono<Long> write(Publisher<? extends ByteBuffer> source, long position);

	/**
	 * Flushes the file to its storage device once every write issued before this call has completed
	 * ({@code fsync}, or {@code fdatasync} when {@code metaData} is false).
	 *
	 * @param metaData whether file metadata must be written too
	 * @return completion when the data is durable
	 */
	Mono<Void> force(boolean metaData);

	/**
	 * Reserves disk space for {@code length} bytes from {@code position} ({@code fallocate(2)}, mode 0):
	 * later writes into that range cannot fail for lack of space, and the file grows to at least
	 * {@code position + length}. On the NIO backend, which has no fallocate, the part beyond the current
	 * end is written with zeros (holes inside the file stay holes).
	 *
	 * @param position the first byte, {@code >= 0}
	 * @param length the number of bytes, {@code > 0}
	 * @return completion when the space is reserved
	 */
	Mono<Void> allocate(long position, long length);

	/** {@return the current size of the file} */
	Mono<Long> size();

	/**
	 * Truncates the file to {@code size} bytes if it is larger, once the writes issued before have
	 * completed; a larger {@code size} leaves the file as it is.
	 *
	 * @param size the new size, {@code >= 0}
	 * @return completion
	 */
	Mono<Void> truncate(long size);

	/**
	 * Closes the file once its operations in flight completed; streams still running end with
	 * {@code AsynchronousCloseException}. Idempotent: every subscription completes once the file is closed.
	 *
	 * @return completion, or the error of close(2)
	 */
	Mono<Void> close();
}
