package dev.reactoraio.internal.flow;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.Consumer;

import dev.reactoraio.AioIOException;
import dev.reactoraio.internal.core.IoLoop;
import dev.reactoraio.internal.core.IoRequest;
import dev.reactoraio.internal.jnr.Errno;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * A one-shot file operation (read, write, force, size, truncate, open, close): nothing happens until
 * subscription; then the operation starts on the file's loop and its completion becomes the single
 * signal. Cancelling asks the kernel to cancel the request in flight; whatever the request holds stays
 * referenced until its completion arrives.
 * <p>
 * <b>A lent buffer</b> (the caller's buffer of a read or write) is the operation's from subscription
 * until one of three things: the value or error signal (it is the caller's again), or, when the
 * subscriber cancelled, the moment the kernel is done with it, when it is handed to Reactor's discard
 * hook ({@code doOnDiscard(ByteBuffer.class, …)}). Exactly one of the three happens. Cancel and
 * completion race for the result through {@link Op#claim}: if cancel wins, the completion changes
 * nothing the caller can see (no copy into the buffer, no position moved) and discards the buffer; if
 * the completion wins, a cancel from another thread returns only after the completion's effects on the
 * buffer are done, so that after {@code cancel()} returns the buffer no longer changes, and the value it
 * prevented from being delivered is discarded together with the buffer.
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
	private final @Nullable Object lent;

	MonoFileOp(IoLoop loop, Operation<T> operation) {
		this(loop, operation, null, null);
	}

	/**
	 * @param discard receives a value produced after the subscriber cancelled (e.g. closes an opened file)
	 * @param lent the caller's buffer the operation uses, discarded after a cancel (see the class comment)
	 */
	MonoFileOp(IoLoop loop, Operation<T> operation, @Nullable Consumer<T> discard, @Nullable Object lent) {
		this.loop = loop;
		this.operation = operation;
		this.discard = discard;
		this.lent = lent;
	}

	@Override
	public void subscribe(CoreSubscriber<? super T> actual) {
		Op<T> op = new Op<>(actual, loop, discard, lent);
		actual.onSubscribe(op);
		loop.executeOrRun(() -> {
			if (op.claimState == Op.CANCELLED) {
				op.discardLent();
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
	static class Op<T> extends Operators.MonoSubscriber<T, T> implements Consumer<Throwable> {

		static final int ACTIVE = 0;
		static final int CANCELLED = 1;
		/** The completion took the result and is applying it to the lent buffer. */
		static final int CLAIMED = 2;
		static final int DONE = 3;

		@SuppressWarnings("rawtypes")
		private static final AtomicIntegerFieldUpdater<Op> CLAIM =
				AtomicIntegerFieldUpdater.newUpdater(Op.class, "claimState");
		@SuppressWarnings("rawtypes")
		private static final AtomicReferenceFieldUpdater<Op, Object> LENT =
				AtomicReferenceFieldUpdater.newUpdater(Op.class, Object.class, "lent");

		volatile int claimState;
		/** The caller's buffer until it is back in the caller's hands or discarded. */
		volatile @Nullable Object lent;

		private final IoLoop loop;
		private final @Nullable Consumer<T> discard;
		private @Nullable IoRequest current;

		Op(CoreSubscriber<? super T> actual, IoLoop loop, @Nullable Consumer<T> discard, @Nullable Object lent) {
			super(actual);
			this.loop = loop;
			this.discard = discard;
			this.lent = lent;
		}

		/** Loop thread: the request whose completion finishes this operation (cancelled with it). */
		void track(IoRequest request) {
			current = request;
			request.onCompletionFailure = this;
		}

		/** The request's completion threw: the operation fails (see {@link IoRequest#onCompletionFailure}). */
		@Override
		public void accept(Throwable error) {
			fail(error);
		}

		/**
		 * Loop thread, in a completion: takes the result before touching the lent buffer. False when the
		 * subscriber cancelled first: the buffer has then gone to the discard hook and must stay untouched.
		 */
		boolean claim() {
			current = null;
			int state = claimState;
			if (state == CLAIMED) {
				return true;
			}
			if (state == ACTIVE && CLAIM.compareAndSet(this, ACTIVE, CLAIMED)) {
				return true;
			}
			if (state == CANCELLED) {
				discardLent();
			}
			return false;
		}

		/**
		 * Loop thread: emits {@code value} (or just completes for {@code null}). A value the subscriber
		 * cancelled before receiving goes to the discard hook, and the lent buffer with it.
		 */
		void succeed(@Nullable T value) {
			if (!claim()) {
				if (value != null && discard != null) {
					discard.accept(value);
				}
				return;
			}
			claimState = DONE;
			if (value != null) {
				complete(value);
			}
			else if (!isCancelled()) {
				LENT.set(this, null);
				actual.onComplete();
			}
			else {
				discardLent();
			}
		}

		/** Loop thread: signals {@code error} unless the subscriber has gone (then the lent buffer is discarded). */
		void fail(Throwable error) {
			boolean claimed = claim();
			if (claimed && !isCancelled()) {
				claimState = DONE;
				LENT.set(this, null);
				actual.onError(error);
				return;
			}
			if (claimed) {
				claimState = DONE;
				discardLent();
			}
			if (!causedByCancel(error)) {
				Operators.onErrorDropped(error, currentContext());
			}
		}

		/** The kernel's answer to our own cancellation is not an error anyone needs to hear about. */
		static boolean causedByCancel(Throwable error) {
			return error instanceof AioIOException && ((AioIOException) error).errno() == Errno.ECANCELED;
		}

		/** Once the operation can no longer use it: the lent buffer goes to the discard hook (at most once). */
		void discardLent() {
			Object buffer = LENT.getAndSet(this, null);
			if (buffer instanceof Object[]) {
				for (Object each : (Object[]) buffer) {
					Operators.onDiscard(each, currentContext()); // the buffers of a scattering read or gathering write
				}
			}
			else if (buffer != null) {
				Operators.onDiscard(buffer, currentContext());
			}
		}

		/**
		 * A cancel that comes first wins the result ({@link #claim} then fails); one that comes while the
		 * completion applies the result lets it finish, so that the buffer no longer changes once this
		 * returns, and the value, not delivered, is discarded with the lent buffer.
		 */
		@Override
		public void cancel() {
			while (claimState == ACTIVE && !CLAIM.compareAndSet(this, ACTIVE, CANCELLED)) {
				Thread.onSpinWait();
			}
			super.cancel();
			if (!loop.inLoop()) {
				while (claimState == CLAIMED) {
					Thread.onSpinWait(); // the completion is copying into the lent buffer: microseconds
				}
			}
			loop.executeOrRun(() -> {
				IoRequest request = current;
				if (request != null) {
					loop.cancel(request);
				}
			});
		}

		/** A value produced and not delivered (the subscriber cancelled): discarded, with the lent buffer. */
		@Override
		protected void discard(@Nullable T value) {
			if (value == null) {
				return;
			}
			discardLent();
			if (discard != null) {
				discard.accept(value);
			}
			else {
				super.discard(value);
			}
		}
	}
}
