package dev.reactoraio;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import dev.reactoraio.internal.core.IoLoop;
import dev.reactoraio.internal.runtime.DefaultAioResources;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The positional reads of a file opened for reading alone, through the page cache, go to every loop: a
 * reader issuing its next read from the completion of the last mostly stays on that loop, other callers
 * take the loops in turn, and close still waits for every loop's reads before the descriptor goes back to
 * the process.
 */
class SpreadReadsTest {

	private static final int SIZE = 1 << 20;
	private static final int BLOCK = 4096;

	@TempDir
	Path dir;

	private final List<AioResources> made = new ArrayList<>();

	@AfterEach
	void dispose() {
		made.forEach(AioResources::dispose);
	}

	private AioResources resources(AioBackend backend) {
		EnvironmentExpectationTest.assumeAvailable(backend);
		AioResources resources = AioResources.builder("spread-reads-" + backend).backend(backend).rings(2).build();
		made.add(resources);
		return resources;
	}

	private Path file(byte[] content) throws Exception {
		Path path = Files.createTempFile(dir, "spread", ".bin");
		Files.write(path, content);
		return path;
	}

	private static byte[] content() {
		byte[] bytes = new byte[SIZE];
		new SplittableRandom(7).nextBytes(bytes);
		return bytes;
	}

	private static long[] submitted(AioResources resources) {
		return ((DefaultAioResources) resources).loops().stream().mapToLong(l -> l.stats.submitted()).toArray();
	}

	/**
	 * 32 lanes of {@code Mono.defer(read).repeat()} in a {@code flatMap}: every read has the file's bytes,
	 * both loops issue a good part of them, and a lane's next read mostly completes on the thread its last
	 * one did (a hand-over per read would cost more than the second loop brings).
	 */
	@ParameterizedTest
	@EnumSource(value = AioBackend.class, names = {"IO_URING", "LIBAIO"})
	void lanesOfAReadOnlyFileUseEveryLoopAndKeepTheirs(AioBackend backend) throws Exception {
		AioResources resources = resources(backend);
		byte[] content = content();
		Path path = file(content);
		for (Set<OpenOption> options : List.of(Set.<OpenOption>of(StandardOpenOption.READ))) {
			AsyncFile file = AsyncFile.open(path, options, resources).block(Duration.ofSeconds(10));
			try {
				long[] before = submitted(resources);
				AtomicLong moves = new AtomicLong();
				AtomicLong wrong = new AtomicLong();
				long reads = Flux.range(0, 32)
						.flatMap(lane -> {
							ByteBuffer buffer = TestFiles.alignedDirect(BLOCK);
							SplittableRandom random = new SplittableRandom(lane);
							long[] position = new long[1];
							Thread[] last = new Thread[1];
							return Mono.defer(() -> {
										buffer.clear();
										position[0] = (long) random.nextInt(SIZE / BLOCK) * BLOCK;
										return file.read(buffer, position[0]);
									})
									.doOnNext(count -> {
										if (last[0] != null && last[0] != Thread.currentThread()) {
											moves.incrementAndGet();
										}
										last[0] = Thread.currentThread();
										byte[] got = new byte[count];
										buffer.get(0, got);
										byte[] expected = java.util.Arrays.copyOfRange(content, (int) position[0],
												(int) position[0] + BLOCK);
										if (count != BLOCK || !java.util.Arrays.equals(expected, got)) {
											wrong.incrementAndGet();
										}
									})
									.repeat(999);
						}, 32)
						.count()
						.block(Duration.ofSeconds(60));
				assertEquals(32_000, reads);
				assertEquals(0, wrong.get(), "reads with other bytes than the file's");
				long[] after = submitted(resources);
				long total = 0;
				for (int i = 0; i < after.length; i++) {
					total += after[i] - before[i];
				}
				for (int i = 0; i < after.length; i++) {
					long share = after[i] - before[i];
					assertTrue(share >= total / 4, "loop " + i + " issued " + share + " of " + total + " " + options);
				}
				assertTrue(moves.get() < reads / 10, moves + " of " + reads + " reads completed on another thread than the last");
			}
			finally {
				file.close().block(Duration.ofSeconds(10));
			}
		}
	}

