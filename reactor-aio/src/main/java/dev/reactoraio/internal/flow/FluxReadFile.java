package dev.reactoraio.internal.flow;

import dev.reactoraio.BufferProvider;
import dev.reactoraio.internal.core.IoLoop;
import dev.reactoraio.internal.core.OpenSpec;
import dev.reactoraio.internal.runtime.DefaultAioResources;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;

/**
 * A whole file as a stream of chunks ({@code AioFiles.read}): one subscription opens the file with the
 * first request, streams it as {@code readChunks} does, and closes it before the terminal signal (or
 * after a cancel), as {@code usingWhen(open, readChunks, close)} would, without the hand-offs of three
 * publishers: the open, the reads and the close run on one loop, the caller's own when it is one.
 *
 * @param <B> the buffer type
 */
final class FluxReadFile<B> extends Flux<B> {

	private final DefaultAioResources runtime;
	private final OpenSpec spec;
	private final int chunkSize;
	private final BufferProvider<B> provider;

	FluxReadFile(DefaultAioResources runtime, OpenSpec spec, int chunkSize, BufferProvider<B> provider) {
		this.runtime = runtime;
		this.spec = spec;
		this.chunkSize = chunkSize;
		this.provider = provider;
	}

	@Override
	public void subscribe(CoreSubscriber<? super B> actual) {
		IoLoop loop;
		try {
			loop = runtime.nextLoop();
		}
		catch (RuntimeException e) {
			Operators.error(actual, e);
			return;
		}
		FluxReadChunks.ReadStream<B> stream = new FluxReadChunks.ReadStream<>(actual, loop, null, spec, 0,
				Long.MAX_VALUE, chunkSize, runtime.readahead(), provider);
		actual.onSubscribe(stream);
		stream.schedule();
	}
}
