package dev.reactoraio.internal.flow;

import java.io.IOException;
import java.nio.ByteBuffer;

import dev.reactoraio.AioBackend;
import dev.reactoraio.AsyncFile;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/**
 * The Reactive Streams TCK on {@code AsyncFile.readChunks}: elements are one-byte chunks of a sparse
 * file, so streams of up to 2^31 - 1 elements exist without disk space. One subclass per backend.
 * <p>
 * Every required and optional rule passes. The tests reported as skipped are the TCK's
 * {@code untested_*} ones (rules the TCK states but has no test for, e.g. §1.09, §3.04).
 */
public abstract class ReadChunksVerification extends PublisherVerification<ByteBuffer> {

	private TckFiles files;

	protected ReadChunksVerification() {
		super(new TestEnvironment(2000, 500), 1000);
	}

	protected abstract AioBackend backend();

	@BeforeClass
	public void setUpFiles() {
		files = new TckFiles(backend());
	}

	@AfterClass
	public void tearDownFiles() throws IOException {
		if (files != null) {
			files.dispose();
		}
	}

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

	@Override
	public long maxElementsFromPublisher() {
		return TckFiles.MAX_ELEMENTS;
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
