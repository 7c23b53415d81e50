package dev.reactoraio.internal.flow;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.Consumer;

import dev.reactoraio.AioIOException;
import dev.reactoraio.internal.core.IoLoop;
import dev.reactoraio.internal.core.IoRequest;
import dev.reactoraio.internal.jnr.Errno;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * A one-shot file operation (read, write, force, size, truncate, open, close): nothing happens until
 * subscription; then the operation starts on its loop and its completion becomes the single signal.
 * Cancelling asks the kernel to cancel the request in flight; whatever the request holds stays
 * referenced until its completion arrives.
 * <p>
 * <b>One object.</b> The Mono is its own first subscription, the task that starts the operation on the
 * loop and (for reads and writes) the completion of its request: subscribing it once allocates nothing
 * more, and handing it to the loop from another thread takes no queue node ({@link IoLoop.Task}). A
 * second subscription subscribes a fresh copy ({@link #fresh}), so that every subscriber gets its own
 * operation, as with any cold Mono.
 * <p>
 * <b>A lent buffer</b> (the caller's buffer of a read or write) is the operation's from subscription
 * until one of three things: the value or error signal (it is the caller's again), or, when the
 * subscriber cancelled, the moment the kernel is done with it, when it is handed to Reactor's discard
 * hook ({@code doOnDiscard(ByteBuffer.class, …)}). Exactly one of the three happens. Cancel and
 * completion race for the result through {@link #claim}: if cancel wins, the completion changes
 * nothing the caller can see (no copy into the buffer, no position moved) and discards the buffer; if
 * the completion wins, a cancel from another thread returns only after the completion's effects on the
 * buffer are done, so that after {@code cancel()} returns the buffer no longer changes, and the value it
 * prevented from being delivered is discarded together with the buffer.
 * <p>
 * <b>Signals.</b> The value waits for demand when it comes first. Every transition of
 * {@link #signalState} is a compare-and-set, so a value is delivered or discarded exactly once whatever
 * request, cancel and the completion race. The subscription offers no fusion (as Reactor's own
 * {@code MonoSubscriber}): a fusable subscription is a {@code java.util.Queue}, and a Mono that is also a
 * {@code Collection} is taken for one by code that looks at values (a discard hook iterating it, Spring's
 * {@code Conventions}, loggers, JSON encoders).
 *
 * @param <T> the result type ({@code Void} for operations that only complete)
 */
abstract class FileOp<T> extends Mono<T> implements Subscription, IoLoop.Task, Consumer<Throwable> {

	// claimState: who owns the result (and the lent buffer)
	static final int ACTIVE = 0;
	static final int CANCELLED = 1;
	/** The completion took the result and is applying it to the lent buffer. */
	static final int CLAIMED = 2;
	static final int DONE = 3;

	// signalState: the value and the subscriber's demand
	private static final int IDLE = 0;
	private static final int REQUESTED = 1;
	/** A value waits for demand. */
	private static final int HELD = 2;
	private static final int EMITTED = 3;
	private static final int GONE = 4;

	@SuppressWarnings("rawtypes")
	private static final AtomicIntegerFieldUpdater<FileOp> SUBSCRIBED =
			AtomicIntegerFieldUpdater.newUpdater(FileOp.class, "subscribed");
	@SuppressWarnings("rawtypes")
	private static final AtomicIntegerFieldUpdater<FileOp> CLAIM =
			AtomicIntegerFieldUpdater.newUpdater(FileOp.class, "claimState");
	@SuppressWarnings("rawtypes")
	private static final AtomicIntegerFieldUpdater<FileOp> SIGNAL =
			AtomicIntegerFieldUpdater.newUpdater(FileOp.class, "signalState");
	@SuppressWarnings("rawtypes")
	private static final AtomicReferenceFieldUpdater<FileOp, Object> LENT =
			AtomicReferenceFieldUpdater.newUpdater(FileOp.class, Object.class, "lent");

	private volatile int subscribed;
	volatile int claimState;
	private volatile int signalState;
	/** The caller's buffer until it is back in the caller's hands or discarded. */
	private volatile @Nullable Object lent;
	/** The value between the completion and its delivery (guarded by {@link #signalState}). */
	private @Nullable T value;
	private @Nullable CoreSubscriber<? super T> actual;
	private @Nullable IoLoop loop;
	final @Nullable Consumer<T> discard;
	/** The caller's buffer as lent at the start, for {@link #fresh} ({@link #lent} forgets it once it is back). */
	final @Nullable Object lentAtStart;
	/** Loop thread: the request whose completion finishes this operation (cancelled with it). */
	private @Nullable IoRequest current;
	private IoLoop.@Nullable Task nextTask;

	/**
	 * @param discard receives a value produced after the subscriber cancelled (e.g. closes an opened file)
	 * @param lent the caller's buffer the operation uses, discarded after a cancel (see the class comment)
	 */
	FileOp(@Nullable Consumer<T> discard, @Nullable Object lent) {
		this.discard = discard;
		this.lent = lent;
		this.lentAtStart = lent;
	}

	/** The loop the operation runs on, chosen at subscription. */
	abstract IoLoop chooseLoop();

	/** Loop thread: starts the operation; it ends with {@link #succeed} or {@link #fail}. */
	abstract void start();

	/** The same operation, not yet subscribed, for a second subscriber. */
	abstract FileOp<T> fresh();

	@Override
	public final void subscribe(CoreSubscriber<? super T> subscriber) {
		if (subscribed != 0 || !SUBSCRIBED.compareAndSet(this, 0, 1)) {
			fresh().subscribe(subscriber);
			return;
		}
		IoLoop chosen;
		try {
			chosen = chooseLoop();
		}
		catch (RuntimeException e) {
			Operators.error(subscriber, e);
			return;
		}
		loop = chosen;
		actual = subscriber;
		subscriber.onSubscribe(this);
		chosen.executeOrRun(this);
	}

	/** The task the loop runs once: starts the operation unless the subscriber cancelled first. */
	@Override
	public final void run() {
		if (claimState == CANCELLED) {
			discardLent();
			return;
		}
		try {
			start();
		}
		catch (Throwable t) {
			fail(t);
		}
	}

	@Override
	public final IoLoop.@Nullable Task nextTask() {
		return nextTask;
	}

	@Override
	public final void nextTask(IoLoop.@Nullable Task next) {
		nextTask = next;
	}

	final IoLoop loop() {
		return java.util.Objects.requireNonNull(loop);
	}

	final Context currentContext() {
		CoreSubscriber<? super T> a = actual;
		return a != null ? a.currentContext() : Context.empty();
	}

	/** Loop thread: the request whose completion finishes this operation (cancelled with it). */
	final void track(IoRequest request) {
		current = request;
		request.onCompletionFailure = this;
	}

	/** The request's completion threw: the operation fails (see {@link IoRequest#onCompletionFailure}). */
	@Override
	public final void accept(Throwable error) {
		fail(error);
	}

	/**
	 * Loop thread, in a completion: takes the result before touching the lent buffer. False when the
	 * subscriber cancelled first: the buffer has then gone to the discard hook and must stay untouched.
	 */
	final boolean claim() {
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
	 * Loop thread: emits {@code result} (or just completes for {@code null}). A value the subscriber
	 * cancelled before receiving goes to the discard hook, and the lent buffer with it.
	 */
	final void succeed(@Nullable T result) {
		if (!claim()) {
			if (result != null && discard != null) {
				discard.accept(result);
			}
			return;
		}
		claimState = DONE;
		if (result != null) {
			emit(result);
		}
		else {
			end(null);
		}
	}

	/** Loop thread: signals {@code error} unless the subscriber has gone (then the lent buffer is discarded). */
	final void fail(Throwable error) {
		if (claim()) {
			claimState = DONE;
			if (end(error)) {
				return;
			}
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
	final void discardLent() {
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
	 * Takes the right to the terminal signal of an operation without a value (a completion or an error):
	 * false once the subscriber cancelled, whose lent buffer then goes to the discard hook instead. A
	 * compare-and-set, so that a cancel racing the signal either comes first (and gets the buffer) or
	 * finds the signal given.
	 */
	private boolean terminate() {
		for (;;) {
			int state = signalState;
			if (state == GONE || state == EMITTED) {
				return false;
			}
			if (SIGNAL.compareAndSet(this, state, EMITTED)) {
				return true;
			}
		}
	}

	/**
	 * The terminal signal of an operation without a value: a completion ({@code error} null) or an error.
	 * False when the subscriber cancelled first; its lent buffer has then gone to the discard hook.
	 */
	private boolean end(@Nullable Throwable error) {
		if (!terminate()) {
			discardLent();
			return false;
		}
		LENT.set(this, null);
		CoreSubscriber<? super T> a = release();
		if (error == null) {
			a.onComplete();
		}
		else {
			a.onError(error);
		}
		return true;
	}

	/** The value and completion, once the caller took the right to them from {@link #signalState}. */
	private void deliver(T v) {
		LENT.set(this, null);
		CoreSubscriber<? super T> a = release();
		a.onNext(v);
		a.onComplete();
	}

	/**
	 * The subscriber, for the terminal signal, which the caller has just taken: the Mono forgets it, so that
	 * a Mono kept after it ran (in a field, a cache, a {@code repeat}) does not keep its first subscriber's
	 * chain alive. Nothing after the terminal signal needs it: no value or buffer is left to discard.
	 */
	private CoreSubscriber<? super T> release() {
		CoreSubscriber<? super T> a = java.util.Objects.requireNonNull(actual);
		actual = null;
		return a;
	}

	/** The value, delivered now if demand waits for it, else held for {@link #request}. */
	private void emit(T result) {
		for (;;) {
			int state = signalState;
			if (state == REQUESTED) {
				if (SIGNAL.compareAndSet(this, REQUESTED, EMITTED)) {
					deliver(result);
					return;
				}
			}
			else if (state == IDLE) {
				value = result;
				if (SIGNAL.compareAndSet(this, IDLE, HELD)) {
					return;
				}
				value = null;
			}
			else {
				dropValue(result); // cancelled
				return;
			}
		}
	}

	@Override
	public final void request(long n) {
		if (!Operators.validate(n)) {
			return;
		}
		for (;;) {
			int state = signalState;
			if (state == IDLE) {
				if (SIGNAL.compareAndSet(this, IDLE, REQUESTED)) {
					return;
				}
			}
			else if (state == HELD) {
				if (SIGNAL.compareAndSet(this, HELD, EMITTED)) {
					deliver(takeValue());
				}
				return;
			}
			else {
				return;
			}
		}
	}

	/**
	 * A cancel that comes first wins the result ({@link #claim} then fails); one that comes while the
	 * completion applies the result lets it finish, so that the buffer no longer changes once this
	 * returns, and the value, not delivered, is discarded with the lent buffer.
	 */
	@Override
	public final void cancel() {
		while (claimState == ACTIVE && !CLAIM.compareAndSet(this, ACTIVE, CANCELLED)) {
			Thread.onSpinWait();
		}
		for (;;) {
			int state = signalState;
			if (state == EMITTED || state == GONE) {
				break;
			}
			if (SIGNAL.compareAndSet(this, state, GONE)) {
				if (state == HELD) {
					dropValue(takeValue());
				}
				break;
			}
		}
		IoLoop l = loop();
		if (!l.inLoop()) {
			while (claimState == CLAIMED) {
				Thread.onSpinWait(); // the completion is copying into the lent buffer: microseconds
			}
		}
		l.executeOrRun(() -> {
			IoRequest request = current;
			if (request != null) {
				l.cancel(request);
			}
		});
	}

	/** True once the subscriber cancelled. */
	final boolean isCancelled() {
		return signalState == GONE;
	}

	private T takeValue() {
		T v = java.util.Objects.requireNonNull(value);
		value = null;
		return v;
	}

	/** A value produced and not delivered (the subscriber cancelled): discarded, with the lent buffer. */
	private void dropValue(T v) {
		discardLent();
		if (discard != null) {
			discard.accept(v);
		}
		else {
			Operators.onDiscard(v, currentContext());
		}
	}
}
