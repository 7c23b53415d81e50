package dev.reactoraio.internal.flow;

import java.util.function.Consumer;

import dev.reactoraio.internal.core.IoLoop;
import dev.reactoraio.internal.core.IoRequest;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * A one-shot file operation (read, write, force, size, truncate, open, close): nothing happens until
 * subscription; then the operation starts on the file's loop and its completion becomes the single
 * signal. Cancelling asks the kernel to cancel the request in flight; whatever the request holds stays
 * referenced until its completion arrives.
 *
 * @param <T> the result type ({@code Void} for operations that only complete)
 */
final class MonoFileOp<T> extends Mono<T> {

	/** Starts the operation on the loop thread; finishes it with {@link Op#succeed} or {@link Op#fail}. */
	@FunctionalInterface
	interface Operation<T> {
		void start(Op<T> op);
	}

	private final IoLoop loop;
	private final Operation<T> operation;
	private final @Nullable Consumer<T> discard;

	MonoFileOp(IoLoop loop, Operation<T> operation) {
		this(loop, operation, null);
	}

	/** {@code discard} receives a value produced after the subscriber cancelled (e.g. closes an opened file). */
	MonoFileOp(IoLoop loop, Operation<T> operation, @Nullable Consumer<T> discard) {
		this.loop = loop;
		this.operation = operation;
		this.discard = discard;
	}

	@Override
	public void subscribe(CoreSubscriber<? super T> actual) {
		Op<T> op = new Op<>(actual, loop, discard);
		actual.onSubscribe(op);
		loop.executeOrRun(() -> {
			if (op.isCancelled()) {
				return;
			}
			try {
				operation.start(op);
			}
			catch (Throwable t) {
				op.fail(t);
			}
		});
	}

	/** The subscription of one operation; its methods other than {@link #cancel} run on the loop. */
	static final class Op<T> extends Operators.MonoSubscriber<T, T> {

		private final IoLoop loop;
		private final @Nullable Consumer<T> discard;
		private @Nullable IoRequest current;
		private boolean done;

		Op(CoreSubscriber<? super T> actual, IoLoop loop, @Nullable Consumer<T> discard) {
			super(actual);
			this.loop = loop;
			this.discard = discard;
		}

		/** Loop thread: the request whose completion finishes this operation (cancelled with it). */
		void track(IoRequest request) {
			current = request;
			request.onCompletionFailure = this::fail;
		}

		/** Loop thread: emits {@code value} (or just completes for {@code null}). */
		void succeed(@Nullable T value) {
			current = null;
			if (done) {
				return;
			}
			done = true;
			if (value == null) {
				if (!isCancelled()) {
					actual.onComplete();
				}
			}
			else {
				complete(value);
			}
		}

		/** Loop thread: signals {@code error} unless the subscriber has gone. */
		void fail(Throwable error) {
			current = null;
			boolean late = done || isCancelled();
			done = true;
			if (!late) {
				actual.onError(error);
			}
			else if (!causedByCancel(error)) {
				Operators.onErrorDropped(error, currentContext());
			}
		}

		/** The kernel's answer to our own cancellation is not an error anyone needs to hear about. */
		private static boolean causedByCancel(Throwable error) {
			return error instanceof dev.reactoraio.AioIOException
					&& ((dev.reactoraio.AioIOException) error).errno() == dev.reactoraio.internal.jnr.Errno.ECANCELED;
		}

		@Override
		public void cancel() {
			super.cancel();
			loop.executeOrRun(() -> {
				IoRequest request = current;
				if (request != null) {
					loop.cancel(request);
				}
			});
		}

		@Override
		protected void discard(@Nullable T value) {
			if (value != null && discard != null) {
				discard.accept(value);
			}
			else {
				super.discard(value);
			}
		}
	}
}
