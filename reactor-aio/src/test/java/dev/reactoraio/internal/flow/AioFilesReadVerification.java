package dev.reactoraio.internal.flow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

import dev.reactoraio.AioBackend;
import dev.reactoraio.AioFiles;
import org.reactivestreams.Publisher;

/**
 * The Reactive Streams TCK on {@code AioFiles.read} (open, stream, close): a file of {@code n} bytes
 * read in one-byte chunks is a publisher of {@code n} elements. One subclass per backend.
 * <p>
 * Every required and optional rule passes; the skipped tests are the TCK's {@code untested_*} ones.
 */
public abstract class AioFilesReadVerification extends FilePublisherVerification<ByteBuffer> {

	@Override
	public Publisher<ByteBuffer> createPublisher(long elements) {
		try {
			return AioFiles.read(files.sized(elements), TckFiles.CHUNK, files.resources);
		}
		catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	@Override
	public Publisher<ByteBuffer> createFailedPublisher() {
		return AioFiles.read(files.dir.resolve("does-not-exist"), 4096, files.resources);
	}

	/** io_uring. */
	public static class IoUring extends AioFilesReadVerification {
		@Override
		protected AioBackend backend() {
			return AioBackend.IO_URING;
		}
	}

	/** kernel AIO. */
	public static class Libaio extends AioFilesReadVerification {
		@Override
		protected AioBackend backend() {
			return AioBackend.LIBAIO;
		}
	}

	/** FileChannel pool. */
	public static class Nio extends AioFilesReadVerification {
		@Override
		protected AioBackend backend() {
			return AioBackend.NIO;
		}
	}
}
