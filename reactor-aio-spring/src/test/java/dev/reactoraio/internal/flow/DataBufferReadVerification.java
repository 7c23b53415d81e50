package dev.reactoraio.internal.flow;

import java.io.IOException;
import java.io.UncheckedIOException;

import dev.reactoraio.AioBackend;
import dev.reactoraio.spring.AioDataBufferUtils;
import org.reactivestreams.Publisher;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;

/**
 * The Reactive Streams TCK on {@code AioDataBufferUtils.read} (Spring's DataBuffer twin): a file of
 * {@code n} bytes read in one-byte buffers of a direct {@code DefaultDataBufferFactory} (filled in place).
 * Every required and optional rule passes; the skipped tests are the TCK's {@code untested_*} ones.
 */
public abstract class DataBufferReadVerification extends FilePublisherVerification<DataBuffer> {

	private static final DefaultDataBufferFactory FACTORY = new DefaultDataBufferFactory(true);

	@Override
	public Publisher<DataBuffer> createPublisher(long elements) {
		try {
			return AioDataBufferUtils.read(files.sized(elements), 0, Long.MAX_VALUE, FACTORY, TckFiles.CHUNK,
					files.resources);
		}
		catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	@Override
	public Publisher<DataBuffer> createFailedPublisher() {
		return AioDataBufferUtils.read(files.dir.resolve("does-not-exist"), 0, Long.MAX_VALUE, FACTORY, 16,
				files.resources);
	}

	/** io_uring. */
	public static class IoUring extends DataBufferReadVerification {
		@Override
		protected AioBackend backend() {
			return AioBackend.IO_URING;
		}
	}

	/** kernel AIO. */
	public static class Libaio extends DataBufferReadVerification {
		@Override
		protected AioBackend backend() {
			return AioBackend.LIBAIO;
		}
	}

	/** FileChannel pool. */
	public static class Nio extends DataBufferReadVerification {
		@Override
		protected AioBackend backend() {
			return AioBackend.NIO;
		}
	}
}
