package dev.reactoraio.internal.core;

import java.io.IOException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.ToLongFunction;

import dev.reactoraio.internal.jnr.Errno;
import org.jspecify.annotations.Nullable;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * One event loop: a thread that owns an I/O engine (an io_uring ring, a kernel AIO context, or the
 * hand-off to a FileChannel pool) and runs every publisher's state machine for the files bound to it.
 * <p>
 * <b>Capacity.</b> At most {@link #capacity()} requests are in flight at once; the engine sizes it
 * so that its completion queue can never overflow. A request issued while the loop is full waits in
 * {@code waiting}, in arrival order. Nothing enters that queue except on behalf of a subscriber that
 * asked for it, so the queue is bounded by outstanding demand.
 * <p>
 * <b>Hand-off.</b> Other threads reach the loop through {@link #execute}: an MPSC queue plus an
 * engine-specific wake-up (an eventfd write, or unpark) that is only paid when the loop sleeps. A
 * {@link Task} is its own link in that queue: handing one over allocates nothing.
 */
public abstract class IoLoop implements Executor {

	/**
	 * A task that links itself into the loop's queue (a file operation, which is also its subscription):
	 * given to {@link #execute} at most once at a time, until the loop took it.
	 */
	public interface Task extends Runnable {

		/** The task after this one in the queue (the queue's own field: only the queue uses it). */
		@Nullable Task nextTask();

		void nextTask(@Nullable Task next);
	}

	private static final Logger log = Loggers.getLogger(IoLoop.class);

	static {
		// Error paths must work when the process is out of descriptors (EMFILE): loading a class from a jar
		// needs one, so load the classes that turn errors into exceptions before anything can fail.
		IoErrors.preload();
	}

	private static final int AWAKE = 0;
	private static final int SLEEPING = 1;
	private static final AtomicIntegerFieldUpdater<IoLoop> STATE =
			AtomicIntegerFieldUpdater.newUpdater(IoLoop.class, "state");

	protected final String name;
	protected final BlockingPool blockingPool;
	public final BufferPool buffers;
	public final LoopStats stats = new LoopStats();

	private final TaskQueue tasks = new TaskQueue();
	private volatile int state;
	private volatile boolean terminated;
	private final IoThread thread;
	private final CompletableFuture<Void> started = new CompletableFuture<>();
	private final CompletableFuture<Void> terminatedFuture = new CompletableFuture<>();

	// ---- loop-confined ----
	private final ArrayDeque<IoRequest> waiting = new ArrayDeque<>();
	private IoRequest[] slots = new IoRequest[0];
	private int[] slotGeneration = new int[0];
	private int[] freeSlots = new int[0];
	private int freeTop;
	private int capacity;
	private int inFlight;
	/** {@code inFlight} plus the requests waiting for room, as other threads may read it ({@link #load()}). */
	private volatile int load;
	private static final AtomicIntegerFieldUpdater<IoLoop> LOAD = AtomicIntegerFieldUpdater.newUpdater(IoLoop.class, "load");
	private int peakInFlight;
	private long submitted;
	private long completed;
	private long offloaded;
	private long failed;
	private long latencyNanos;
	private final Set<FileHandle> files = new LinkedHashSet<>();
	/** Reads whose completion ran, to hand out again (loop thread), at most {@link #SPARE_REQUESTS}. */
	private final ArrayDeque<IoRequest> spareRequests = new ArrayDeque<>();
	private static final int SPARE_REQUESTS = 1024;
	/** Direct descriptors open (loop thread), see {@link #directOpened}. */
	private int directOpen;
	private boolean shuttingDown;
	/** Pool tasks that hold no slot (opening, sysfs) and will still hand a continuation back. */
	private int outsideWork;

	// The thread gets this::run but starts only in start(), after every constructor ran.
	@SuppressWarnings("this-escape")
	protected IoLoop(String name, BlockingPool blockingPool, boolean nativeEngine) {
		this.name = name;
		this.blockingPool = blockingPool;
		this.buffers = new BufferPool(nativeEngine);
		this.thread = new IoThread(this::run, name);
	}

	/** Starts the thread and waits until the engine is set up; rethrows the engine's setup failure. */
	public final void start() {
		thread.start();
		try {
			started.join();
		}
		catch (java.util.concurrent.CompletionException e) {
			throw e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause()
					: new IllegalStateException(name + ": engine setup failed", e.getCause());
		}
	}

	public final String name() {
		return name;
	}

	/** Maximum number of requests in flight at once. */
	public final int capacity() {
		return capacity;
	}

	protected final Thread loopThread() {
		return thread;
	}

	public final boolean inLoop() {
		return Thread.currentThread() == thread;
	}

	@Override
	public final void execute(Runnable task) {
		tasks.offer(task);
		if (terminated) {
			runOrphans();
		}
		else if (state == SLEEPING && STATE.compareAndSet(this, SLEEPING, AWAKE)) {
			wakeup();
		}
	}

	/**
	 * Runs tasks handed over after the loop ended, on the caller's thread. The loop's state is final
	 * by then (every file closed, nothing in flight), so such tasks only find that and fail fast.
	 */
	private synchronized void runOrphans() {
		Runnable task;
		while ((task = tasks.poll()) != null) {
			try {
				task.run();
			}
			catch (Throwable t) {
				log.error(name + ": task after termination threw", t);
			}
		}
	}

	/** Runs {@code task} now when called on the loop, otherwise hands it over. */
	public final void executeOrRun(Runnable task) {
		if (inLoop()) {
			task.run();
		}
		else {
			execute(task);
		}
	}

	// ---- engine SPI ----

	/** On the loop thread, before anything else: create the ring/context; return the capacity. */
	protected abstract int init() throws Exception;

	/** Puts an issued request into the kernel (or the pool); it must come back through {@link #complete}. */
	protected abstract void issue(IoRequest request);

	/** Best effort: ask the kernel to cancel an issued request. Its completion still arrives. */
	protected abstract void cancelIssued(IoRequest request);

	/**
	 * One engine turn: submit what was queued, wait for at least one completion if {@code mayBlock}
	 * (the engine must then be woken by {@link #wakeup}), and deliver completions.
	 */
	protected abstract void runIo(boolean mayBlock);

	/** Called from another thread when work was queued while the loop slept. */
	protected abstract void wakeup();

	/** On the loop thread, after the last request completed: release the ring/context. */
	protected abstract void destroy();

	/** Opens a file on this loop; {@code callback} runs on the loop. */
	public abstract void open(OpenSpec spec, OpenCallback callback);

	/** Loop thread: the current size of an open file. */
	public abstract void size(FileHandle file, SizeCallback callback);

	/**
	 * Loop thread: reads the whole file {@code spec} names, as {@code Files.readAllBytes} does (its
	 * exceptions, its growth when the file grows while read). Here a task of the blocking pool holding one
	 * slot; engines that can do better (io_uring) override it.
	 */
	public void readWholeFile(OpenSpec spec, WholeFileCallback callback) {
		byte[][] bytes = new byte[1][];
		IoRequest request = new IoRequest(IoRequest.BLOCKING, null, (r, result) -> {
			Throwable failure = r.failure;
			if (failure != null || bytes[0] == null) {
				callback.done(null, failure != null ? failure : IoErrors.of(r, result));
			}
			else {
				callback.done(bytes[0], null);
			}
		});
		request.blocking = r -> {
			try {
				bytes[0] = WholeFiles.readBlocking(spec);
				return bytes[0].length;
			}
			catch (IOException e) {
				throw new java.io.UncheckedIOException(e);
			}
		};
		request.onCompletionFailure = t -> callback.done(null, t);
		submit(request);
	}

	/** A description of the engine for diagnostics and the log, e.g. flags of the ring. */
	public abstract String describe();

	/**
	 * Whether {@link #openWithHead} reads the head of a file in the open's own submission (io_uring with
	 * direct descriptors and IORING_OP_FIXED_FD_INSTALL, 6.8); otherwise it only opens.
	 */
	public boolean headChains() {
		return false;
	}

	/**
	 * Loop thread: opens {@code spec} for reading and, where {@link #headChains()}, reads its first
	 * {@code length} bytes in the same submission: a small file is then read whole, and closed, before
	 * {@code callback} hears of it. Here, only the open. Returns the chain (which the caller may cancel
	 * until the callback hears of it), or null when it only opens.
	 */
	public @Nullable IoRequest openWithHead(OpenSpec spec, int length, HeadCallback callback) {
		open(spec, callback);
		return null;
	}

	/**
	 * Whether this loop reads a whole small file in one linked submission ({@link IoRequest#OPEN_READ}):
	 * io_uring where the kernel opens into direct descriptors.
	 */
	public boolean wholeFileChains() {
		return false;
	}

	/** The descriptor of an open file an engine reports to the diagnostics, or -1. */
	public int descriptorOf(FileHandle file) {
		return -1;
	}

	// ---- requests ----

	/**
	 * Loop thread. Issues {@code request} now if the loop has room, otherwise queues it behind those
	 * already waiting. Never fails for lack of room.
	 * <p>
	 * <b>The admission gate.</b> This is the only way a request of a file reaches an engine. Once the file
	 * started closing, a request is refused here: its completion runs at once with
	 * {@code AsynchronousCloseException}, whoever issues it (a subscriber, or a continuation: the next
	 * chunks of a stream, truncate after its size query, force after earlier writes). A request admitted
	 * before stays counted by the file until its completion (and whatever that completion issued) ran, and
	 * only then may the file's descriptors be closed; see {@link FileHandle}. A read of a file whose
	 * reads spread over the loops may be submitted on a loop that is not the file's: it passes the same
	 * gate through the file's atomic count ({@link FileHandle#admitElsewhere}).
	 */
	public final void submit(IoRequest request) {
		FileHandle file = request.file;
		if (file != null) {
			if (file.loop != this) {
				if (!file.admitElsewhere()) { // a read of a file whose reads spread (FileHandle#readLoop)
					// it never started: the exception of an operation on a closed channel, as DefaultAsyncFile's
					// own check (which the file's loop runs in the same task as this gate) gives
					refuse(request, new ClosedChannelException());
					return;
				}
			}
			else if (file.isClosing()) {
				refuse(request, new AsynchronousCloseException());
				return;
			}
			else {
				file.issued(request);
			}
		}
		submitted++;
		if (inFlight + request.completions <= capacity && waiting.isEmpty()) {
			start(request);
		}
		else {
			waiting.add(request);
			LOAD.lazySet(this, inFlight + waiting.size());
		}
	}

	/** Completes a request of a closing file without issuing it, with {@code failure}. */
	private void refuse(IoRequest request, ClosedChannelException failure) {
		request.failure = failure;
		deliver(request, -Errno.EBADF);
	}

	/**
	 * Loop thread. The request will complete (with {@code -ECANCELED} if it never started). A chain in
	 * flight is cancelled step by step where the engine can, and completes with its last step, which
	 * releases what the first acquired.
	 */
	public final void cancel(IoRequest request) {
		if (request.cancelled) {
			return;
		}
		request.cancelled = true;
		if (request.slot >= 0) {
			cancelIssued(request);
		}
	}

	private void start(IoRequest request) {
		FileHandle file = request.file;
		// isOpen: the file's loop and another loop alike (it turns false as close begins, before the bit that
		// stops other loops' admissions is set)
		if (request.cancelled || terminated || file != null && !file.isOpen()) {
			if (!request.cancelled && !terminated) {
				// admitted before close began, still waiting for room: close wins, the descriptor is not used
				request.failure = new AsynchronousCloseException();
			}
			if (request.results != null) {
				java.util.Arrays.fill(request.results, -Errno.ECANCELED);
			}
			finish(request, -Errno.ECANCELED);
			return;
		}
		int slot = freeSlots[--freeTop];
		slots[slot] = request;
		request.slot = slot;
		request.pending = request.completions;
		inFlight += request.completions;
		LOAD.lazySet(this, inFlight + waiting.size());
		if (inFlight > peakInFlight) {
			peakInFlight = inFlight;
		}
		request.issuedAt = System.nanoTime();
		java.util.function.ToLongFunction<IoRequest> work = request.blocking;
		if (request.op == IoRequest.BLOCKING && work != null) {
			offload(request, work);
		}
		else {
			issue(request);
		}
	}

	/** Bits 30-31 of a token: the step of a chain a completion belongs to. */
	private static final int STEP_SHIFT = 30;
	private static final int SLOT_MASK = (1 << STEP_SHIFT) - 1;

	/** The token an engine stores in user_data / aio_data: generation and slot. */
	protected final long token(IoRequest request) {
		return ((long) slotGeneration[request.slot] << 32) | request.slot;
	}

	/** The token of step {@code step} of a chain (the first step's is {@link #token}). */
	protected final long token(IoRequest request, int step) {
		return token(request) | ((long) step << STEP_SHIFT);
	}

	/** Engine: the request in flight under {@code token}, or null. */
	protected final @Nullable IoRequest inFlightRequest(long token) {
		int slot = (int) token & SLOT_MASK;
		if (slot < 0 || slot >= slots.length || slotGeneration[slot] != (int) (token >>> 32)) {
			return null;
		}
		return slots[slot];
	}

	/**
	 * Engine: a completion arrived for {@code token}. Stale tokens (never expected) are ignored. A chain
	 * finishes with its last completion, and only then returns its units of capacity: so no more chains
	 * are in flight than capacity / steps, and what an engine holds per chain (a direct descriptor slot)
	 * is bounded by that.
	 */
	protected final void complete(long token, long result) {
		int slot = (int) token & SLOT_MASK;
		if (slot < 0 || slot >= slots.length || slots[slot] == null
				|| slotGeneration[slot] != (int) (token >>> 32)) {
			log.warn("{}: completion for unknown token {} (result {})", name, token, result);
			return;
		}
		IoRequest request = slots[slot];
		long[] results = request.results;
		if (results != null) {
			results[(int) token >>> STEP_SHIFT] = result;
			if (--request.pending > 0) {
				return;
			}
			result = request.chainOutcome();
		}
		retired(request);
		inFlight -= request.completions;
		LOAD.lazySet(this, inFlight + waiting.size());
		slots[slot] = null;
		slotGeneration[slot]++;
		freeSlots[freeTop++] = slot;
		request.slot = -1;
		finish(request, result);
		while (!waiting.isEmpty() && inFlight + waiting.peek().completions <= capacity) {
			start(waiting.poll());
		}
	}

	/** Engine, loop thread: every completion of a request arrived; release what the engine held for it. */
	protected void retired(IoRequest request) {
		// nothing by default
	}

	/**
	 * The end of an admitted request: the file's bookkeeping (write barriers), the completion, then the
	 * file learns the request has settled. In that order, so that whatever the completion issues is
	 * admitted (or refused) before a closing file can see itself drained and close its descriptors.
	 */
	private void finish(IoRequest request, long result) {
		completed++;
		if (result < 0) {
			failed++;
		}
		if (request.issuedAt != 0) {
			latencyNanos += System.nanoTime() - request.issuedAt;
		}
		FileHandle file = request.file;
		boolean home = file != null && file.loop == this;
		if (home) {
			file.completed(request, result);
		}
		deliver(request, result);
		if (home) {
			file.settled();
		}
		else if (file != null) {
			file.settledElsewhere();
		}
	}

	/**
	 * Loop thread: a read of {@code file} that the loop takes back once its completion ran, so that a
	 * read costs no request object: the issuer must not keep it past its completion (nor cancel it after).
	 * Writes are never recycled: the file's write barriers hold completed writes until earlier ones end.
	 */
	public final IoRequest readRequest(FileHandle file, IoCompletion completion) {
		IoRequest request = spareRequests.poll();
		if (request == null) {
			request = new IoRequest(IoRequest.READ, file, completion);
		}
		else {
			request.reuse(IoRequest.READ, file, completion);
		}
		request.recyclable = true;
		return request;
	}

	/** Runs the completion, then returns the request's pooled memory: the kernel is done with it. */
	private void deliver(IoRequest request, long result) {
		try {
			request.completion.onComplete(request, result);
		}
		catch (Throwable t) {
			log.error(name + ": completion of " + request + " threw", t);
			java.util.function.@Nullable Consumer<Throwable> fallback = request.onCompletionFailure;
			if (fallback != null) {
				try {
					fallback.accept(t);
				}
				catch (Throwable t2) {
					log.error(name + ": failing " + request + " threw", t2);
				}
			}
		}
		finally {
			BufferPool.Pooled memory = request.pooled;
			if (memory != null) {
				request.pooled = null;
				buffers.release(memory);
			}
			if (request.recyclable && request.op == IoRequest.READ) {
				request.recyclable = false;
				if (spareRequests.size() < SPARE_REQUESTS) {
					spareRequests.add(request);
				}
			}
		}
	}

	/**
	 * Engine: run {@code work} for an issued request on the bounded blocking pool (an opcode the
	 * kernel lacks, buffered I/O on a kernel-AIO loop) and complete it back on the loop.
	 */
	protected final void offload(IoRequest request, ToLongFunction<IoRequest> work) {
		long token = token(request);
		offloaded++;
		request.offloaded = true;
		blockingPool.execute(() -> {
			long result;
			if (request.cancelledAsSeenOffLoop()) {
				// cancelled while it waited for a pool thread: nothing happens, as with a request the kernel
				// cancels before it began (an open of a file deleted since, say, is not attempted)
				result = -Errno.ECANCELED;
			}
			else {
				try {
					result = work.applyAsLong(request);
				}
				catch (Throwable t) {
					request.failure = t instanceof java.io.UncheckedIOException ? t.getCause() : t;
					result = -Errno.EIO;
				}
			}
			long r = result;
			execute(() -> complete(token, r));
		});
	}

	/**
	 * Loop thread: runs {@code work} on the blocking pool, then {@code continuation} back on the loop.
	 * For blocking work that holds no slot (opening a FileChannel, reading sysfs): the loop does not end
	 * while such work is pending, so the continuation never finds the engine gone.
	 */
	protected final void runBlocking(Runnable work, Runnable continuation) {
		outsideWork++;
		blockingPool.execute(() -> {
			try {
				work.run();
			}
			finally {
				execute(() -> {
					outsideWork--;
					continuation.run();
				});
			}
		});
	}

	// ---- files ----

	/** Loop thread: a file was opened on this loop. */
	public final void register(FileHandle file) {
		files.add(file);
		stats.openFiles = files.size() + directOpen;
	}

	/**
	 * Loop thread: direct descriptors an engine holds open (a whole-file read's, between its open and its
	 * close): files open like any other for the statistics.
	 */
	protected final void directOpened(int delta) {
		directOpen += delta;
		stats.openFiles = files.size() + directOpen;
	}

	/** Loop thread: a file's descriptors were closed (counted at once: close's subscribers may look). */
	public final void unregister(FileHandle file) {
		files.remove(file);
		stats.openFiles = files.size() + directOpen;
	}

	/** Closes the engine after closing every file still open; completes when the thread has ended. */
	public final CompletableFuture<Void> shutdown() {
		ending = true;
		execute(() -> {
			if (shuttingDown) {
				return;
			}
			shuttingDown = true;
			AsynchronousCloseException cause = new AsynchronousCloseException();
			for (FileHandle file : new ArrayList<>(files)) {
				file.abortStreams(cause);
				closeFile(file, ignored -> { });
			}
		});
		return terminatedFuture;
	}

	public final boolean isShuttingDown() {
		return shuttingDown;
	}

	/** Set when {@link #shutdown} is called, read from any thread. */
	private volatile boolean ending;

	/** Any thread: whether the loop was asked to shut down (it may still be running its last requests). */
	public final boolean isEnding() {
		return ending;
	}

	/**
	 * Loop thread. Waits until {@code file} has no request outstanding, then closes its descriptors
	 * (and unlinks it for DELETE_ON_CLOSE). {@code done} receives the first error, or null.
	 */
	public final void closeFile(FileHandle file, java.util.function.Consumer<@Nullable Throwable> done) {
		if (file.isClosing()) {
			file.whenClosed(done);
			return;
		}
		file.whenClosed(done);
		file.beginClose(() -> closeDescriptors(file));
	}

	/** Engine: close the descriptors of a drained file, then call {@link FileHandle#closed}. */
	protected abstract void closeDescriptors(FileHandle file);

	// ---- the loop ----

	private void run() {
		try {
			int cap = init();
			capacity = cap;
			slots = new IoRequest[cap];
			slotGeneration = new int[cap];
			freeSlots = new int[cap];
			for (int i = 0; i < cap; i++) {
				freeSlots[i] = cap - 1 - i;
			}
			freeTop = cap;
		}
		catch (Throwable t) {
			started.completeExceptionally(t);
			terminated = true;
			terminatedFuture.complete(null);
			return;
		}
		started.complete(null);
		try {
			while (!(shuttingDown && inFlight == 0 && outsideWork == 0 && waiting.isEmpty() && files.isEmpty()
					&& tasks.isEmpty())) {
				turn();
			}
		}
		finally {
			try {
				destroy();
			}
			finally {
				publishStats();
				terminated = true;
				runOrphans();
				// whatever waits for the end (disposeLater's subscribers) must not run on this NonBlocking thread;
				// a thread of its own, not the common pool, whose execute spins on a lock under contention
				// (JDK 25: Thread.onSpinWait, which BlockHound refuses on this thread, and the end was lost)
				Thread end = new Thread(() -> terminatedFuture.complete(null), name + "-end");
				end.setDaemon(true);
				end.start();
			}
		}
	}

	/**
	 * One turn: tasks, then the engine. The loop outlives anything thrown here (an OutOfMemoryError while
	 * reaping, say): the kernel still owns the buffers of every request in flight, so the loop must stay
	 * to reap them and fail or complete their subscribers. A subscriber that interrupts the thread a
	 * signal arrived on must not make the loop spin: the flag is cleared every turn.
	 */
	private void turn() {
		try {
			Thread.interrupted();
			runTasks();
			publishStats();
			boolean mayBlock = false;
			if (tasks.isEmpty()) {
				STATE.set(this, SLEEPING);
				mayBlock = tasks.isEmpty();
			}
			runIo(mayBlock && !(shuttingDown && inFlight == 0 && outsideWork == 0 && files.isEmpty()));
			state = AWAKE;
			publishStats();
		}
		catch (Throwable t) {
			state = AWAKE;
			log.error(name + ": loop turn failed", t);
			java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
		}
	}

	private void runTasks() {
		Runnable task;
		int budget = 4096;
		while (budget-- > 0 && (task = tasks.poll()) != null) {
			try {
				task.run();
			}
			catch (Throwable t) {
				log.error(name + ": task threw", t);
			}
		}
	}

	private void publishStats() {
		LoopStats s = stats;
		s.submitted = submitted;
		s.completed = completed;
		s.offloaded = offloaded;
		s.failed = failed;
		s.latencyNanos = latencyNanos;
		s.inFlight = inFlight;
		s.peakInFlight = peakInFlight;
		s.waiting = waiting.size();
		s.openFiles = files.size() + directOpen;
		buffers.publish();
	}

	/**
	 * Completions this loop's requests hold plus the requests waiting for room: a hint any thread may read
	 * (published lazily by the loop), to spread new files over loops.
	 */
	public final int load() {
		return load;
	}

	/** Requests in flight now, as the loop sees it (loop thread). */
	protected final int inFlight() {
		return inFlight;
	}

	/** For engine diagnostics: requests that wait for room. */
	protected final List<IoRequest> waitingSnapshot() {
		return new ArrayList<>(waiting);
	}
}
