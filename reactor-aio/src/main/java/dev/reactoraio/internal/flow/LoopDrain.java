package dev.reactoraio.internal.flow;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;

import dev.reactoraio.internal.core.Abortable;
import dev.reactoraio.internal.core.IoLoop;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;

/**
 * The subscription side of a stream whose work is confined to one loop: {@code request}, {@code cancel}
 * and {@code abort} come from any thread and schedule one serialized {@link #drainOnce()} on the loop
 * (run at once when the caller is the loop thread). A drain that throws, an {@code Error} included, goes
 * to {@link #drainFailed} so that the subscriber hears of it.
 *
 * @param <T> the elements of the stream
 */
abstract class LoopDrain<T> implements Subscription, Runnable, Abortable, java.util.function.Consumer<Throwable> {

	@SuppressWarnings("rawtypes")
	private static final AtomicLongFieldUpdater<LoopDrain> REQUESTED =
			AtomicLongFieldUpdater.newUpdater(LoopDrain.class, "requested");
	@SuppressWarnings("rawtypes")
	private static final AtomicIntegerFieldUpdater<LoopDrain> WIP =
			AtomicIntegerFieldUpdater.newUpdater(LoopDrain.class, "wip");

	volatile long requested;
	volatile int wip;
	volatile boolean cancelled;
	volatile @Nullable Throwable invalidRequest;
	/** Dropped at once by cancel (§3.13), otherwise on the loop when the stream terminates. */
	volatile @Nullable CoreSubscriber<? super T> actual;

	final IoLoop loop;

	// ---- loop-confined ----
	/** The first {@link #abort} cause, signalled by the next drain. */
	@Nullable Throwable error;

	LoopDrain(CoreSubscriber<? super T> actual, IoLoop loop) {
		this.actual = actual;
		this.loop = loop;
	}

	/** Loop thread: one pass of the stream's work (emit, issue, terminate). */
	abstract void drainOnce();

	/** Loop thread: {@link #drainOnce()} threw {@code failure}; end the stream with it. */
	abstract void drainFailed(Throwable failure);

	@Override
	public final void request(long n) {
		if (n <= 0) {
			invalidRequest = new IllegalArgumentException("§3.9 violated: positive request amount required but it was " + n);
		}
		else {
			Operators.addCap(REQUESTED, this, n);
		}
		schedule();
	}

	@Override
	public final void cancel() {
		if (!cancelled) {
			cancelled = true;
			actual = null;
			schedule();
		}
	}

	/** A request's completion threw (its {@code onCompletionFailure}): the stream aborts with it. */
	@Override
	public final void accept(Throwable cause) {
		abort(cause);
	}

	@Override
	public final void abort(Throwable cause) {
		if (error == null) {
			error = cause;
		}
		schedule();
	}

	/** Runs a drain on the loop: now when called there and no drain runs, else after the running one. */
	final void schedule() {
		if (WIP.getAndIncrement(this) == 0) {
			if (loop.inLoop()) {
				drain();
			}
			else {
				loop.execute(this);
			}
		}
	}

	@Override
	public final void run() {
		drain();
	}

	/** Loop thread: {@code n} elements were emitted. */
	final void produced(long n) {
		Operators.produced(REQUESTED, this, n);
	}

	private void drain() {
		int missed = 1;
		do {
			try {
				drainOnce();
			}
			catch (Throwable t) {
				drainFailed(t);
			}
			missed = WIP.addAndGet(this, -missed);
		}
		while (missed != 0);
	}
}
