package dev.reactoraio.internal.flow;

import java.util.function.Consumer;

import dev.reactoraio.internal.core.IoLoop;
import org.jspecify.annotations.Nullable;

/**
 * A file operation other than a positional read or write: the work is a function given the operation,
 * which it ends with {@link FileOp#succeed} or {@link FileOp#fail}. The lifecycle, the lent buffer and
 * the signals are {@link FileOp}'s.
 *
 * @param <T> the result type ({@code Void} for operations that only complete)
 */
final class MonoFileOp<T> extends FileOp<T> {

	/** Starts the operation on the loop thread; finishes it with {@link FileOp#succeed} or {@link FileOp#fail}. */
	@FunctionalInterface
	interface Operation<T> {
		void start(FileOp<T> op);
	}

	private final IoLoop loop;
	private final Operation<T> operation;

	MonoFileOp(IoLoop loop, Operation<T> operation) {
		this(loop, operation, null, null);
	}

	/**
	 * @param discard receives a value produced after the subscriber cancelled (e.g. closes an opened file)
	 * @param lent the caller's buffer the operation uses, discarded after a cancel (see {@link FileOp})
	 */
	MonoFileOp(IoLoop loop, Operation<T> operation, @Nullable Consumer<T> discard, @Nullable Object lent) {
		super(discard, lent);
		this.loop = loop;
		this.operation = operation;
	}

	@Override
	IoLoop chooseLoop() {
		return loop;
	}

	@Override
	void start() {
		operation.start(this);
	}

	@Override
	FileOp<T> fresh() {
		return new MonoFileOp<>(loop, operation, discard, lentAtStart);
	}
}
