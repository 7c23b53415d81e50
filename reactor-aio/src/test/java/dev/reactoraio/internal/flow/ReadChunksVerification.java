package dev.reactoraio.internal.flow;

import java.nio.ByteBuffer;

import dev.reactoraio.AioBackend;
import dev.reactoraio.AsyncFile;
import org.reactivestreams.Publisher;

/**
 * The Reactive Streams TCK on {@code AsyncFile.readChunks}: elements are one-byte chunks of a sparse
 * file, so streams of up to 2^31 - 1 elements exist without disk space. One subclass per backend.
 * <p>
 * Every required and optional rule passes. The tests reported as skipped are the TCK's
 * {@code untested_*} ones (rules the TCK states but has no test for, e.g. §1.09, §3.04).
 */
public abstract class ReadChunksVerification extends FilePublisherVerification<ByteBuffer> {

	@Override
	public Publisher<ByteBuffer> createPublisher(long elements) {
		return files.sparse.readChunks(0, elements * TckFiles.CHUNK, TckFiles.CHUNK);
	}

	@Override
	public Publisher<ByteBuffer> createFailedPublisher() {
		AsyncFile closed = AsyncFile.open(files.sparse.path(), java.util.Set.of(), files.resources).block();
		closed.close().block();
		return closed.readChunks(0, 10, 1);
	}

	/** io_uring. */
	public static class IoUring extends ReadChunksVerification {
		@Override
		protected AioBackend backend() {
			return AioBackend.IO_URING;
		}
	}

	/** kernel AIO (buffered files run on its blocking pool). */
	public static class Libaio extends ReadChunksVerification {
		@Override
		protected AioBackend backend() {
			return AioBackend.LIBAIO;
		}
	}

	/** FileChannel pool. */
	public static class Nio extends ReadChunksVerification {
		@Override
		protected AioBackend backend() {
			return AioBackend.NIO;
		}
	}
}
