package dev.reactoraio.internal.flow;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

import dev.reactoraio.AsyncFile;
import dev.reactoraio.BufferProvider;
import dev.reactoraio.FileRange;
import dev.reactoraio.RangeRead;
import dev.reactoraio.internal.core.FileHandle;
import dev.reactoraio.internal.core.IoErrors;
import dev.reactoraio.internal.core.IoLoop;
import dev.reactoraio.internal.core.IoRequest;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The {@link AsyncFile} implementation: argument checks, then a publisher bound to the file's loop. */
final class DefaultAsyncFile implements AsyncFile {

	private final FileHandle handle;
	private final IoLoop loop;
	private final int readahead;

	DefaultAsyncFile(FileHandle handle, int readahead) {
		this.handle = handle;
		this.loop = handle.loop;
		this.readahead = readahead;
	}

	FileHandle handle() {
		return handle;
	}

	@Override
	public Path path() {
		return handle.path;
	}

	@Override
	public boolean isOpen() {
		return handle.isOpen();
	}

	@Override
	public Mono<Integer> read(ByteBuffer dst, long position) {
		Objects.requireNonNull(dst, "dst");
		if (position < 0) {
			return Mono.error(new IllegalArgumentException("Negative position"));
		}
		if (dst.isReadOnly()) {
			return Mono.error(new IllegalArgumentException("Read-only buffer"));
		}
		return new MonoTransfer(handle, dst, position, false);
	}

	@Override
	public Mono<Integer> write(ByteBuffer src, long position) {
		Objects.requireNonNull(src, "src");
		if (position < 0) {
			return Mono.error(new IllegalArgumentException("Negative position"));
		}
		return new MonoTransfer(handle, src, position, true);
	}

	@Override
	public Mono<Long> read(ByteBuffer[] dsts, long position) {
		ByteBuffer[] buffers = copyOf(dsts, "dsts");
		if (position < 0) {
			return Mono.error(new IllegalArgumentException("Negative position"));
		}
		for (ByteBuffer b : buffers) {
			if (b.isReadOnly()) {
				return Mono.error(new IllegalArgumentException("Read-only buffer"));
			}
		}
		return new MonoFileOp<>(loop, op -> {
			if (!usable(op, true, false)) {
				return;
			}
			if (!anyRemaining(buffers)) {
				op.succeed(0L);
				return;
			}
			IoRequest request = Transfers.readVector(handle, buffers, position, (r, result) -> {
				if (result < 0) {
					op.fail(IoErrors.of(r, result));
				}
				else if (op.claim()) {
					long n = Transfers.deliverVector(r, result, buffers);
					advance(buffers, n);
					op.succeed(n == 0 ? -1L : n);
				}
			});
			op.track(request);
			loop.submit(request);
		}, null, buffers);
	}

	@Override
	public Mono<Long> write(ByteBuffer[] srcs, long position) {
		ByteBuffer[] buffers = copyOf(srcs, "srcs");
		if (position < 0) {
			return Mono.error(new IllegalArgumentException("Negative position"));
		}
		return new MonoFileOp<>(loop, op -> {
			if (!usable(op, false, true)) {
				return;
			}
			if (!anyRemaining(buffers)) {
				op.succeed(0L);
				return;
			}
			IoRequest request = Transfers.writeVector(handle, buffers, position, (r, result) -> {
				if (result < 0) {
					op.fail(IoErrors.of(r, result));
				}
				else if (op.claim()) {
					advance(buffers, result);
					op.succeed(result);
				}
			});
			op.track(request);
			loop.submit(request);
		}, null, buffers);
	}

	/** A copy of the array (the caller may change it meanwhile; the buffers themselves are lent), no null in it. */
	private static ByteBuffer[] copyOf(ByteBuffer[] buffers, String name) {
		ByteBuffer[] copy = Objects.requireNonNull(buffers, name).clone();
		for (ByteBuffer b : copy) {
			Objects.requireNonNull(b, name + " element");
		}
		return copy;
	}

	private static boolean anyRemaining(ByteBuffer[] buffers) {
		for (ByteBuffer b : buffers) {
			if (b.hasRemaining()) {
				return true;
			}
		}
		return false;
	}

	/** Moves the buffers' positions past {@code bytes} bytes, filling each before the next. */
	private static void advance(ByteBuffer[] buffers, long bytes) {
		long left = bytes;
		for (ByteBuffer b : buffers) {
			int n = (int) Math.min(left, b.remaining());
			b.position(b.position() + n);
			left -= n;
		}
	}

	@Override
	public Flux<ByteBuffer> readChunks(long position, long count, int chunkSize) {
		return readChunks(position, count, chunkSize, BufferProvider.heapByteBuffers());
	}

	@Override
	public <B> Flux<B> readChunks(long position, long count, int chunkSize, BufferProvider<B> buffers) {
		Objects.requireNonNull(buffers, "buffers");
		if (position < 0) {
			return Flux.error(new IllegalArgumentException("Negative position"));
		}
		if (count < 0) {
			return Flux.error(new IllegalArgumentException("Negative count"));
		}
		if (chunkSize <= 0) {
			return Flux.error(new IllegalArgumentException("chunkSize must be > 0, was " + chunkSize));
		}
		if (count == 0) {
			return Flux.empty();
		}
		long bounded = count > Long.MAX_VALUE - position ? Long.MAX_VALUE : count;
		return new FluxReadChunks<>(handle, position, bounded, chunkSize, readahead, buffers);
	}

