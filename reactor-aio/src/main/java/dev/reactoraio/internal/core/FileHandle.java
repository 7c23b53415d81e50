package dev.reactoraio.internal.core;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;

/**
 * An open file as its loop sees it: the descriptors (in an engine-specific subclass), what it was
 * opened for, the O_DIRECT alignment, and the loop-confined bookkeeping that makes {@code close}
 * and {@code force} safe: how many requests are outstanding, and which writes are still in flight.
 * <p>
 * <b>Lifecycle.</b> open → closing → closed. {@link IoLoop#submit} admits a request of this file only
 * while it is open, and counts it here until the request has <em>settled</em>: completed, and its
 * completion (with whatever that issued) ran. Closing starts with {@link #beginClose}: from then on
 * nothing is admitted, and the descriptors are closed once the last admitted request has settled. So
 * no request, and no continuation of one, can reach a descriptor number after close(2) gave it back
 * to the process, where another thread's file or pipe may already have it.
 * <p>
 * <b>Reads on other loops.</b> A file opened only for reading (through the page cache) may have its
 * positional reads issued by the other loops of its resources ({@link #readLoop}), so that one file's
 * reads use every loop's CPU.
 * Those loops cannot see this loop's counts; they pass the same gate through one atomic word instead
 * ({@link #admitElsewhere}, {@link #settledElsewhere}): a count of their admitted requests, and a bit
 * that {@link #beginClose} sets before it looks at the count. A read is admitted elsewhere only while
 * the bit is clear, and the file is drained only when both counts are zero, so the descriptors are
 * closed after the last request of any loop has settled, exactly as for this loop's own.
 */
public abstract class FileHandle {

	public final Path path;
	public final IoLoop loop;
	public final boolean readable;
	public final boolean writable;
	public final boolean direct;
	/** Opened with O_APPEND (whole-file writers only): writes go to the end, whatever position they name. */
	public final boolean append;
	/** Required alignment of memory addresses for O_DIRECT transfers (1 when not direct). */
	public int memoryAlignment = 1;
	/** Required alignment of file offsets and lengths for O_DIRECT transfers (1 when not direct). */
	public int offsetAlignment = 1;
	/** Where the alignment came from, for diagnostics: "statx", "sysfs", "default". */
	public String alignmentSource = "none";

	/**
	 * Loop thread: where the file is known to end (its size at open, raised by writes through this handle),
	 * or -1. Streaming reads stop reading ahead past it; a read that finds data beyond it retires the hint.
	 */
	private long sizeHint = -1;

	/** False once close was requested; read from any thread. */
	private volatile boolean open = true;

	/** {@link #elsewhere}: set by {@link #beginClose}; no loop but this one admits a request from then on. */
	private static final int CLOSED_ELSEWHERE = 1 << 31;
	private static final AtomicIntegerFieldUpdater<FileHandle> ELSEWHERE =
			AtomicIntegerFieldUpdater.newUpdater(FileHandle.class, "elsewhere");
	/** Requests admitted by other loops and not settled yet, and the {@link #CLOSED_ELSEWHERE} bit. */
	private volatile int elsewhere;
	/** The loops positional reads may go to ({@link #readLoop}); null: this file's loop alone. */
	private volatile IoLoop @Nullable [] readLoops;
	/** Round robin over {@link #readLoops} for callers outside every loop; races only skew the turns. */
	private int nextReadLoop;

	// ---- loop-confined ----
	private int outstanding;
	private boolean closing;
	private final List<Runnable> onDrained = new ArrayList<>(1);
	private long writeSeq;
	private final ArrayDeque<IoRequest> writes = new ArrayDeque<>();
	private final ArrayDeque<Barrier> barriers = new ArrayDeque<>();
	private final List<Abortable> streams = new ArrayList<>(2);
	private final ArrayDeque<Consumer<Runnable>> inTurn = new ArrayDeque<>();
	private boolean turnTaken;
	private final List<Consumer<@Nullable Throwable>> closeListeners = new ArrayList<>(1);
	private boolean closed;
	private @Nullable Throwable closeError;

	protected FileHandle(Path path, IoLoop loop, boolean readable, boolean writable, boolean direct,
			boolean append) {
		this.path = path;
		this.loop = loop;
		this.readable = readable;
		this.writable = writable;
		this.direct = direct;
		this.append = append;
	}

	public final boolean isOpen() {
		return open;
	}

	/** Loop thread: true once close started; no new request may be issued. */
	public final boolean isClosing() {
		return closing;
	}

	public final int outstanding() {
		return outstanding;
	}

