package dev.reactoraio.internal.flow;

import java.io.IOException;

import dev.reactoraio.AioBackend;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/**
 * What the TCK verifications of reactor-aio's file publishers share: resources of one backend, files of
 * any size (sparse), and publishers of up to 2^31 - 1 one-byte elements. Every required and optional
 * rule passes; the tests the TCK reports as skipped are its {@code untested_*} ones.
 *
 * @param <T> the element type
 */
abstract class FilePublisherVerification<T> extends PublisherVerification<T> {

	protected TckFiles files;

	protected FilePublisherVerification() {
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
	public long maxElementsFromPublisher() {
		return TckFiles.MAX_ELEMENTS;
	}
}
