package dev.reactoraio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Randomized interleavings of the whole public API of {@link AsyncFile} — open, reads and writes with
 * heap, aligned and misaligned direct buffers, streaming reads with the heap provider and a pooled one,
 * streaming writes, truncate, force, size, close (once, twice, from two threads, and from inside the
 * library's own signals: onNext of a stream, the success of read, size and truncate, a request) and
 * cancellation (dispose, tiny timeouts, take, cancel inside onNext) — on files of each round, while
 * other threads use files and pipes the library was never given. The test counts harm, and every count
 * must be zero:
 * <ul>
 * <li>{@code victims}: files and pipes of the victim threads whose size, content or descriptor changed
 * under them. The library's files get low descriptor numbers that the kernel hands out again at once,
 * so an operation issued after its file's close(2) lands on whatever was opened next: victim threads
 * open files and pipes in a tight loop to be that "next".</li>
 * <li>{@code stolenBytes}: bytes a victim wrote into its own pipe that did not come back out of it
 * unchanged (or extra bytes that appeared there): a read issued on a recycled descriptor takes them; and
 * bytes of a victim's file found in a chunk buffer the library gave back, read through such a descriptor.</li>
 * <li>{@code corruptedBytes}: bytes that changed in a buffer after it came back to the test (see below),
 * bytes of a test file that are neither its original content nor what a write put there (poison among
 * them: a write that read its buffer after giving it back; zeros: a truncate that grew the file again
 * after a smaller one), bytes a read returned that the file never held (zeros at or past a truncation
 * point excepted: Linux gives them to a read that races the truncate, see {@code TestFile.readable}),
 * and bytes of writes that reported success but are not on disk.</li>
 * <li>{@code leakedFds}, {@code outstandingBuffers}, {@code unsettled}: after the run, descriptors of
 * /proc/self/fd pointing into the test's directory or at an anon_inode that were not there before,
 * library buffers still out and files still open or requests still in flight per {@link AioStats}.</li>
 * <li>{@code hangs}: an operation (or close) that neither completed, failed nor was cancelled within
 * 30 s.</li>
 * <li>{@code unexpectedErrors}: any error but {@link ClosedChannelException} (which includes
 * {@code AsynchronousCloseException}), signalled or dropped.</li>
 * <li>{@code wrongResults}: a success that did not do what it said: a read's count or the buffer's
 * position, a size outside what the file can be, a truncate whose file is still larger, a stream that
 * completed short of the end.</li>
 * <li>{@code movedPositions}: a cancelled read or write that advanced the caller's buffer position,
 * or a buffer whose position changed after it came back. (A cancel that arrives while the completion
 * applies its result lets it finish: the buffer then reaches the discard hook filled and advanced, and
 * a read's bytes are checked against the file like a successful read's.)</li>
 * <li>{@code unreleasedChunks}: buffers of the test's {@link BufferProvider} that nobody released.</li>
 * </ul>
 * <b>Buffer ownership.</b> A buffer passed to read/write is the caller's again at the operation's
 * success or error signal; after a cancel it goes to the discard hook once the kernel is done, and at
 * the latest when the file's {@code close()} completed; a streaming write's source buffers likewise
 * from their onNext on; a pooled chunk buffer at {@link BufferProvider#release}. The test poisons each
 * buffer with {@code 0xDE} at the moment it comes back, keeps it, and checks after the round (close
 * completed, a short sleep) that it still holds nothing else; the test's data never contains
 * {@code 0xDE}, so poison found in a file is a write that read the buffer after it was given back.
 * <p>
 * <b>Model.</b> Each file has an original content, a floor below which all writes stay (each in page
 * ranges of its own, so overlapping writers never make the content undetermined) and at or above which
 * all truncations are; so every byte is either original or written, and the size is known within the
 * truncations issued. Its content is read back with {@link FileChannel} once the round settled. A read
 * may in addition have seen zeros at or past the lowest truncation point: a read that races a shrinking
 * truncate on Linux returns them, through {@code Files.readAllBytes} as through this library.
 * <p>
 * <b>Rounds.</b> Each round opens one to three files for a random mix of operations and close mode, and
 * four to nine small "burst" files for the pairs most likely to use a descriptor after its close(2):
 * truncate then close without waiting, close inside onNext of a stream whose demand arrives from another
 * thread (so its window completed and nothing is in flight when it closes), close inside the success of
 * truncate or read. Every interleaving is counted once per file as its operation mix, close mode and
 * cancellation modes; the line printed at the end gives the number of distinct ones.
 * <p>
 * <b>Size and replay.</b> {@value #DEFAULT_ROUNDS} rounds per backend by default, about 20 s per
 * backend on a 2-core machine. The system property {@code reactoraio.stress.rounds} sets another number
 * of rounds ({@code -Dreactoraio.stress.rounds=4000} for a soak); {@code reactoraio.stress.seed} replays
 * the plan of a run (each failure prints its seed; timing, and so the interleaving, still varies).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(1800)
public abstract class LifecycleStressContract {

	/** System property: rounds per backend. */
	static final String ROUNDS_PROPERTY = "reactoraio.stress.rounds";
	/** System property: the seed of the plan. */
	static final String SEED_PROPERTY = "reactoraio.stress.seed";
	static final int DEFAULT_ROUNDS = 400;
	static final Duration BOUND = Duration.ofSeconds(30);
	static final byte POISON = (byte) 0xDE;
	private static final byte[] POISON_CHUNK = new byte[64 << 10];
	private static final int PAGE = 4096;

	static {
		Arrays.fill(POISON_CHUNK, POISON);
	}

	enum Count {
		VICTIMS("victims"), STOLEN("stolenBytes"), CORRUPTED("corruptedBytes"), LEAKED_FDS("leakedFds"),
		OUTSTANDING("outstandingBuffers"), HANGS("hangs"), UNEXPECTED("unexpectedErrors"), WRONG("wrongResults"),
		MOVED("movedPositions"), UNRELEASED("unreleasedChunks"), UNSETTLED("unsettled");

		final String label;

		Count(String label) {
			this.label = label;
		}
	}

	enum Kind { OPEN, READ, WRITE, CHUNKS_HEAP, CHUNKS_POOLED, WRITE_STREAM, TRUNCATE, FORCE, SIZE, VECTOR_READ, RANGES, WHOLE_FILE, WHOLE_STREAM }

	enum Cancel { NONE, DISPOSE_NOW, DISPOSE_LATER, TIMEOUT_NANOS, TIMEOUT_MICROS, IN_ONNEXT, TAKE }

	enum CloseMode {
		AFTER_SETTLED, CONCURRENT, TWICE, TWO_THREADS, IN_ONNEXT, IN_REQUEST, IN_READ_SUCCESS, IN_SIZE_SUCCESS,
		IN_TRUNCATE_SUCCESS, AFTER_TRUNCATE
	}

	/**
	 * How a stream's subscriber asks: all at once; one at a time from inside onNext; one at a time, or a
	 * readahead's worth at a time, from another thread a little later (so the window has completed, and a
	 * close inside the next onNext finds nothing in flight).
	 */
	enum Demand { UNBOUNDED, ONE_SYNC, ONE_ASYNC, BATCH_ASYNC }

	enum Buf { HEAP, ALIGNED, MISALIGNED }

	private AioResources resources;
	private Path dir;
	private Scheduler racers;
	private final Tally tally = new Tally();
	private final Set<String> interleavings = ConcurrentHashMap.newKeySet();
	private final AtomicLong ops = new AtomicLong();
	private final AtomicLong discards = new AtomicLong();
	/** Zeros that reads returned past a truncation point, which a read racing the truncate may see (not harm). */
	private final AtomicLong truncateRaceZeros = new AtomicLong();
	/** Errors a recorder already judged, so that Reactor dropping them later does not count twice. */
	private final Map<Throwable, Boolean> judged = Collections.synchronizedMap(new WeakHashMap<>());
	private final List<Quarantined> quarantine = Collections.synchronizedList(new ArrayList<>());

	protected abstract AioBackend backend();

	@BeforeAll
	void setUp() throws IOException {
		EnvironmentExpectationTest.assumeAvailable(backend());
		resources = AioResources.builder("stress-" + backend().name().toLowerCase(Locale.ROOT)).backend(backend())
				.ringEntries(32).build();
		dir = Files.createTempDirectory("reactor-aio-stress");
		racers = Schedulers.newParallel("stress-racer", 2);
	}

	@AfterAll
	void tearDown() throws IOException {
		if (racers != null) {
			racers.dispose();
		}
		if (resources != null) {
			resources.disposeLater().block(BOUND);
		}
		if (dir != null) {
			try (var paths = Files.walk(dir)) {
				for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
					Files.deleteIfExists(path);
				}
			}
		}
	}

	/**
	 * The model against what a read racing truncate returns on Linux, with the numbers of the run that
	 * failed (LIBAIO, seed 60419645504567, round 229, r229-f2-rw): a readAllBytes of the whole 1010075
	 * bytes, taken while truncate(955867) zeroed the rest of the folio holding 955867, ends in [955867,
	 * 958464) with zeros, as {@code Files.readAllBytes} would. Those zeros are the file's; zeros below the
	 * lowest truncation point, and any byte past the original size, are still foreign.
	 */
	@Test
	void zerosOfAReadRacingTruncateAreNoHarm() {
		int size = 1010075;
		byte[] orig = data(new Random(229), size);
		TestFile f = new TestFile("model", dir.resolve("model.bin"), Set.of(), false, true, false, orig, 598016);
		f.truncations.add(955867L);
		byte[] raced = orig.clone();
		Arrays.fill(raced, 955867, 958464, (byte) 0);
		assertEquals(0, f.foreignBytes(0, raced), "zeros from the truncation point to its folio's end");
		byte[] racedLargeFolio = orig.clone();
		Arrays.fill(racedLargeFolio, 955867, 983040, (byte) 0);
		assertEquals(0, f.foreignBytes(0, racedLargeFolio), "zeros to the end of a 64 KiB folio");
		assertEquals(0, f.foreignBytes(0, Arrays.copyOf(raced, 958464)), "a read that stopped at the folio's end");
		byte[] belowTruncation = orig.clone();
		Arrays.fill(belowTruncation, 950000, 955867, (byte) 0);
		int nonZero = 0;
		for (int i = 950000; i < 955867; i++) {
			nonZero += orig[i] != 0 ? 1 : 0;
		}
		assertEquals(nonZero, f.foreignBytes(0, belowTruncation), "zeros below the truncation point");
		byte[] other = orig.clone();
		other[960000] = (byte) (orig[960000] + 1 == 0 ? 2 : orig[960000] + 1);
		assertEquals(1, f.foreignBytes(0, other), "a byte past the truncation point that is neither zero nor the file's");
		assertEquals(3, f.foreignBytes(size, new byte[3]), "zeros past the original size");
	}

	@Test
	void lifecycleInterleavingsHarmNothing() throws Exception {
		long seed = Long.getLong(SEED_PROPERTY, System.nanoTime());
		int rounds = Integer.getInteger(ROUNDS_PROPERTY, Math.max(1, (int) (DEFAULT_ROUNDS * AsyncFileContract.SCALE)));
		Map<String, String> fdsBefore = TestFiles.openDescriptors();
		Victims victims = new Victims(dir.resolve("victims"), seed, tally);
		long started = System.nanoTime();
		int played = 0;
		Hooks.onErrorDropped(this::dropped);
		try {
			victims.start();
			for (int round = 0; round < rounds && tally.get(Count.HANGS) == 0; round++) {
				tally.round = round;
				new Round(round, new Random(seed * 1_000_003L + round), victims).play();
				played++;
			}
		}
		finally {
			victims.stop();
			Hooks.resetOnErrorDropped();
		}
		tally.round = -1;
		AioStats stats = TestFiles.settle(resources, BOUND);
		tally.add(Count.OUTSTANDING, stats.outstandingBuffers(), "library buffers still out after the run: " + stats);
		tally.add(Count.UNSETTLED, stats.openFiles() + stats.inFlight(), "files open or requests in flight after the run: " + stats);
		Map<String, String> leaked = TestFiles.descriptorsOpenedSince(fdsBefore,
				target -> target.startsWith(dir.toString()) || target.startsWith("anon_inode:"), Duration.ofSeconds(2));
		tally.add(Count.LEAKED_FDS, leaked.size(), "descriptors left open: " + leaked);
		double seconds = (System.nanoTime() - started) / 1e9;
		String line = String.format(Locale.ROOT, "[lifecycle] %s rounds=%d interleavings=%d ops=%d %s (victimFds=%d discards=%d truncateRaceZeros=%d seed=%d %.1f s)",
				backend(), played, interleavings.size(), ops.get(), tally.counts(), victims.opened.get(), discards.get(),
				truncateRaceZeros.get(), seed, seconds);
		System.out.println(line);
		assertEquals(0, tally.total(), () -> "harm on " + backend() + " with seed " + seed + " (-D" + SEED_PROPERTY + "=" + seed
				+ "), first in round " + tally.firstRound + ": " + tally.counts() + "\n" + line + "\n  "
				+ String.join("\n  ", tally.evidence()));
	}

	// ---- one round ----

	/** Files of one round, the operations planned on them, and what must settle before the round is judged. */
	private final class Round {

		final int number;
		final Random random;
		final Victims victims;
		final List<TestFile> files = new ArrayList<>();
		final List<Runnable> launches = new ArrayList<>();
		final List<Runnable> afterSettled = new ArrayList<>();
		final List<Pending> pending = Collections.synchronizedList(new ArrayList<>());
		final PoisonProvider provider = new PoisonProvider(tally);
		/** When the streams that close inside onNext get the demand for their closing chunk: all at once. */
		volatile long volleyAt;

		Round(int number, Random random, Victims victims) {
			this.number = number;
			this.random = random;
			this.victims = victims;
		}

		void play() throws Exception {
			int main = 1 + random.nextInt(3);
			for (int i = 0; i < main; i++) {
				files.add(newFile(i, false));
			}
			int burst = 4 + random.nextInt(6);
			for (int i = 0; i < burst; i++) {
				files.add(newFile(main + i, true));
			}
			for (TestFile f : files) {
				try {
					f.file = AsyncFile.open(f.path, f.options, resources).block(BOUND);
				}
				catch (RuntimeException e) {
					tally.add(Count.UNEXPECTED, 1, "open " + f.name + " failed: " + e);
				}
			}
			for (TestFile f : files) {
				if (f.file == null) {
					continue;
				}
				if (f.burst) {
					planBurst(f);
				}
				else {
					planMain(f);
				}
			}
			Collections.shuffle(launches, random);
			boolean[] onRacer = new boolean[launches.size()];
			for (int i = 0; i < onRacer.length; i++) {
				onRacer[i] = random.nextInt(3) == 0;
			}
			victims.surge();
			volleyAt = System.nanoTime() + 3_000_000L;
			for (int i = 0; i < launches.size(); i++) {
				if (onRacer[i]) {
					racers.schedule(launches.get(i));
				}
				else {
					launches.get(i).run();
				}
			}
			awaitPending();
			afterSettled.forEach(Runnable::run);
			awaitPending();
			for (TestFile f : files) {
				if (f.file != null) {
					closeNow(f, "at the end of the round");
				}
			}
			awaitPending();
			Thread.sleep(5);
			judge();
			for (TestFile f : files) {
				Files.deleteIfExists(f.path);
			}
		}

		TestFile newFile(int index, boolean burst) throws IOException {
			int size = burst ? (64 << 10) + random.nextInt(64 << 10) : (256 << 10) + random.nextInt(768 << 10);
			if (random.nextBoolean()) {
				size += 1 + random.nextInt(PAGE - 1);
			}
			boolean direct = random.nextInt(3) == 0;
			boolean writable = burst || random.nextInt(4) != 0;
			int floor = burst ? alignUp(size / 4) : Math.min(size, alignUp(size / 2 + random.nextInt(size / 4)));
			Set<OpenOption> options = new HashSet<>();
			options.add(StandardOpenOption.READ);
			if (writable) {
				options.add(StandardOpenOption.WRITE);
				options.add(StandardOpenOption.CREATE);
			}
			if (direct) {
				options.add(AioOpenOption.DIRECT);
			}
			String name = "r" + number + "-f" + index + (burst ? "-burst" : "") + (direct ? "-direct" : "") + (writable ? "-rw" : "-ro");
			TestFile f = new TestFile(name, dir.resolve(name + ".bin"), options, direct, writable, burst, data(random, size), floor);
			Files.write(f.path, f.orig);
			return f;
		}

		// ---- plans ----

		void planMain(TestFile f) {
			List<CloseMode> modes = new ArrayList<>(Arrays.asList(CloseMode.values()));
			if (!f.writable) {
				modes.remove(CloseMode.IN_TRUNCATE_SUCCESS);
				modes.remove(CloseMode.AFTER_TRUNCATE);
			}
			f.closeMode = modes.get(random.nextInt(modes.size()));
			int count = 3 + random.nextInt(7);
			for (int i = 0; i < count; i++) {
				plan(f, pickKind(f), null);
			}
			switch (f.closeMode) {
				case IN_ONNEXT:
					plan(f, random.nextBoolean() ? Kind.CHUNKS_POOLED : Kind.CHUNKS_HEAP, f.closeMode);
					break;
				case IN_REQUEST:
					plan(f, f.writable && random.nextBoolean() ? Kind.WRITE_STREAM
							: random.nextBoolean() ? Kind.CHUNKS_POOLED : Kind.CHUNKS_HEAP, f.closeMode);
					break;
				case IN_READ_SUCCESS:
					plan(f, Kind.READ, f.closeMode);
					break;
				case IN_SIZE_SUCCESS:
					plan(f, Kind.SIZE, f.closeMode);
					break;
				case IN_TRUNCATE_SUCCESS:
				case AFTER_TRUNCATE:
					plan(f, Kind.TRUNCATE, f.closeMode);
					break;
				case CONCURRENT: {
					long delay = random.nextInt(600);
					launches.add(() -> racers.schedule(() -> closeNow(f, "concurrently"), delay, TimeUnit.MICROSECONDS));
					break;
				}
				case TWICE:
					launches.add(() -> {
						closeNow(f, "first of two");
						closeNow(f, "second of two");
					});
					break;
				case TWO_THREADS:
					launches.add(() -> {
						CountDownLatch go = new CountDownLatch(1);
						for (int i = 0; i < 2; i++) {
							int racer = i;
							racers.schedule(() -> {
								awaitQuietly(go);
								closeNow(f, "from racer " + racer);
							});
						}
						go.countDown();
					});
					break;
				default:
					afterSettled.add(() -> closeNow(f, "after everything settled"));
			}
			interleavings.add(f.interleaving());
		}

		/** The two known lethal pairs, many times a round: truncate then close at once, close inside onNext. */
		void planBurst(TestFile f) {
			int pattern = random.nextInt(5);
			if (pattern < 2) {
				f.closeMode = CloseMode.AFTER_TRUNCATE;
				plan(f, Kind.TRUNCATE, f.closeMode);
			}
			else if (pattern < 4) {
				f.closeMode = CloseMode.IN_ONNEXT;
				plan(f, random.nextInt(4) != 0 ? Kind.CHUNKS_POOLED : Kind.CHUNKS_HEAP, f.closeMode);
			}
			else {
				f.closeMode = random.nextBoolean() ? CloseMode.IN_TRUNCATE_SUCCESS : CloseMode.IN_READ_SUCCESS;
				plan(f, f.closeMode == CloseMode.IN_READ_SUCCESS ? Kind.READ : Kind.TRUNCATE, f.closeMode);
			}
			interleavings.add(f.interleaving());
		}

		Kind pickKind(TestFile f) {
			while (true) {
				Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
				boolean writes = kind == Kind.WRITE || kind == Kind.WRITE_STREAM || kind == Kind.TRUNCATE;
				if (!writes || f.writable) {
					return kind;
				}
			}
		}

		Cancel pickCancel(Kind kind, CloseMode closer) {
			if (closer != null) {
				return Cancel.NONE;
			}
			boolean stream = kind == Kind.CHUNKS_HEAP || kind == Kind.CHUNKS_POOLED || kind == Kind.WHOLE_STREAM;
			int n = random.nextInt(stream ? 9 : 7);
			switch (n) {
				case 0:
					return Cancel.DISPOSE_NOW;
				case 1:
				case 2:
					return Cancel.DISPOSE_LATER;
				case 3:
					return Cancel.TIMEOUT_NANOS;
				case 4:
					return Cancel.TIMEOUT_MICROS;
				case 7:
					return Cancel.IN_ONNEXT;
				case 8:
					return Cancel.TAKE;
				default:
					return Cancel.NONE;
			}
		}

		void plan(TestFile f, Kind kind, CloseMode closer) {
			Cancel cancel = pickCancel(kind, closer);
			f.mix.add(kind.name());
			f.cancels.add(cancel.name());
			switch (kind) {
				case OPEN:
					planOpen(f, cancel);
					break;
				case READ:
					planRead(f, cancel, closer == CloseMode.IN_READ_SUCCESS);
					break;
				case WRITE:
					planWrite(f, cancel);
					break;
				case CHUNKS_HEAP:
				case CHUNKS_POOLED:
					planChunks(f, kind, cancel, closer);
					break;
				case WRITE_STREAM:
					planWriteStream(f, cancel, closer == CloseMode.IN_REQUEST);
					break;
				case TRUNCATE:
					planTruncate(f, cancel, closer);
					break;
				case FORCE:
					planForce(f, cancel);
					break;
				case VECTOR_READ:
					planVectorRead(f, cancel);
					break;
				case RANGES:
					planRanges(f, cancel);
					break;
				case WHOLE_FILE:
					planWholeFile(f, cancel);
					break;
				case WHOLE_STREAM:
					planWholeStream(f, cancel);
					break;
				default:
					planSize(f, cancel, closer == CloseMode.IN_SIZE_SUCCESS);
			}
		}

		Op op(TestFile f, Kind kind, Cancel cancel, String what) {
			Op op = new Op(kind, cancel, f.name + ": " + what + (cancel == Cancel.NONE ? "" : " [" + cancel + "]"));
			f.ops.add(op);
			pending.add(new Pending(op.label, op.settled));
			ops.incrementAndGet();
			return op;
		}

		void planOpen(TestFile f, Cancel cancel) {
			Op op = op(f, Kind.OPEN, cancel, "second open");
			Mono<AsyncFile> mono = AsyncFile.open(f.path, Set.of(StandardOpenOption.READ), resources).doOnEach(signal -> {
				if (signal.isOnNext() && op.signalled.compareAndSet(false, true)) {
					AsyncFile other = signal.get();
					CountDownLatch closed = new CountDownLatch(1);
					pending.add(new Pending(op.label + ", its close", closed));
					other.close().subscribe(v -> { }, e -> {
						libraryError(op.label + ", its close", e);
						closed.countDown();
					}, closed::countDown);
				}
				else if (signal.isOnError() && op.signalled.compareAndSet(false, true)) {
					libraryError(op.label, signal.getThrowable());
				}
			});
			launchMono(op, mono, null);
		}

		void planRead(TestFile f, Cancel cancel, boolean closeInSuccess) {
			int length = length();
			long position = position(f);
			Buf buf = Buf.values()[random.nextInt(Buf.values().length)];
			ByteBuffer dst = buffer(buf, length);
			Op op = op(f, Kind.READ, cancel, "read " + buf + " " + length + " @" + position);
			Lent lent = op.lend(dst);
			lent.at = position;
			Mono<Integer> mono = f.file.read(dst, position).doOnEach(signal -> {
				if (signal.isOnNext() && op.signalled.compareAndSet(false, true)) {
					readDone(op, lent, position, signal.get());
				}
				else if (signal.isOnError() && op.signalled.compareAndSet(false, true)) {
					libraryError(op.label, signal.getThrowable());
					giveBack(op, lent, "error signal");
				}
				else if (signal.isOnComplete() && op.signalled.compareAndSet(false, true)) {
					tally.add(Count.WRONG, 1, op.label + " completed without a count");
					giveBack(op, lent, "empty completion");
				}
			});
			if (closeInSuccess) {
				mono = mono.doOnSuccess(n -> closeNow(f, "inside read's success"));
			}
			launchMono(op, mono, null);
		}

		void readDone(Op op, Lent lent, long position, int n) {
			ByteBuffer dst = lent.buffer;
			int room = lent.limit - lent.position;
			if (n == 0 || n < -1 || n > room) {
				tally.add(Count.WRONG, 1, op.label + " returned " + n + " with room for " + room);
			}
			int expected = lent.position + Math.max(n, 0);
			if (dst.position() != expected) {
				tally.add(Count.WRONG, 1, op.label + " returned " + n + " but left the position at " + dst.position()
						+ " instead of " + expected);
			}
			if (n > 0 && n <= room) {
				byte[] got = new byte[n];
				dst.get(lent.position, got);
				op.data.add(new Data(position, got));
			}
			else if (n == -1) {
				op.eofAt = position;
			}
			giveBack(op, lent, "success signal");
		}

		void planWrite(TestFile f, Cancel cancel) {
			Buf buf = Buf.values()[random.nextInt(Buf.values().length)];
			boolean aligned = f.direct && buf == Buf.ALIGNED && random.nextBoolean();
			int length = aligned ? PAGE * (1 + random.nextInt(8)) : 1 + random.nextInt(random.nextBoolean() ? 600 : 40_000);
			long position = f.claim(length, aligned, random);
			if (position < 0) {
				planRead(f, cancel, false);
				return;
			}
			ByteBuffer src = buffer(buf, length);
			src.put(src.position(), f.fresh, (int) position, length);
			Op op = op(f, Kind.WRITE, cancel, "write " + buf + " " + length + " @" + position);
			Lent lent = op.lend(src);
			Mono<Integer> mono = f.file.write(src, position).doOnEach(signal -> {
				if (signal.isOnNext() && op.signalled.compareAndSet(false, true)) {
					int n = signal.get();
					if (n <= 0 || n > length) {
						tally.add(Count.WRONG, 1, op.label + " returned " + n);
					}
					else {
						f.successfulWrites.add(new long[] {position, n});
					}
					if (src.position() != lent.position + Math.max(n, 0)) {
						tally.add(Count.WRONG, 1, op.label + " returned " + n + " but left the position at " + src.position());
					}
					giveBack(op, lent, "success signal");
				}
				else if (signal.isOnError() && op.signalled.compareAndSet(false, true)) {
					libraryError(op.label, signal.getThrowable());
					giveBack(op, lent, "error signal");
				}
			});
			launchMono(op, mono, null);
		}

		void planWriteStream(TestFile f, Cancel cancel, boolean closeInRequest) {
			int room = f.floor - f.writeCursor - 2 * PAGE;
			List<ByteBuffer> buffers = new ArrayList<>();
			List<String> kinds = new ArrayList<>();
			int total = 0;
			// heavy: large direct buffers only, from an aligned position, the first readahead - 1 of them of aligned
			// lengths: each is written in place, and the head of the next one fills the window while its misaligned
			// tail waits in the stream for a free slot
			boolean heavy = f.direct && random.nextBoolean();
			int window = resources.readahead();
			int wanted = heavy ? window + random.nextInt(3) : 2 + random.nextInt(6);
			for (int i = 0; i < wanted; i++) {
				int kind = heavy ? (i == window - 1 ? 0 : 1) : random.nextInt(5);
				int length;
				ByteBuffer buffer;
				if (heavy) {
					length = (64 << 10) + PAGE * random.nextInt(3) + (kind == 0 ? 1 + random.nextInt(511) : 0);
					buffer = TestFiles.alignedDirect(length);
				}
				else if (kind == 0 || kind == 1) {
					// at least IN_PLACE_MIN (64 KiB), so that a direct buffer is written in place, and for kind 0 not a
					// multiple of 4096: on a DIRECT file its aligned head goes to the kernel and its tail waits
					length = (64 << 10) + (kind == 0 ? 1 + random.nextInt(PAGE - 1) : PAGE * random.nextInt(4));
					buffer = TestFiles.alignedDirect(length);
				}
				else {
					length = 1 + random.nextInt(12_000);
					buffer = kind == 2 ? ByteBuffer.allocate(length) : kind == 3 ? TestFiles.misalignedDirect(length)
							: TestFiles.alignedDirect(length);
				}
				if (total + length > room) {
					if (heavy) {
						break;
					}
					continue;
				}
				total += length;
				buffers.add(buffer);
				kinds.add(kind == 0 || kind == 1 || kind == 4 ? "direct " + length : kind == 2 ? "heap " + length : "misaligned " + length);
			}
			if (buffers.isEmpty()) {
				planRead(f, cancel, false);
				return;
			}
			long start = f.claim(total, heavy || (f.direct && random.nextBoolean()), random);
			if (start < 0) {
				planRead(f, cancel, false);
				return;
			}
			long at = start;
			for (ByteBuffer buffer : buffers) {
				buffer.put(0, f.fresh, (int) at, buffer.remaining());
				at += buffer.remaining();
			}
			long expectedTotal = total;
			Op op = op(f, Kind.WRITE_STREAM, cancel, "write stream of " + kinds + " @" + start);
			Flux<ByteBuffer> source = Flux.fromIterable(buffers).doOnNext(op::lend);
			if (closeInRequest) {
				int closeAt = 1 + random.nextInt(3);
				AtomicInteger requests = new AtomicInteger();
				source = source.doOnRequest(n -> {
					if (requests.incrementAndGet() == closeAt) {
						closeNow(f, "inside the write source's request " + closeAt);
					}
				});
			}
			Mono<Long> mono = f.file.write(source, start).doOnEach(signal -> {
				if (signal.isOnNext() && op.signalled.compareAndSet(false, true)) {
					long written = signal.get();
					if (written != expectedTotal) {
						tally.add(Count.WRONG, 1, op.label + " reported " + written + " bytes of " + expectedTotal);
					}
					f.successfulWrites.add(new long[] {start, Math.min(written, expectedTotal)});
					giveBackAll(op, "success signal");
				}
				else if (signal.isOnError() && op.signalled.compareAndSet(false, true)) {
					libraryError(op.label, signal.getThrowable());
					giveBackAll(op, "error signal");
				}
			});
			launchMono(op, mono, null);
		}

		/** A scattering read into a few buffers of every kind; each lent buffer comes back as a single read's does. */
		void planVectorRead(TestFile f, Cancel cancel) {
			ByteBuffer[] dsts = new ByteBuffer[1 + random.nextInt(4)];
			for (int i = 0; i < dsts.length; i++) {
				dsts[i] = buffer(Buf.values()[random.nextInt(Buf.values().length)], 1 + random.nextInt(20_000));
			}
			long position = position(f);
			Op op = op(f, Kind.VECTOR_READ, cancel, "read of " + dsts.length + " buffers @" + position);
			List<Lent> lent = new ArrayList<>();
			for (ByteBuffer dst : dsts) {
				lent.add(op.lend(dst));
			}
			Mono<Long> mono = f.file.read(dsts, position).doOnEach(signal -> {
				if (!(signal.isOnNext() || signal.isOnError()) || !op.signalled.compareAndSet(false, true)) {
					return;
				}
				if (signal.isOnError()) {
					libraryError(op.label, signal.getThrowable());
				}
				else {
					long at = position;
					for (Lent l : lent) {
						int got = l.buffer.position() - l.position;
						if (got > 0) {
							byte[] bytes = new byte[got];
							l.buffer.get(l.position, bytes);
							op.data.add(new Data(at, bytes));
						}
						at += got;
					}
				}
				for (Lent l : lent) {
					giveBack(op, l, signal.isOnNext() ? "success signal" : "error signal");
				}
			});
			launchMono(op, mono, null);
		}

		/** A few ranges below the floor (no truncate reaches them), through the poisoning provider. */
		void planRanges(TestFile f, Cancel cancel) {
			List<FileRange> ranges = new ArrayList<>();
			long at = random.nextInt(PAGE);
			for (int i = 0, n = 1 + random.nextInt(12); i < n; i++) {
				int length = 1 + random.nextInt(40_000);
				if (at + length > f.floor) {
					break;
				}
				ranges.add(FileRange.of(at, length));
				at += length + (random.nextBoolean() ? 0 : random.nextInt(6000));
			}
			if (ranges.isEmpty()) {
				planRead(f, cancel, false);
				return;
			}
			Collections.shuffle(ranges, random);
			Op op = op(f, Kind.RANGES, cancel, "readRanges of " + ranges.size() + " ranges");
			Flux<RangeRead<ByteBuffer>> flux = f.file.readRanges(ranges, provider).doOnNext(read -> {
				ByteBuffer b = read.buffer();
				if (b.remaining() != read.range().length()) {
					tally.add(Count.WRONG, 1, op.label + " delivered " + b.remaining() + " bytes for " + read.range());
				}
				byte[] bytes = new byte[b.remaining()];
				b.get(b.position(), bytes);
				op.data.add(new Data(read.range().offset(), bytes));
				provider.release(b);
			}).doOnError(e -> {
				if (op.signalled.compareAndSet(false, true)) {
					libraryError(op.label, e);
				}
			});
			if (cancel == Cancel.TAKE || cancel == Cancel.IN_ONNEXT) {
				flux = flux.take(1 + random.nextInt(ranges.size()));
			}
			launchMono(op, flux.then(), null);
		}

		/** AioFiles.readAllBytes of the round's file: whatever it returns must be bytes the file held. */
		void planWholeFile(TestFile f, Cancel cancel) {
			Op op = op(f, Kind.WHOLE_FILE, cancel, "readAllBytes");
			Mono<byte[]> mono = AioFiles.readAllBytes(f.path, resources).doOnNext(bytes -> op.data.add(new Data(0, bytes)))
					.doOnError(e -> libraryError(op.label, e));
			launchMono(op, mono, null);
		}

		/**
		 * AioFiles.read of the round's file (its own open, on io_uring with the head read in the same
		 * submission): every chunk must be bytes the file held at its place.
		 */
		void planWholeStream(TestFile f, Cancel cancel) {
			int[] sizes = {512, PAGE, 16384, 65536, 1000 + random.nextInt(70_000)};
			int chunk = sizes[random.nextInt(sizes.length)];
			Op op = op(f, Kind.WHOLE_STREAM, cancel, "AioFiles.read in chunks of " + chunk);
			op.start = 0;
			op.count = Long.MAX_VALUE;
			op.chunk = chunk;
			long[] cursor = {0};
			boolean limited = cancel == Cancel.TAKE || cancel == Cancel.IN_ONNEXT;
			Flux<ByteBuffer> flux = AioFiles.read(f.path, chunk, resources).doOnNext(b -> chunkDone(op, b, cursor, false))
					.doOnComplete(() -> op.completedNormally = !limited)
					.doOnError(e -> {
						if (op.signalled.compareAndSet(false, true)) {
							libraryError(op.label, e);
						}
					});
			if (limited) {
				flux = flux.take(1 + random.nextInt(8));
			}
			launchMono(op, flux.then(), null);
		}

		void planChunks(TestFile f, Kind kind, Cancel cancel, CloseMode closer) {
			boolean pooled = kind == Kind.CHUNKS_POOLED;
			long position = random.nextInt(3) == 0 ? 0 : random.nextBoolean() ? PAGE * (long) random.nextInt(f.size / PAGE + 1)
					: random.nextInt(f.size + PAGE);
			long count = random.nextBoolean() ? Long.MAX_VALUE : 1 + random.nextInt(f.size);
			int[] sizes = {512, PAGE, 8192, 16384, 65536, 1000 + random.nextInt(20_000)};
			int chunk = closer == CloseMode.IN_ONNEXT && f.burst ? (random.nextBoolean() ? PAGE : 8192) : sizes[random.nextInt(sizes.length)];
			Demand demand;
			if (closer == CloseMode.IN_ONNEXT) {
				demand = f.burst ? (random.nextBoolean() ? Demand.ONE_ASYNC : Demand.BATCH_ASYNC)
						: random.nextBoolean() ? Demand.ONE_ASYNC : Demand.ONE_SYNC;
				if (f.burst) {
					position = 0;
					count = Long.MAX_VALUE;
				}
			}
			else {
				demand = Demand.values()[random.nextInt(Demand.values().length)];
			}
			int batch = resources.readahead();
			int closeAt = 0;
			if (closer == CloseMode.IN_ONNEXT) {
				closeAt = demand == Demand.ONE_ASYNC ? 2 + random.nextInt(3)
						: demand == Demand.BATCH_ASYNC ? batch * (1 + random.nextInt(2)) + 1 : 1 + random.nextInt(3);
			}
			int closingChunk = closeAt;
			boolean closeBeforeRequest = random.nextBoolean();
			int cancelAt = cancel == Cancel.IN_ONNEXT ? 1 + random.nextInt(4) : 0;
			int take = cancel == Cancel.TAKE ? 1 + random.nextInt(4) : 0;
			int requestCloseAt = closer == CloseMode.IN_REQUEST ? 1 + random.nextInt(3) : 0;
			long pause = 50 + random.nextInt(400);
			Op op = op(f, kind, cancel, "readChunks(" + position + ", " + (count == Long.MAX_VALUE ? "MAX" : count) + ", " + chunk + ") "
					+ demand + (closeAt > 0 ? ", close in onNext " + closeAt : "") + (requestCloseAt > 0 ? ", close in request " + requestCloseAt : ""));
			op.start = position;
			op.count = count;
			op.chunk = chunk;
			Flux<ByteBuffer> flux = pooled ? f.file.readChunks(position, count, chunk, provider) : f.file.readChunks(position, count, chunk);
			if (requestCloseAt > 0) {
				AtomicInteger requests = new AtomicInteger();
				flux = flux.doOnRequest(n -> {
					if (requests.incrementAndGet() == requestCloseAt) {
						closeNow(f, "inside request " + requestCloseAt + " of a stream");
					}
				});
			}
			long[] cursor = {position};
			flux = flux.doOnNext(b -> chunkDone(op, b, cursor, pooled))
					.doOnError(e -> {
						if (op.signalled.compareAndSet(false, true)) {
							libraryError(op.label, e);
						}
					})
					.doOnComplete(() -> {
						op.signalled.set(true);
						op.completedNormally = true;
					});
			if (cancel == Cancel.TIMEOUT_NANOS) {
				flux = flux.timeout(Duration.ofNanos(1 + random.nextInt(20_000)));
			}
			else if (cancel == Cancel.TIMEOUT_MICROS) {
				flux = flux.timeout(Duration.of(1 + random.nextInt(300), ChronoUnit.MICROS));
			}
			else if (take > 0) {
				flux = flux.take(take);
			}
			Flux<ByteBuffer> subscribed = flux;
			long delay = random.nextInt(500);
			launches.add(() -> {
				BaseSubscriber<ByteBuffer> subscriber = new BaseSubscriber<>() {
					int seen;

					@Override
					protected void hookOnSubscribe(Subscription s) {
						if (demand == Demand.UNBOUNDED) {
							requestUnbounded();
						}
						else {
							request(demand == Demand.BATCH_ASYNC ? batch : 1);
						}
					}

					@Override
					protected void hookOnNext(ByteBuffer value) {
						seen++;
						if (seen == closingChunk && closeBeforeRequest) {
							closeNow(f, "inside onNext " + seen + " before asking for more");
						}
						if (seen == cancelAt) {
							cancel();
							return;
						}
						if (demand == Demand.ONE_SYNC) {
							request(1);
						}
						else if (demand == Demand.ONE_ASYNC || (demand == Demand.BATCH_ASYNC && seen % batch == 0)) {
							long n = demand == Demand.ONE_ASYNC ? 1 : batch;
							long delay = seen + n >= closingChunk && seen < closingChunk
									? Math.max(pause * 1000, volleyAt - System.nanoTime()) : pause * 1000;
							racers.schedule(() -> request(n), delay, TimeUnit.NANOSECONDS);
						}
						if (seen == closingChunk && !closeBeforeRequest) {
							closeNow(f, "inside onNext " + seen + " after asking for more");
						}
					}

					@Override
					protected void hookOnError(Throwable throwable) {
						// judged where the library signalled it, upstream of timeout and take
					}

					@Override
					protected void hookFinally(SignalType type) {
						op.settled.countDown();
					}
				};
				subscribed.subscribe(subscriber);
				if (op.cancel == Cancel.DISPOSE_NOW) {
					cancel(op, subscriber);
				}
				else if (op.cancel == Cancel.DISPOSE_LATER) {
					racers.schedule(() -> cancel(op, subscriber), delay, TimeUnit.MICROSECONDS);
				}
			});
		}

		void chunkDone(Op op, ByteBuffer chunk, long[] cursor, boolean pooled) {
			int n = chunk.remaining();
			if (n <= 0 || n > op.chunk) {
				tally.add(Count.WRONG, 1, op.label + " emitted a chunk of " + n + " bytes");
			}
			if (n > 0) {
				byte[] bytes = new byte[n];
				chunk.get(chunk.position(), bytes);
				op.data.add(new Data(cursor[0], bytes));
				cursor[0] += n;
				op.delivered += n;
			}
			if (pooled) {
				provider.release(chunk);
			}
		}

		void planTruncate(TestFile f, Cancel cancel, CloseMode closer) {
			long x = f.size > f.floor && random.nextInt(4) != 0 ? f.floor + random.nextInt(f.size - f.floor)
					: f.size + random.nextInt(PAGE);
			f.truncations.add(x);
			Op op = op(f, Kind.TRUNCATE, cancel, "truncate(" + x + ") of " + f.size + (closer == CloseMode.AFTER_TRUNCATE ? ", then close at once" : ""));
			Mono<Void> mono = f.file.truncate(x).doOnEach(signal -> {
				if (signal.isOnComplete() && op.signalled.compareAndSet(false, true)) {
					f.truncated(x);
					long now = sizeOnDisk(f.path);
					if (now > x) {
						f.truncateBelied.set(true);
						tally.add(Count.WRONG, 1, op.label + " reported success, but the file has " + now + " bytes");
					}
				}
				else if (signal.isOnError() && op.signalled.compareAndSet(false, true)) {
					libraryError(op.label, signal.getThrowable());
				}
			});
			if (closer == CloseMode.IN_TRUNCATE_SUCCESS) {
				mono = mono.doOnSuccess(v -> closeNow(f, "inside truncate's success"));
			}
			launchMono(op, mono, closer == CloseMode.AFTER_TRUNCATE ? () -> closeNow(f, "right after truncate") : null);
		}

		void planForce(TestFile f, Cancel cancel) {
			boolean metaData = random.nextBoolean();
			Op op = op(f, Kind.FORCE, cancel, "force(" + metaData + ")");
			Mono<Void> mono = f.file.force(metaData).doOnEach(signal -> {
				if (signal.isOnError() && op.signalled.compareAndSet(false, true)) {
					libraryError(op.label, signal.getThrowable());
				}
			});
			launchMono(op, mono, null);
		}

		void planSize(TestFile f, Cancel cancel, boolean closeInSuccess) {
			Op op = op(f, Kind.SIZE, cancel, "size()");
			Mono<Long> mono = f.file.size().doOnEach(signal -> {
				if (signal.isOnNext() && op.signalled.compareAndSet(false, true)) {
					long size = signal.get();
					if (size > f.size || size < f.lowestPossibleSize()) {
						tally.add(Count.WRONG, 1, op.label + " returned " + size + ", the file has "
								+ f.lowestPossibleSize() + " to " + f.size + " bytes");
					}
				}
				else if (signal.isOnError() && op.signalled.compareAndSet(false, true)) {
					libraryError(op.label, signal.getThrowable());
				}
			});
			if (closeInSuccess) {
				mono = mono.doOnSuccess(v -> closeNow(f, "inside size's success"));
			}
			launchMono(op, mono, null);
		}

		<T> void launchMono(Op op, Mono<T> mono, Runnable rightAfter) {
			Mono<T> m = mono;
			if (op.cancel == Cancel.TIMEOUT_NANOS) {
				m = m.timeout(Duration.ofNanos(1 + random.nextInt(20_000)));
			}
			else if (op.cancel == Cancel.TIMEOUT_MICROS) {
				m = m.timeout(Duration.of(1 + random.nextInt(300), ChronoUnit.MICROS));
			}
			Mono<T> subscribed = m.doOnDiscard(ByteBuffer.class, b -> discarded(op, b));
			long delay = random.nextInt(500);
			launches.add(() -> {
				Disposable d = subscribed.subscribe(v -> { }, e -> op.settled.countDown(), op.settled::countDown);
				if (rightAfter != null) {
					rightAfter.run();
				}
				if (op.cancel == Cancel.DISPOSE_NOW) {
					cancel(op, d);
				}
				else if (op.cancel == Cancel.DISPOSE_LATER) {
					racers.schedule(() -> cancel(op, d), delay, TimeUnit.MICROSECONDS);
				}
			});
		}

		void cancel(Op op, Disposable d) {
			d.dispose();
			op.settled.countDown();
		}

		/** Subscribes a close of {@code f} here and now (from whatever thread or signal this runs in). */
		void closeNow(TestFile f, String where) {
			String label = f.name + ": close " + where;
			CountDownLatch done = new CountDownLatch(1);
			pending.add(new Pending(label, done));
			ops.incrementAndGet();
			f.file.close().subscribe(v -> { }, e -> {
				libraryError(label, e);
				done.countDown();
			}, () -> {
				closed(f);
				done.countDown();
			});
		}

		/** The first completed close: every buffer lent to the file's operations is the test's again. */
		void closed(TestFile f) {
			if (!f.closed.compareAndSet(false, true)) {
				return;
			}
			for (Op op : f.ops) {
				giveBackAll(op, "close completed");
			}
		}

		void discarded(Op op, ByteBuffer buffer) {
			discards.incrementAndGet();
			Lent lent = op.find(buffer);
			if (lent != null) {
				giveBack(op, lent, "discard hook");
			}
			else {
				poison(buffer);
			}
		}

		void giveBackAll(Op op, String how) {
			List<Lent> lent;
			synchronized (op) {
				lent = new ArrayList<>(op.lent);
			}
			for (Lent l : lent) {
				giveBack(op, l, how);
			}
		}

		/** The buffer is the test's again: poison it at once, and keep it to see whether anything writes into it later. */
		void giveBack(Op op, Lent lent, String how) {
			synchronized (op) {
				if (lent.returned) {
					return;
				}
				lent.returned = true;
				lent.positionAtReturn = lent.buffer.position();
			}
			boolean single = op.kind == Kind.READ || op.kind == Kind.WRITE;
			boolean appliedThenDiscarded = "discard hook".equals(how) && lent.positionAtReturn > lent.position
					&& lent.positionAtReturn <= lent.limit;
			if (single && !op.signalled.get() && appliedThenDiscarded) {
				// the cancel came while the completion applied its result: all of it, and the buffer is then
				// discarded with the value it kept from the subscriber; a read's bytes must be the file's
				if (op.kind == Kind.READ) {
					byte[] got = new byte[lent.positionAtReturn - lent.position];
					lent.buffer.get(lent.position, got);
					op.data.add(new Data(lent.at, got));
				}
			}
			else if (single && !op.signalled.get() && lent.positionAtReturn != lent.position) {
				tally.add(Count.MOVED, 1, op.label + ", cancelled, moved the buffer's position from " + lent.position + " to "
						+ lent.positionAtReturn + " (given back by " + how + ")");
			}
			poison(lent.buffer);
			quarantine.add(new Quarantined(lent.buffer, op.label + ", buffer given back by " + how));
		}

		void awaitPending() throws InterruptedException {
			long deadline = System.nanoTime() + BOUND.toNanos();
			for (int i = 0; ; i++) {
				Pending p;
				synchronized (pending) {
					if (i >= pending.size()) {
						return;
					}
					p = pending.get(i);
				}
				if (!p.reported && !p.latch.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
					p.reported = true;
					tally.add(Count.HANGS, 1, p.label + " neither completed, failed nor was cancelled within " + BOUND.toSeconds() + " s");
				}
			}
		}

		// ---- judging ----

		void judge() throws IOException {
			List<Quarantined> kept;
			synchronized (quarantine) {
				kept = new ArrayList<>(quarantine);
				quarantine.clear();
			}
			for (Quarantined q : kept) {
				int changed = unpoisoned(q.buffer);
				tally.add(Count.CORRUPTED, changed, q.label + ": " + changed + " bytes changed after it came back");
			}
			provider.judge();
			for (TestFile f : files) {
				if (f.file == null) {
					continue;
				}
				for (Op op : f.ops) {
					judge(f, op);
				}
				judgeContent(f);
			}
		}

		void judge(TestFile f, Op op) {
			synchronized (op) {
				for (Lent l : op.lent) {
					if (l.returned && l.buffer.position() != l.positionAtReturn) {
						tally.add(Count.MOVED, 1, op.label + ": the buffer's position moved from " + l.positionAtReturn + " to "
								+ l.buffer.position() + " after it came back");
					}
				}
			}
			List<Data> data;
			synchronized (op.data) {
				data = new ArrayList<>(op.data);
			}
			for (Data d : data) {
				int bad = f.foreignBytes(d.position, d.bytes);
				truncateRaceZeros.addAndGet(f.zerosPastTruncation(d.position, d.bytes));
				tally.add(Count.CORRUPTED, bad, op.label + " delivered " + bad + " of " + d.bytes.length + " bytes @" + d.position
						+ " that the file never held");
			}
			if (op.eofAt >= 0 && op.eofAt < f.lowestPossibleSize()) {
				tally.add(Count.WRONG, 1, op.label + " returned -1, but the file has at least " + f.lowestPossibleSize() + " bytes");
			}
			if (op.completedNormally) {
				long end = f.lowestPossibleSize();
				long expected = op.start >= end ? 0 : Math.min(op.count, end - op.start);
				if (op.delivered < expected || op.delivered > op.count) {
					tally.add(Count.WRONG, 1, op.label + " completed after " + op.delivered + " bytes, expected at least " + expected);
				}
			}
		}

		void judgeContent(TestFile f) throws IOException {
			byte[] content = Files.readAllBytes(f.path);
			long size = content.length;
			if (f.truncations.isEmpty() ? size != f.size : size > f.size || size < f.lowestPossibleSize()) {
				tally.add(Count.WRONG, 1, f.name + " has " + size + " bytes, expected " + f.lowestPossibleSize() + " to " + f.size);
			}
			long smallest = f.smallestTruncation.get();
			if (size > smallest && !f.truncateBelied.get()) {
				tally.add(Count.WRONG, 1, f.name + ": truncate(" + smallest + ") reported success, but the file has " + size + " bytes");
			}
			boolean[] mustBeNew = new boolean[f.size];
			synchronized (f.successfulWrites) {
				for (long[] w : f.successfulWrites) {
					Arrays.fill(mustBeNew, (int) w[0], (int) (w[0] + w[1]), true);
				}
			}
			int bad = 0;
			int poisoned = 0;
			int zeros = 0;
			int missing = 0;
			int first = -1;
			int last = -1;
			for (int i = 0; i < f.size; i++) {
				if (i >= size) {
					missing += mustBeNew[i] ? 1 : 0;
				}
				else if (mustBeNew[i] ? content[i] != f.fresh[i] : !f.allowed(i, content[i])) {
					bad++;
					poisoned += content[i] == POISON ? 1 : 0;
					zeros += content[i] == 0 ? 1 : 0;
					first = first < 0 ? i : first;
					last = i;
				}
			}
			tally.add(Count.CORRUPTED, bad + missing, f.name + " (" + size + " bytes, floor " + f.floor + "): " + bad
					+ " bytes neither original nor written in [" + first + ", " + (last + 1) + "), " + poisoned + " of them poison, "
					+ zeros + " zeros; " + missing + " bytes of successful writes gone; its operations: "
					+ f.ops.stream().map(o -> o.label.substring(f.name.length() + 2)).collect(Collectors.joining("; ")));
		}

		int length() {
			switch (random.nextInt(5)) {
				case 0:
					return 512 * (1 + random.nextInt(32));
				case 1:
					return PAGE * (1 + random.nextInt(16));
				case 2:
					return 1 + random.nextInt(600);
				default:
					return 1 + random.nextInt(70_000);
			}
		}

		long position(TestFile f) {
			switch (random.nextInt(4)) {
				case 0:
					return PAGE * (long) random.nextInt(f.size / PAGE + 2);
				case 1:
					return 512L * random.nextInt(f.size / 512 + 1);
				default:
					return random.nextInt(f.size + 8192);
			}
		}

		ByteBuffer buffer(Buf kind, int length) {
			switch (kind) {
				case HEAP: {
					int offset = random.nextInt(3) == 0 ? 1 + random.nextInt(64) : 0;
					return ByteBuffer.allocate(offset + length + random.nextInt(16)).position(offset).limit(offset + length);
				}
				case ALIGNED:
					return TestFiles.alignedDirect(length);
				default:
					return TestFiles.misalignedDirect(length);
			}
		}
	}

	/** Reactor drops an error nobody is subscribed for any more: judged like a signalled one. */
	private void dropped(Throwable error) {
		if (judged.containsKey(error) || error instanceof TimeoutException || acceptable(error)
				|| (error instanceof AioIOException && ((AioIOException) error).errno() == dev.reactoraio.internal.jnr.Errno.ECANCELED)
				|| openOfAFileDeletedSince(error)) {
			return;
		}
		tally.add(Count.UNEXPECTED, 1, "error dropped after cancellation: " + error);
	}

	private void libraryError(String label, Throwable error) {
		judged.put(error, Boolean.TRUE);
		if (!acceptable(error)) {
			tally.add(Count.UNEXPECTED, 1, label + " failed with " + error);
		}
	}

	/**
	 * A round counts a cancelled operation as settled, and deletes its files once the round is judged. An
	 * open cancelled while its system call was under way (on the blocking pool, say) can then fail for a
	 * file that is gone, after its subscriber left: the error is dropped, by Reactor's rule. Only a file
	 * that no longer exists excuses it; no round deletes a file while it runs.
	 */
	private static boolean openOfAFileDeletedSince(Throwable error) {
		return error instanceof java.nio.file.NoSuchFileException && ((java.nio.file.NoSuchFileException) error).getFile() != null
				&& !Files.exists(Path.of(((java.nio.file.NoSuchFileException) error).getFile()));
	}

	private static boolean acceptable(Throwable error) {
		return error instanceof ClosedChannelException;
	}

	// ---- model ----

	private static final class TestFile {
		final String name;
		final Path path;
		final Set<OpenOption> options;
		final boolean direct;
		final boolean writable;
		final boolean burst;
		final int size;
		/** Writes stay below, truncations at or above. Page-aligned. */
		final int floor;
		final byte[] orig;
		final byte[] fresh;
		final boolean[] written;
		final List<Long> truncations = new ArrayList<>();
		final List<long[]> successfulWrites = Collections.synchronizedList(new ArrayList<>());
		final AtomicLong smallestTruncation = new AtomicLong(Long.MAX_VALUE);
		/** A truncate of this file reported success while the file was larger (counted then, not again at the end). */
		final AtomicBoolean truncateBelied = new AtomicBoolean();
		final AtomicBoolean closed = new AtomicBoolean();
		final List<Op> ops = new ArrayList<>();
		final SortedSet<String> mix = new TreeSet<>();
		final SortedSet<String> cancels = new TreeSet<>();
		CloseMode closeMode;
		int writeCursor;
		volatile AsyncFile file;

		TestFile(String name, Path path, Set<OpenOption> options, boolean direct, boolean writable, boolean burst, byte[] orig,
				int floor) {
			this.name = name;
			this.path = path;
			this.options = options;
			this.direct = direct;
			this.writable = writable;
			this.burst = burst;
			this.size = orig.length;
			this.orig = orig;
			this.floor = floor;
			this.fresh = new byte[size];
			this.written = new boolean[size];
			this.writeCursor = alignUp(size / 4);
		}

		/** A range of its own for a write of {@code length} bytes, with fresh data in the model; -1 if there is no room. */
		long claim(int length, boolean aligned, Random random) {
			int position = writeCursor + (aligned || random.nextBoolean() ? 0 : 1 + random.nextInt(PAGE - 1));
			int end = alignUp(position + length);
			if (end > floor) {
				return -1;
			}
			writeCursor = end;
			byte[] bytes = data(random, length);
			System.arraycopy(bytes, 0, fresh, position, length);
			Arrays.fill(written, position, position + length, true);
			return position;
		}

		void truncated(long x) {
			smallestTruncation.accumulateAndGet(x, Math::min);
		}

		long lowestPossibleSize() {
			long lowest = size;
			for (long x : truncations) {
				lowest = Math.min(lowest, x);
			}
			return lowest;
		}

		boolean allowed(int i, byte value) {
			return value == orig[i] || (written[i] && value == fresh[i]);
		}

		/**
		 * Whether a read may have returned {@code value} at {@code i}: what the file may hold there, or a
		 * zero at or past a truncation point. Linux does not make a buffered read atomic with a shrinking
		 * ftruncate of the same file: filemap_read takes i_size, then copies the page-cache folios it
		 * holds, while truncate(x) sets the smaller size, zeroes the folio holding x from x to its end and
		 * drops the folios after it (which the read still holds, content unchanged). A read that races it
		 * so returns the file's old length, or stops at the end of x's folio, with zeros in
		 * [x, end of x's folio), or in part of it while the zeroing runs. Files.readAllBytes and
		 * FileChannel.read do it as well as pread, io_uring and the library's whole-file reads (seen with
		 * the JDK alone, two FileChannels, on ext4 and kernel 6.18). The folio is 4 KiB to 64 KiB there and
		 * may be up to 2 MiB, larger than these files, so zeros are allowed anywhere past the lowest
		 * truncation point. (A truncate that regrew the file with zeros is still caught at the end of the
		 * round, by the content and by a size above the smallest successful truncation, unless a later
		 * truncation cut the zeros off again.)
		 */
		boolean readable(int i, byte value) {
			return allowed(i, value) || (value == 0 && i >= lowestPossibleSize());
		}

		/** Bytes of a read's result at {@code position} that only {@link #readable}'s zeros past a truncation point explain. */
		int zerosPastTruncation(long position, byte[] bytes) {
			int zeros = 0;
			for (int j = 0; j < bytes.length; j++) {
				long i = position + j;
				if (i < size && !allowed((int) i, bytes[j]) && readable((int) i, bytes[j])) {
					zeros++;
				}
			}
			return zeros;
		}

		/** Bytes of a read's result at {@code position} that the file never held: past its size, or not {@link #readable}. */
		int foreignBytes(long position, byte[] bytes) {
			int bad = 0;
			for (int j = 0; j < bytes.length; j++) {
				long i = position + j;
				if (i >= size || !readable((int) i, bytes[j])) {
					bad++;
				}
			}
			return bad;
		}

		String interleaving() {
			return mix + "|" + closeMode + "|" + cancels;
		}
	}

	private static final class Op {
		final Kind kind;
		final Cancel cancel;
		final String label;
		final CountDownLatch settled = new CountDownLatch(1);
		final List<Lent> lent = new ArrayList<>();
		final List<Data> data = Collections.synchronizedList(new ArrayList<>());
		/** The library delivered its outcome (value, completion or error), whatever happened downstream. */
		final AtomicBoolean signalled = new AtomicBoolean();
		volatile boolean completedNormally;
		volatile long eofAt = -1;
		long start;
		long count;
		int chunk;
		volatile long delivered;

		Op(Kind kind, Cancel cancel, String label) {
			this.kind = kind;
			this.cancel = cancel;
			this.label = label;
		}

		synchronized Lent lend(ByteBuffer buffer) {
			Lent l = new Lent(buffer);
			lent.add(l);
			return l;
		}

		synchronized Lent find(ByteBuffer buffer) {
			for (Lent l : lent) {
				if (l.buffer == buffer) {
					return l;
				}
			}
			return null;
		}
	}

	/** A buffer lent to an operation: where it stood, and whether (and with which position) it came back. */
	private static final class Lent {
		final ByteBuffer buffer;
		final int position;
		final int limit;
		/** The file position of the single read or write it was lent to. */
		long at = -1;
		boolean returned;
		int positionAtReturn;

		Lent(ByteBuffer buffer) {
			this.buffer = buffer;
			this.position = buffer.position();
			this.limit = buffer.limit();
		}
	}

	private record Data(long position, byte[] bytes) {
	}

	private record Quarantined(ByteBuffer buffer, String label) {
	}

	private static final class Pending {
		final String label;
		final CountDownLatch latch;
		boolean reported;

		Pending(String label, CountDownLatch latch) {
			this.label = label;
			this.latch = latch;
		}
	}

	/**
	 * Page-aligned direct buffers recycled by capacity. A released buffer is poisoned at once; handing it out
	 * again first checks that nothing wrote into it meanwhile.
	 */
	private static final class PoisonProvider implements BufferProvider<ByteBuffer> {

		private final Tally tally;
		private final Map<Integer, ArrayDeque<ByteBuffer>> free = new HashMap<>();
		private final Set<ByteBuffer> lent = Collections.newSetFromMap(new IdentityHashMap<>());

		PoisonProvider(Tally tally) {
			this.tally = tally;
		}

		@Override
		public Class<ByteBuffer> type() {
			return ByteBuffer.class;
		}

		@Override
		public synchronized ByteBuffer allocate(int capacity) {
			ArrayDeque<ByteBuffer> cached = free.get(capacity);
			ByteBuffer buffer = cached == null ? null : cached.poll();
			if (buffer != null) {
				int changed = unpoisoned(buffer);
				tally.add(Count.CORRUPTED, changed, "a chunk buffer of " + capacity + " bytes changed in " + changed
						+ " bytes while it was released");
			}
			else {
				buffer = TestFiles.alignedDirect(capacity);
			}
			lent.add(buffer);
			return buffer.clear();
		}

		@Override
		public ByteBuffer writableView(ByteBuffer buffer) {
			return buffer.duplicate().clear();
		}

		@Override
		public void written(ByteBuffer buffer, int bytes) {
			buffer.position(0).limit(bytes);
		}

		@Override
		public synchronized void release(ByteBuffer buffer) {
			if (!lent.remove(buffer)) {
				return;
			}
			int blocks = victimBlocks(buffer);
			if (blocks > 0) {
				tally.add(Count.VICTIMS, 1, "a chunk buffer came back holding " + blocks + " blocks of a victim's file:"
						+ " a read went to a descriptor number the library had closed and someone else had opened");
				tally.add(Count.STOLEN, blocks * 512L, "bytes of a victim's file read into a chunk buffer: " + blocks * 512);
			}
			poison(buffer);
			free.computeIfAbsent(buffer.capacity(), c -> new ArrayDeque<>()).push(buffer);
		}

		synchronized void judge() {
			for (ArrayDeque<ByteBuffer> buffers : free.values()) {
				for (ByteBuffer buffer : buffers) {
					int changed = unpoisoned(buffer);
					tally.add(Count.CORRUPTED, changed, "a released chunk buffer changed in " + changed + " bytes after the round");
				}
			}
			tally.add(Count.UNRELEASED, lent.size(), lent.size() + " chunk buffers were never released");
		}
	}

	// ---- victims ----

	/**
	 * Threads that keep files and pipes of their own open while rounds run, and check that nothing else
	 * touched them: files opened read-write (so that a stray ftruncate or pwrite lands), pipes with bytes
	 * sitting in them (so that a stray read takes them). While a round launches its operations, a third
	 * thread, the snatcher, opens victim files back to back, so that a descriptor number the library just
	 * closed is taken again within microseconds, as in a busy server. Victim files carry {@link #MAGIC} at
	 * the start of every 512-byte block, so that their bytes are recognised wherever they end up.
	 */
	private static final class Victims {

		static final int FILE_SIZE = (128 << 10) + 100;
		static final int SLOTS = 24;

		final Path dir;
		final long seed;
		final Tally tally;
		final AtomicLong opened = new AtomicLong();
		final List<Thread> threads = new ArrayList<>();
		volatile boolean running = true;
		volatile long surgeUntil;

		Victims(Path dir, long seed, Tally tally) {
			this.dir = dir;
			this.seed = seed;
			this.tally = tally;
		}

		void start() throws IOException {
			Files.createDirectories(dir);
			for (int t = 0; t < 3; t++) {
				Random random = new Random(seed + 17 * t);
				Path[] paths = new Path[SLOTS];
				byte[][] contents = new byte[SLOTS][];
				for (int i = 0; i < SLOTS; i++) {
					paths[i] = dir.resolve("victim-" + t + "-" + i + ".bin");
					contents[i] = victimContent(random);
					Files.write(paths[i], contents[i]);
				}
				Runnable body = t < 2 ? () -> run(random, paths, contents) : () -> snatch(paths, contents);
				Thread thread = new Thread(body, t < 2 ? "stress-victim-" + t : "stress-snatcher");
				thread.setDaemon(true);
				threads.add(thread);
				thread.start();
			}
		}

		void stop() throws InterruptedException {
			running = false;
			for (Thread thread : threads) {
				thread.join(BOUND.toMillis());
			}
		}

		/** A round is about to close many files: open victims faster for a while. */
		void surge() {
			surgeUntil = System.nanoTime() + 30_000_000L;
		}

		/** Batches of files and pipes, held for a random while (pipe bytes sitting unread), then checked. */
		private void run(Random random, Path[] paths, byte[][] contents) {
			List<Victim> held = new ArrayList<>();
			while (running) {
				boolean surging = System.nanoTime() < surgeUntil;
				int n = surging ? 8 + random.nextInt(SLOTS - 8) : 2 + random.nextInt(8);
				int slot = 0;
				try {
					for (int i = 0; i < n; i++) {
						if (random.nextInt(5) < 2) {
							held.add(new FileVictim(paths[slot], contents[slot]));
							slot++;
						}
						else {
							held.add(new PipeVictim(data(random, 1 + random.nextInt(random.nextBoolean() ? 64 : 8192))));
						}
						opened.incrementAndGet();
					}
					long hold = random.nextInt(4) == 0 ? random.nextInt(3_000_000) : random.nextInt(surging ? 200_000 : 500_000);
					LockSupport.parkNanos(hold);
					for (Victim victim : held) {
						victim.check(tally);
					}
				}
				catch (IOException | RuntimeException e) {
					tally.add(Count.VICTIMS, 1, "a victim's own I/O failed: " + e);
				}
				finally {
					closeAll(held);
				}
				if (!surging) {
					LockSupport.parkNanos(random.nextInt(200_000));
				}
			}
		}

		/** During a surge, one file opened after the other, the oldest of the last 16 checked and closed. */
		private void snatch(Path[] paths, byte[][] contents) {
			ArrayDeque<Victim> held = new ArrayDeque<>();
			int slot = 0;
			while (running) {
				if (System.nanoTime() >= surgeUntil) {
					closeAll(held);
					LockSupport.parkNanos(500_000);
					continue;
				}
				try {
					held.add(new FileVictim(paths[slot], contents[slot]));
					slot = (slot + 1) % SLOTS;
					opened.incrementAndGet();
					if (held.size() > 16) {
						Victim oldest = held.poll();
						try {
							oldest.check(tally);
						}
						finally {
							oldest.close();
						}
					}
				}
				catch (IOException | RuntimeException e) {
					tally.add(Count.VICTIMS, 1, "a victim's own I/O failed: " + e);
				}
			}
			closeAll(held);
		}

		private void closeAll(Collection<Victim> held) {
			for (Victim victim : held) {
				try {
					victim.close();
				}
				catch (IOException e) {
					tally.add(Count.VICTIMS, 1, "closing a victim failed (was its descriptor closed by someone else?): " + e);
				}
			}
			held.clear();
		}
	}

	private interface Victim {
		void check(Tally tally) throws IOException;

		void close() throws IOException;
	}

	private static final class FileVictim implements Victim {
		final Path path;
		final byte[] content;
		final FileChannel channel;

		FileVictim(Path path, byte[] content) throws IOException {
			this.path = path;
			this.content = content;
			this.channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
		}

		@Override
		public void check(Tally tally) throws IOException {
			long size = channel.size();
			ByteBuffer buffer = ByteBuffer.allocate(content.length);
			while (buffer.hasRemaining() && channel.read(buffer, buffer.position()) > 0) {
				// reads until the end or the expected length
			}
			int changed = content.length - buffer.position();
			for (int i = 0; i < buffer.position(); i++) {
				changed += buffer.get(i) != content[i] ? 1 : 0;
			}
			if (size != content.length || changed != 0) {
				tally.add(Count.VICTIMS, 1, "victim file " + path.getFileName() + " changed: size " + size + " instead of "
						+ content.length + ", " + changed + " bytes differ");
				channel.write(ByteBuffer.wrap(content), 0);
				channel.truncate(content.length);
			}
		}

		@Override
		public void close() throws IOException {
			channel.close();
		}
	}

	private static final class PipeVictim implements Victim {
		final Pipe pipe;
		final byte[] payload;

		PipeVictim(byte[] payload) throws IOException {
			this.payload = payload;
			this.pipe = Pipe.open();
			pipe.source().configureBlocking(false);
			pipe.sink().configureBlocking(false);
			ByteBuffer out = ByteBuffer.wrap(payload);
			while (out.hasRemaining()) {
				if (pipe.sink().write(out) == 0) {
					throw new IOException("a fresh pipe refused " + out.remaining() + " bytes");
				}
			}
		}

		/** Reads the pipe dry: what comes out must be the payload, no byte missing, changed or added. */
		@Override
		public void check(Tally tally) throws IOException {
			ByteBuffer in = ByteBuffer.allocate(payload.length + 4096);
			long deadline = System.nanoTime() + 2_000_000L;
			while (in.position() < payload.length && System.nanoTime() < deadline) {
				if (pipe.source().read(in) == 0) {
					Thread.onSpinWait();
				}
			}
			pipe.source().read(in);
			byte[] got = Arrays.copyOf(in.array(), in.position());
			int harmed = Math.abs(payload.length - got.length);
			// bytes taken from the front leave the payload's tail: those are not changed bytes as well
			int offset = got.length < payload.length && Arrays.equals(got, 0, got.length, payload, payload.length - got.length,
					payload.length) ? payload.length - got.length : 0;
			for (int i = 0; i < Math.min(got.length, payload.length - offset); i++) {
				harmed += got[i] != payload[offset + i] ? 1 : 0;
			}
			if (harmed > 0) {
				tally.add(Count.VICTIMS, 1, "victim pipe lost or changed bytes: wrote " + payload.length + ", read back " + got.length);
				tally.add(Count.STOLEN, harmed, harmed + " pipe bytes stolen, changed or added");
			}
		}

		@Override
		public void close() throws IOException {
			try {
				pipe.source().close();
			}
			finally {
				pipe.sink().close();
			}
		}
	}

	/** What starts every 512-byte block of a victim file (never in the test's own data, which is random). */
	static final byte[] MAGIC = "victim:\n".getBytes(StandardCharsets.US_ASCII);

	static byte[] victimContent(Random random) {
		byte[] bytes = data(random, Victims.FILE_SIZE);
		for (int at = 0; at + MAGIC.length <= bytes.length; at += 512) {
			System.arraycopy(MAGIC, 0, bytes, at, MAGIC.length);
		}
		return bytes;
	}

	/** {@return how many 512-byte blocks of the buffer start like a victim file's block} */
	static int victimBlocks(ByteBuffer buffer) {
		ByteBuffer whole = buffer.duplicate().clear();
		byte[] head = new byte[MAGIC.length];
		int blocks = 0;
		for (int at = 0; at + MAGIC.length <= whole.capacity(); at += 512) {
			whole.get(at, head);
			blocks += Arrays.equals(head, MAGIC) ? 1 : 0;
		}
		return blocks;
	}

	// ---- counts ----

	/** The harm counters, the round they were first seen in, and the first few pieces of evidence. */
	private static final class Tally {
		private static final int EVIDENCE_PER_COUNT = 6;
		private final Map<Count, AtomicLong> counts = new EnumMap<>(Count.class);
		private final List<String> evidence = Collections.synchronizedList(new ArrayList<>());
		volatile int round;
		volatile int firstRound = -1;

		Tally() {
			for (Count count : Count.values()) {
				counts.put(count, new AtomicLong());
			}
		}

		void add(Count count, long n, String what) {
			if (n <= 0) {
				return;
			}
			counts.get(count).addAndGet(n);
			if (firstRound < 0) {
				firstRound = round;
			}
			synchronized (evidence) {
				if (evidence.stream().filter(e -> e.contains("[" + count.label + "]")).count() < EVIDENCE_PER_COUNT) {
					evidence.add((round < 0 ? "after the run" : "round " + round) + ": [" + count.label + "] " + what);
				}
			}
		}

		long get(Count count) {
			return counts.get(count).get();
		}

		long total() {
			return counts.values().stream().mapToLong(AtomicLong::get).sum();
		}

		String counts() {
			return Arrays.stream(Count.values()).map(c -> c.label + "=" + get(c)).collect(Collectors.joining(" "));
		}

		List<String> evidence() {
			synchronized (evidence) {
				return new ArrayList<>(evidence);
			}
		}
	}

	// ---- helpers ----

	/** Random bytes without the poison value, so that poison in a file or buffer is never the test's data. */
	static byte[] data(Random random, int size) {
		byte[] bytes = TestFiles.randomBytes(random, size);
		for (int i = 0; i < size; i++) {
			if (bytes[i] == POISON) {
				bytes[i] = 0x5A;
			}
		}
		return bytes;
	}

	/** Fills the whole buffer, up to its capacity, with poison; its position and limit stay as they are. */
	static void poison(ByteBuffer buffer) {
		ByteBuffer whole = buffer.duplicate().clear();
		int capacity = whole.capacity();
		for (int at = 0; at < capacity; at += POISON_CHUNK.length) {
			whole.put(at, POISON_CHUNK, 0, Math.min(POISON_CHUNK.length, capacity - at));
		}
	}

	/** {@return how many bytes of the whole buffer are not poison} */
	static int unpoisoned(ByteBuffer buffer) {
		ByteBuffer whole = buffer.duplicate().clear();
		int capacity = whole.capacity();
		byte[] chunk = new byte[Math.min(capacity, POISON_CHUNK.length)];
		int changed = 0;
		for (int at = 0; at < capacity; at += chunk.length) {
			int n = Math.min(chunk.length, capacity - at);
			whole.get(at, chunk, 0, n);
			for (int i = 0; i < n; i++) {
				changed += chunk[i] != POISON ? 1 : 0;
			}
		}
		return changed;
	}

	static int alignUp(int value) {
		return (value + PAGE - 1) / PAGE * PAGE;
	}

	static long sizeOnDisk(Path path) {
		try {
			return Files.size(path);
		}
		catch (IOException e) {
			return -1;
		}
	}

	static void awaitQuietly(CountDownLatch latch) {
		try {
			latch.await(BOUND.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
	}

	/** io_uring. */
	static class IoUringLifecycleStressTest extends LifecycleStressContract {
		@Override
		protected AioBackend backend() {
			return AioBackend.IO_URING;
		}
	}

	/** kernel AIO. */
	static class LibaioLifecycleStressTest extends LifecycleStressContract {
		@Override
		protected AioBackend backend() {
			return AioBackend.LIBAIO;
		}
	}

	/** FileChannel pool. */
	static class NioLifecycleStressTest extends LifecycleStressContract {
		@Override
		protected AioBackend backend() {
			return AioBackend.NIO;
		}
	}
}