	/**
	 * Loop thread. Stops new requests, aborts the streams still attached with {@code AsynchronousCloseException}
	 * (their buffers are released as their completions arrive), and runs {@code whenDrained} once every
	 * outstanding request completed.
	 */
	final void beginClose(Runnable whenDrained) {
		closing = true;
		open = false;
		int admittedElsewhere = ELSEWHERE.getAndUpdate(this, state -> state | CLOSED_ELSEWHERE) & ~CLOSED_ELSEWHERE;
		if (!streams.isEmpty()) {
			abortStreams(new java.nio.channels.AsynchronousCloseException());
		}
		onDrained.add(whenDrained);
		if (outstanding == 0 && admittedElsewhere == 0) {
			runDrained();
		}
	}

	/**
	 * Opener, loop thread, before the file is handed out: the file's positional reads may go to any of
	 * {@code loops} (which include its own), as {@link #readLoop} says. For files opened for reading alone,
	 * without O_DIRECT, that are not pipes or devices. A read of such a file is a copy from the page cache
	 * that the loop thread makes inside its submission, so one loop is one CPU of copies however many
	 * readers there are. An O_DIRECT read is the device's work: its loop only submits and reaps, and a
	 * second loop would only add hand-overs between the readers' threads (W1 at depth 128: 6.0 µs of CPU
	 * per read against 4.0).
	 */
	public final void spreadReads(List<IoLoop> loops) {
		if (writable || direct || sequential || loops.size() < 2) {
			return;
		}
		readLoops = loops.toArray(new IoLoop[0]);
	}

	/**
	 * Any thread: the loop a positional read of this file is issued on (and completes on). For a caller
	 * on one of the loops, its own, so that a reader issuing its next read from the completion of the last
	 * (a {@code flatMap} lane, a {@code repeat}) stays there with no hand-over per read; unless that loop
	 * holds clearly more of the reads than another ({@link #READ_BALANCE_SLACK}). Reactor moves readers
	 * between threads now and then (a {@code flatMap} lane that ran out of demand resumes on the thread
	 * that drains the {@code flatMap}), and without that rule every reader would end up on one loop. Other
	 * callers take the loops in turn. Files whose reads do not spread use their own loop.
	 */
	public final IoLoop readLoop() {
		IoLoop[] loops = readLoops;
		if (loops == null || loop.isEnding()) {
			return loop;
		}
		IoLoop own = null;
		IoLoop least = loop;
		for (IoLoop candidate : loops) {
			if (candidate.isEnding()) {
				continue; // resources being disposed: a loop with no file of its own may end before this file's
			}
			if (candidate.inLoop()) {
				own = candidate;
			}
			if (candidate.load() < least.load()) {
				least = candidate;
			}
		}
		if (own != null) {
			return own.load() - least.load() <= READ_BALANCE_SLACK ? own : least;
		}
		for (int tries = 0; tries < loops.length; tries++) {
			IoLoop next = loops[Math.floorMod(nextReadLoop++, loops.length)];
			if (!next.isEnding()) {
				return next;
			}
		}
		return loop;
	}

	/** How many more requests than another loop a caller's own loop may hold and still take its reads. */
	private static final int READ_BALANCE_SLACK = 4;

	/**
	 * Another loop's thread, admitting a request of this file: false once close began. A true answer
	 * must be matched by one {@link #settledElsewhere} after the request's completion ran.
	 */
	final boolean admitElsewhere() {
		while (true) {
			int state = elsewhere;
			if ((state & CLOSED_ELSEWHERE) != 0) {
				return false;
			}
			if (ELSEWHERE.compareAndSet(this, state, state + 1)) {
				return true;
			}
		}
	}

	/**
	 * Another loop's thread, after the completion of a request it admitted ran: the last one of a closing
	 * file tells this file's loop, which closes the descriptors once its own requests have settled too.
	 */
	final void settledElsewhere() {
		if (ELSEWHERE.decrementAndGet(this) == CLOSED_ELSEWHERE) {
			loop.execute(this::drainedElsewhere);
		}
	}

	/** Loop thread: the other loops' requests have all settled since close began. */
	private void drainedElsewhere() {
		if (outstanding == 0) {
			runDrained();
		}
	}

	/** Loop thread: {@code listener} receives the close outcome (null, or the first close error). */
	final void whenClosed(Consumer<@Nullable Throwable> listener) {
		if (closed) {
			listener.accept(closeError);
		}
		else {
			closeListeners.add(listener);
		}
	}

	/** Engine, loop thread: the descriptors are closed (and the file unlinked for DELETE_ON_CLOSE). */
	public final void closed(@Nullable Throwable error) {
		closed = true;
		closeError = error;
		loop.unregister(this);
		List<Consumer<@Nullable Throwable>> listeners = new ArrayList<>(closeListeners);
		closeListeners.clear();
		for (Consumer<@Nullable Throwable> listener : listeners) {
			listener.accept(error);
		}
	}

	/** Loop thread: a stream that must be told when the file closes under it. */
	public final void attach(Abortable stream) {
		streams.add(stream);
	}