	@Override
	public Flux<RangeRead<ByteBuffer>> readRanges(List<FileRange> ranges) {
		return readRanges(ranges, BufferProvider.heapByteBuffers());
	}

	@Override
	public <B> Flux<RangeRead<B>> readRanges(List<FileRange> ranges, BufferProvider<B> buffers) {
		Objects.requireNonNull(ranges, "ranges");
		Objects.requireNonNull(buffers, "buffers");
		List<List<FileRange>> groups;
		try {
			ranges.forEach(range -> Objects.requireNonNull(range, "range"));
			groups = FluxReadRanges.merge(ranges);
		}
		catch (IllegalArgumentException e) {
			return Flux.error(e);
		}
		if (groups.isEmpty()) {
			return Flux.empty();
		}
		return new FluxReadRanges<>(handle, groups, readahead, buffers);
	}

	@Override
	public Mono<Long> write(Publisher<? extends ByteBuffer> source, long position) {
		Objects.requireNonNull(source, "source");
		if (position < 0) {
			return Mono.error(new IllegalArgumentException("Negative position"));
		}
		return new MonoWriteStream(handle, source, position, readahead);
	}

	@Override
	public Mono<Void> force(boolean metaData) {
		return new MonoFileOp<>(loop, op -> {
			if (!usable(op, false, false)) {
				return;
			}
			handle.afterEarlierWrites(() -> {
				IoRequest fsync = new IoRequest(IoRequest.FSYNC, handle, (r, result) -> complete(op, r, result));
				fsync.flags = metaData ? 0 : IoRequest.FSYNC_DATASYNC;
				op.track(fsync);
				loop.submit(fsync);
			});
		});
	}

	@Override
	public Mono<Void> allocate(long position, long length) {
		if (position < 0) {
			return Mono.error(new IllegalArgumentException("Negative position"));
		}
		if (length <= 0 || length > Long.MAX_VALUE - position) {
			return Mono.error(new IllegalArgumentException("length must be > 0 and position + length must not overflow"));
		}
		return new MonoFileOp<>(loop, op -> {
			if (!usable(op, false, true)) {
				return;
			}
			IoRequest fallocate = new IoRequest(IoRequest.FALLOCATE, handle, (r, result) -> complete(op, r, result));
			fallocate.offset = position;
			fallocate.offset2 = length;
			op.track(fallocate);
			loop.submit(fallocate);
		});
	}

	@Override
	public Mono<Long> size() {
		return new MonoFileOp<>(loop, op -> {
			if (!usable(op, false, false)) {
				return;
			}
			loop.size(handle, (size, error) -> {
				if (error != null) {
					op.fail(error);
				}
				else {
					op.succeed(size);
				}
			});
		});
	}

	@Override
	public Mono<Void> truncate(long size) {
		if (size < 0) {
			return Mono.error(new IllegalArgumentException("Negative size"));
		}
		return new MonoFileOp<>(loop, op -> {
			if (!usable(op, false, true)) {
				return;
			}
			// one truncate at a time: each must see the size the one before left
			handle.oneAtATime(done -> handle.afterEarlierWrites(() -> loop.size(handle, (current, error) -> {
				if (error != null) {
					done.run();
					op.fail(error);
				}
				else if (size >= current) {
					done.run();
					op.succeed(null);
				}
				else {
					IoRequest truncate = new IoRequest(IoRequest.FTRUNCATE, handle, (r, result) -> {
						done.run();
						complete(op, r, result);
					});
					truncate.offset = size;
					op.track(truncate);
					loop.submit(truncate);
				}
			})));
		});
	}

	private static void complete(FileOp<Void> op, IoRequest request, long result) {
		if (result < 0) {
			op.fail(IoErrors.of(request, result));
		}
		else {
			op.succeed(null);
		}
	}

	@Override
	public Mono<Void> close() {
		return new MonoFileOp<>(loop, op -> loop.closeFile(handle, error -> {
			if (error != null) {
				op.fail(error);
			}
			else {
				op.succeed(null);
			}
		}));
	}

	/** Loop thread: fails {@code op} if the file is closed or lacks the mode it needs. */
	private boolean usable(FileOp<?> op, boolean read, boolean write) {
		return usable(handle, op, read, write);
	}

	/** Loop thread: fails {@code op} if {@code handle} is closed or lacks the mode it needs. */
	static boolean usable(FileHandle handle, FileOp<?> op, boolean read, boolean write) {
		// isOpen, not the loop's own isClosing: a read whose file's reads spread may be on another loop
		// (both change together, on the file's loop); the admission gate itself is in IoLoop.submit
		if (!handle.isOpen()) {
			op.fail(new ClosedChannelException());
			return false;
		}
		if (read && !handle.readable) {
			op.fail(new NonReadableChannelException());
			return false;
		}
		if (write && !handle.writable) {
			op.fail(new NonWritableChannelException());
			return false;
		}
		return true;
	}

	@Override
	public String toString() {
		return "AsyncFile[" + handle.path + ", " + loop.name() + (handle.direct ? ", O_DIRECT" : "") + "]";
	}
}