	/**
	 * A file opened for writing, or with O_DIRECT, keeps every read on its loop: only page-cache reads of
	 * files opened for reading alone spread.
	 */
	@ParameterizedTest
	@EnumSource(value = StandardOpenOption.class, names = {"WRITE", "READ"})
	void writableAndDirectFilesKeepTheirReadsOnTheirLoop(StandardOpenOption second) throws Exception {
		AioResources resources = resources(AioBackend.IO_URING);
		byte[] content = content();
		Path path = file(content);
		Set<OpenOption> options = second == StandardOpenOption.WRITE
				? Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE)
				: Set.of(StandardOpenOption.READ, AioOpenOption.DIRECT);
		AsyncFile file = AsyncFile.open(path, options, resources).block(Duration.ofSeconds(10));
		try {
			long[] before = submitted(resources);
			Flux.range(0, 200)
					.flatMap(i -> file.read(TestFiles.alignedDirect(BLOCK),
							(long) (i % 256) * BLOCK), 16)
					.blockLast(Duration.ofSeconds(30));
			long[] after = submitted(resources);
			int busy = 0;
			for (int i = 0; i < after.length; i++) {
				if (after[i] - before[i] > 0) {
					busy++;
				}
			}
			assertEquals(1, busy, "loops that issued the reads of a file opened " + options);
		}
		finally {
			file.close().block(Duration.ofSeconds(10));
		}
	}

	/**
	 * Close races lanes reading on both loops, while other threads open and close files and pipes of their
	 * own: every read has the file's bytes or fails as a closed channel's does, close completes, nothing
	 * hangs, and no descriptor of those threads is read from. With 4 ring entries most reads wait for room
	 * on their loop when close comes; odd lanes are cancelled at a random instant as well.
	 */
	@ParameterizedTest
	@CsvSource({"IO_URING, 256", "IO_URING, 4", "LIBAIO, 256", "LIBAIO, 4"})
	void closeWaitsForTheReadsOfEveryLoop(AioBackend backend, int ringEntries) throws Exception {
		EnvironmentExpectationTest.assumeAvailable(backend);
		AioResources resources = AioResources.builder("spread-close-" + backend).backend(backend).rings(2)
				.ringEntries(ringEntries).build();
		made.add(resources);
		byte[] content = content();
		Path path = file(content);
		Victims victims = new Victims(Files.createDirectories(dir.resolve("victims")), 32, 1);
		AtomicLong wrong = new AtomicLong();
		AtomicLong ended = new AtomicLong();
		AtomicLong reads = new AtomicLong();
		Set<String> readers = ConcurrentHashMap.newKeySet();
		try {
			for (int round = 0; round < 200; round++) {
				Set<OpenOption> options = round % 5 == 0 ? Set.of(StandardOpenOption.READ, AioOpenOption.DIRECT)
						: Set.of(StandardOpenOption.READ);
				AsyncFile file = AsyncFile.open(path, options, resources).block(Duration.ofSeconds(10));
				Mono<Long> lanes = Flux.range(0, 16)
						.flatMap(lane -> {
							ByteBuffer buffer = TestFiles.alignedDirect(BLOCK);
							long[] position = new long[1];
							Flux<Integer> reading = Mono.defer(() -> {
										buffer.clear();
										position[0] = (long) ThreadLocalRandom.current().nextInt(SIZE / BLOCK) * BLOCK;
										return file.read(buffer, position[0]);
									})
									.doOnNext(count -> {
										reads.incrementAndGet();
										readers.add(Thread.currentThread().getName());
										byte[] got = new byte[count];
										buffer.get(0, got);
										if (count != BLOCK || !java.util.Arrays.equals(got,
												java.util.Arrays.copyOfRange(content, (int) position[0], (int) position[0] + BLOCK))) {
											wrong.incrementAndGet();
										}
									})
									.repeat();
							if (lane % 2 == 1) {
								reading = reading.take(Duration.ofNanos(ThreadLocalRandom.current().nextLong(3_000_000)));
							}
							return reading
									.doOnComplete(ended::incrementAndGet)
									.onErrorResume(ClosedChannelException.class, e -> { // AsynchronousCloseException too
										ended.incrementAndGet();
										return Mono.empty();
									});
						}, 16)
						.count();
				Mono<Void> close = Mono.delay(Duration.ofNanos(ThreadLocalRandom.current().nextLong(2_000_000)),
						round % 2 == 0 ? Schedulers.parallel() : Schedulers.single())
						.then(file.close());
				Mono.when(lanes, close).block(Duration.ofSeconds(30));
			}
		}
		finally {
			victims.stop();
		}
		assertEquals(0, wrong.get(), "reads with other bytes than the file's");
		assertEquals(0, victims.harm(), victims.report());
		assertEquals(200 * 16, ended.get(), "every lane ends: cancelled, or with the close");
		for (IoLoop loop : ((DefaultAioResources) resources).loops()) {
			assertTrue(readers.stream().anyMatch(name -> name.equals(loop.name())),
					"reads completed on " + readers + ", never on " + loop.name());
		}
	}

	/**
	 * Disposing the resources while lanes read on both loops: every lane ends (with the close of its file,
	 * or the loop's end), the disposal completes, nothing hangs.
	 */
	@ParameterizedTest
	@EnumSource(value = AioBackend.class, names = {"IO_URING", "LIBAIO"})
	void disposingWhileReadsSpreadEndsEveryReader(AioBackend backend) throws Exception {
		EnvironmentExpectationTest.assumeAvailable(backend);
		byte[] content = content();
		Path path = file(content);
		for (int round = 0; round < 30; round++) {
			AioResources resources = AioResources.builder("spread-dispose-" + backend).backend(backend).rings(2).build();
			AsyncFile file = AsyncFile.open(path, Set.of(StandardOpenOption.READ), resources)
					.block(Duration.ofSeconds(10));
			AtomicLong ended = new AtomicLong();
			Mono<Long> lanes = Flux.range(0, 16)
					.flatMap(lane -> {
						ByteBuffer buffer = ByteBuffer.allocateDirect(BLOCK);
						return Mono.defer(() -> file.read(buffer.clear(),
										(long) ThreadLocalRandom.current().nextInt(SIZE / BLOCK) * BLOCK))
								.repeat()
								.onErrorResume(e -> {
									ended.incrementAndGet(); // closed by the disposal, or refused by a loop that ended
									return Mono.empty();
								});
					}, 16)
					.count();
			Mono<Void> dispose = Mono.delay(Duration.ofMillis(round % 4)).then(resources.disposeLater());
			Mono.when(lanes, dispose).block(Duration.ofSeconds(30));
			assertEquals(16, ended.get(), "readers that ended in round " + round);
		}
	}
}