	public final void detach(Abortable stream) {
		streams.remove(stream);
	}

	final void abortStreams(Throwable cause) {
		for (Abortable stream : new ArrayList<>(streams)) {
			stream.abort(cause);
		}
		streams.clear();
	}

	final void issued(IoRequest request) {
		outstanding++;
		if (request.op == IoRequest.WRITE) {
			request.writeSeq = ++writeSeq;
			writes.add(request);
		}
	}

	/**
	 * Loop thread: the file is a pipe, socket or character device, whose reads take bytes in the order
	 * they arrive whatever position they name; a stream reads it one read at a time.
	 */
	private volatile boolean sequential;

	/** Loop thread: see {@link #sequential}. */
	public final void noteSequential() {
		sequential = true;
	}

	/** Loop thread: whether reads must go one at a time to keep the bytes in order. */
	public final boolean sequential() {
		return sequential;
	}

	/** Loop thread: the size seen by statx at open. */
	public final void noteSize(long size) {
		sizeHint = append ? -1 : size;
	}

	/** Loop thread: see {@link #sizeHint}; {@code Long.MAX_VALUE} when unknown. */
	public final long sizeHint() {
		return sizeHint < 0 ? Long.MAX_VALUE : sizeHint;
	}

	/** Loop thread: data was found up to {@code end}; past the hint, the hint is stale and retires. */
	public final void noteData(long end) {
		if (sizeHint >= 0 && end > sizeHint) {
			sizeHint = -1;
		}
	}

	/** Loop thread, before the request's completion runs: sizes and write barriers. */
	final void completed(IoRequest request, long result) {
		if (request.op == IoRequest.WRITE && result > 0 && sizeHint >= 0 && !append) {
			sizeHint = Math.max(sizeHint, request.offset + result);
		}
		if (request.op == IoRequest.WRITE) {
			request.done = true;
			while (!writes.isEmpty() && writes.peek().done) {
				writes.poll();
			}
			runBarriers();
		}
	}

	/** Loop thread, after the request's completion ran: the request no longer holds the descriptors. */
	final void settled() {
		outstanding--;
		if (outstanding == 0 && closing && (elsewhere & ~CLOSED_ELSEWHERE) == 0) {
			runDrained();
		}
	}

	/**
	 * Loop thread. Runs {@code action} once every write issued so far has completed (at once if none
	 * is in flight): completions are unordered, so fsync or ftruncate must wait for them.
	 */
	public final void afterEarlierWrites(Runnable action) {
		if (writes.isEmpty()) {
			action.run();
		}
		else {
			barriers.add(new Barrier(writeSeq, action));
		}
	}

	/**
	 * Loop thread. Runs {@code task} once the tasks given before have finished, one at a time; the task
	 * calls the {@code Runnable} it receives when it is done (exactly once, whatever the outcome). For
	 * operations made of steps that must not interleave with another of their kind: two truncates each
	 * compare the size they see with their own, and the smaller one running first would let the larger
	 * one grow the file back.
	 */
	public final void oneAtATime(Consumer<Runnable> task) {
		inTurn.add(task);
		if (!turnTaken) {
			nextInTurn();
		}
	}

	private void nextInTurn() {
		Consumer<Runnable> task = inTurn.poll();
		turnTaken = task != null;
		if (task != null) {
			boolean[] finished = new boolean[1];
			Runnable done = () -> {
				if (!finished[0]) {
					finished[0] = true;
					nextInTurn();
				}
			};
			try {
				task.accept(done);
			}
			catch (RuntimeException | Error e) {
				done.run(); // the task never got going: the next one must not wait for it
				throw e;
			}
		}
	}

	private void runBarriers() {
		long lowestInFlight = writes.isEmpty() ? Long.MAX_VALUE : writes.peek().writeSeq;
		while (!barriers.isEmpty() && barriers.peek().lastWrite < lowestInFlight) {
			barriers.poll().action.run();
		}
	}

	private void runDrained() {
		List<Runnable> actions = new ArrayList<>(onDrained);
		onDrained.clear();
		actions.forEach(Runnable::run);
	}

	/** Rounds {@code value} down to the offset alignment. */
	public final long alignDown(long value) {
		return value - Math.floorMod(value, (long) offsetAlignment);
	}

	/** Rounds {@code value} up to the offset alignment. */
	public final long alignUp(long value) {
		return alignDown(value + offsetAlignment - 1);
	}

	public final boolean isAligned(long offset, long length) {
		return offset % offsetAlignment == 0 && length % offsetAlignment == 0;
	}

	private static final class Barrier {
		final long lastWrite;
		final Runnable action;

		Barrier(long lastWrite, Runnable action) {
			this.lastWrite = lastWrite;
			this.action = action;
		}
	}
}
