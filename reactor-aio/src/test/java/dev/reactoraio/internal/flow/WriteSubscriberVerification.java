package dev.reactoraio.internal.flow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.util.Set;

import dev.reactoraio.AioBackend;
import dev.reactoraio.AsyncFile;
import org.reactivestreams.Subscriber;
import org.reactivestreams.tck.SubscriberBlackboxVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;
import reactor.core.publisher.BaseSubscriber;

/**
 * The Reactive Streams TCK on the subscriber behind {@code AsyncFile.write(Publisher, position)}: it
 * requests by itself (as many buffers as it has write slots), so the blackbox verification fits.
 * <p>
 * Every required and optional rule passes; the skipped tests are the TCK's {@code untested_*} ones.
 */
public abstract class WriteSubscriberVerification extends SubscriberBlackboxVerification<ByteBuffer> {

	private TckFiles files;
	private AsyncFile target;

	protected WriteSubscriberVerification() {
		super(new TestEnvironment(2000, 500));
	}

	protected abstract AioBackend backend();

	@BeforeClass
	public void setUpFiles() throws IOException {
		files = new TckFiles(backend());
		target = AsyncFile.open(files.dir.resolve("written"), Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE),
				files.resources).block();
	}

	@AfterClass
	public void tearDownFiles() throws IOException {
		if (target != null) {
			target.close().block();
		}
		if (files != null) {
			files.dispose();
		}
	}

	@Override
	public Subscriber<ByteBuffer> createSubscriber() {
		MonoWriteStream parent = new MonoWriteStream(((DefaultAsyncFile) target).handle(), s -> { }, 0, 4);
		return new MonoWriteStream.WriteStream(new BaseSubscriber<Long>() { }, parent);
	}

	@Override
	public ByteBuffer createElement(int element) {
		return ByteBuffer.wrap(("element " + element + "\n").getBytes());
	}

	/** io_uring. */
	public static class IoUring extends WriteSubscriberVerification {
		@Override
		protected AioBackend backend() {
			return AioBackend.IO_URING;
		}
	}

	/** kernel AIO. */
	public static class Libaio extends WriteSubscriberVerification {
		@Override
		protected AioBackend backend() {
			return AioBackend.LIBAIO;
		}
	}

	/** FileChannel pool. */
	public static class Nio extends WriteSubscriberVerification {
		@Override
		protected AioBackend backend() {
			return AioBackend.NIO;
		}
	}
}
