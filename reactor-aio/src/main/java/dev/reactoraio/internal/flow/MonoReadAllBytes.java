package dev.reactoraio.internal.flow;

import dev.reactoraio.internal.core.IoLoop;
import dev.reactoraio.internal.core.IoRequest;
import dev.reactoraio.internal.core.OpenSpec;
import dev.reactoraio.internal.core.WholeFileCallback;
import dev.reactoraio.internal.runtime.DefaultAioResources;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * A whole file as one array. Subscribing picks a loop (the caller's own when it is one: the next file
 * of a {@code flatMap} stays on the loop that completed the last) and asks it to read the file; the
 * subscription is the callback, so a file costs no more objects than the read itself needs. A cancelled
 * read has what it waits for cancelled, still closes its descriptor, and its bytes are dropped.
 */
final class MonoReadAllBytes extends Mono<byte[]> {

	private final DefaultAioResources runtime;
	private final OpenSpec spec;

	MonoReadAllBytes(DefaultAioResources runtime, OpenSpec spec) {
		this.runtime = runtime;
		this.spec = spec;
	}

	@Override
	public void subscribe(CoreSubscriber<? super byte[]> actual) {
		IoLoop loop;
		try {
			loop = runtime.nextLoop();
		}
		catch (RuntimeException e) {
			Operators.error(actual, e);
			return;
		}
		Read read = new Read(actual, loop, spec);
		actual.onSubscribe(read);
		loop.executeOrRun(read);
	}

	/** The subscription, the task that starts the read on the loop, and the read's callback. */
	static final class Read extends Operators.MonoSubscriber<byte[], byte[]> implements Runnable, WholeFileCallback {

		private final IoLoop loop;
		private final OpenSpec spec;

		Read(CoreSubscriber<? super byte[]> actual, IoLoop loop, OpenSpec spec) {
			super(actual);
			this.loop = loop;
			this.spec = spec;
		}

		@Override
		public void run() {
			if (isCancelled()) {
				return;
			}
			try {
				loop.readWholeFile(spec, this);
			}
			catch (Throwable t) {
				done(null, t);
			}
		}

		/** Loop thread: the request the read waits for, cancelled with the subscription. */
		private @Nullable IoRequest waiting;

		@Override
		public void waitingFor(IoRequest request) {
			waiting = request;
			if (isCancelled()) {
				loop.cancel(request);
			}
		}

		/**
		 * Cancelling asks the loop to cancel what the read waits for (an open or a read of a pipe with no
		 * writer would otherwise hold the loop, and its disposal, for good); the descriptor is still closed
		 * before the read ends, and its bytes or error are dropped.
		 */
		@Override
		public void cancel() {
			super.cancel();
			loop.executeOrRun(() -> {
				IoRequest request = waiting;
				if (request != null) {
					loop.cancel(request);
				}
			});
		}

		@Override
		public void done(byte @Nullable [] bytes, @Nullable Throwable error) {
			waiting = null;
			if (bytes != null) {
				complete(bytes);
			}
			else if (!isCancelled()) {
				actual.onError(error != null ? error : new IllegalStateException("readAllBytes failed"));
			}
			else if (error != null && !FileOp.causedByCancel(error)) {
				Operators.onErrorDropped(error, currentContext());
			}
		}
	}
}
