package dev.reactoraio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import reactor.core.scheduler.Schedulers;
import reactor.test.util.RaceTestUtils;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Races that must never crash the JVM, hang a subscriber or leak a buffer or a descriptor: requests and
 * cancels from several threads, close and dispose under load, and 100,000 cancellations at random
 * points. Every scenario ends by checking the library's own counters and /proc/self/fd.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
public abstract class RaceContract {

	static final Duration BOUND = Duration.ofSeconds(30);

	private Path dir;

	private AioResources resources;
	private Path data;
	/** Racing threads: RaceTestUtils needs one worker per runnable, more than a 2-core parallel() has. */
	private final reactor.core.scheduler.Scheduler racers = Schedulers.newParallel("racer", 4);

	protected abstract AioBackend backend();

	@BeforeAll
	void setUp() throws IOException {
		Throwable cause = Aio.unavailabilityCause(backend());
		assumeTrue(cause == null, () -> backend() + " is not available here: " + cause);
		resources = AioResources.builder("race-" + backend().name().toLowerCase()).backend(backend())
				.ringEntries(32).readahead(4).build();
		dir = Files.createTempDirectory("reactor-aio-race");
		data = TestFiles.randomFile(dir, "data.bin", new Random(7), 4 << 20);
	}

	@AfterAll
	void tearDown() throws IOException {
		racers.dispose();
		if (resources != null) {
			resources.disposeLater().block(BOUND);
		}
		if (dir != null) {
			try (var files = Files.list(dir)) {
				for (Path file : (Iterable<Path>) files::iterator) {
					Files.delete(file);
				}
			}
			Files.delete(dir);
		}
	}

	@Test
	void requestAndCancelRaceFromSeveralThreads() throws Exception {
		Map<String, String> fdsBefore = TestFiles.openDescriptors();
		AsyncFile file = AsyncFile.open(data, Set.of(), resources).block(BOUND);
		Random random = new Random(1);
		int runs = 2000;
		AtomicInteger terminatedOrCancelled = new AtomicInteger();
		for (int i = 0; i < runs; i++) {
			CountDownLatch settled = new CountDownLatch(1);
			AtomicReference<Subscription> subscription = new AtomicReference<>();
			AtomicReference<Throwable> error = new AtomicReference<>();
			BaseSubscriber<ByteBuffer> subscriber = new BaseSubscriber<>() {
				@Override
				protected void hookOnSubscribe(Subscription s) {
					subscription.set(s);
				}

				@Override
				protected void hookOnError(Throwable t) {
					error.set(t);
				}

				@Override
				protected void hookFinally(SignalType type) {
					settled.countDown();
				}
			};
			file.readChunks(random.nextInt(4 << 20), Long.MAX_VALUE, 4096 << random.nextInt(5))
					.subscribeOn(random.nextBoolean() ? Schedulers.immediate() : Schedulers.parallel())
					.subscribe(subscriber);
			long n1 = 1 + random.nextInt(8);
			long n2 = random.nextBoolean() ? Long.MAX_VALUE : 1 + random.nextInt(8);
			RaceTestUtils.race(racers, () -> subscriber.request(n1), () -> subscriber.request(n2), subscriber::cancel);
			assertTrue(settled.await(BOUND.toSeconds(), TimeUnit.SECONDS), "run " + i + " did not settle");
			assertTrue(error.get() == null, () -> "run failed: " + error.get());
			terminatedOrCancelled.incrementAndGet();
		}
		file.close().block(BOUND);
		assertEquals(runs, terminatedOrCancelled.get());
		assertNothingLeaked(fdsBefore);
		System.out.println("[reliability] " + backend() + " request/cancel races: " + runs);
	}

	@Test
	void hundredThousandCancellationsAtRandomPoints() throws Exception {
		Map<String, String> fdsBefore = TestFiles.openDescriptors();
		AsyncFile file = AsyncFile.open(data, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE), resources)
				.block(BOUND);
		Random random = new Random(2);
		int total = 100_000;
		List<Disposable> live = new ArrayList<>();
		List<Throwable> dropped = java.util.Collections.synchronizedList(new ArrayList<>());
		reactor.core.publisher.Hooks.onErrorDropped(dropped::add);
		for (int i = 0; i < total; i++) {
			Mono<?> op;
			switch (random.nextInt(5)) {
				case 0:
					op = file.read(ByteBuffer.allocateDirect(4096), random.nextInt(4 << 20));
					break;
				case 1:
					op = file.read(ByteBuffer.allocate(8192), random.nextInt(4 << 20));
					break;
				case 2:
					op = file.readChunks(random.nextInt(4 << 20), 1 << 20, 16384).then();
					break;
				case 3:
					op = file.write(ByteBuffer.allocate(512), (4 << 20) + random.nextInt(1 << 20));
					break;
				default:
					op = file.write(Flux.range(0, 8).map(x -> ByteBuffer.allocate(1000)), 5 << 20).then();
			}
			Disposable d = op.subscribe(v -> { }, e -> { });
			if (random.nextInt(4) == 0) {
				live.add(d);
				if (live.size() > 64) {
					live.remove(random.nextInt(live.size())).dispose();
				}
			}
			else {
				d.dispose();
			}
		}
		live.forEach(Disposable::dispose);
		assertEquals(4096, file.read(ByteBuffer.allocate(4096), 0).block(BOUND), "the loop is healthy afterwards");
		file.close().block(BOUND);
		reactor.core.publisher.Hooks.resetOnErrorDropped();
		assertTrue(dropped.isEmpty(), () -> "errors dropped after cancellation: " + dropped.subList(0, Math.min(3, dropped.size())));
		assertNothingLeaked(fdsBefore);
		System.out.println("[reliability] " + backend() + " cancellations: " + total);
	}

	@Test
	void closeFromSeveralThreadsWhileOperationsAreInFlight() throws Exception {
		Map<String, String> fdsBefore = TestFiles.openDescriptors();
		Random random = new Random(3);
		for (int round = 0; round < 300; round++) {
			AsyncFile file = AsyncFile.open(data, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE), resources)
					.block(BOUND);
			List<Mono<Void>> ops = new ArrayList<>();
			ops.add(file.readChunks(0, Long.MAX_VALUE, 65536).then());
			ops.add(file.write(Flux.range(0, 50).map(i -> ByteBuffer.allocate(8192)), 0).then());
			ops.add(file.read(ByteBuffer.allocateDirect(1 << 16), random.nextInt(1 << 20)).then());
			ops.add(file.force(true));
			List<Mono<Void>> settled = new ArrayList<>();
			for (Mono<Void> op : ops) {
				settled.add(op.onErrorResume(e -> e instanceof ClosedChannelException, e -> Mono.empty())
						.subscribeOn(Schedulers.parallel()).cache());
			}
			settled.forEach(Mono::subscribe);
			Mono<Void> close1 = file.close().cache();
			Mono<Void> close2 = file.close().cache();
			RaceTestUtils.race(racers, close1::subscribe, close2::subscribe);
			Mono.when(close1, close2).block(BOUND);
			Mono.when(settled).block(BOUND);
		}
		assertNothingLeaked(fdsBefore);
	}

	@Test
	void disposeLaterEndsLiveStreams() throws Exception {
		Map<String, String> fdsBefore = TestFiles.openDescriptors();
		for (int round = 0; round < 20; round++) {
			AioResources local = AioResources.builder("dispose").backend(backend()).ringEntries(8).build();
			List<CountDownLatch> ended = new ArrayList<>();
			List<AtomicReference<Throwable>> errors = new ArrayList<>();
			for (int i = 0; i < 6; i++) {
				AsyncFile file = AsyncFile.open(data, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE), local)
						.block(BOUND);
				CountDownLatch latch = new CountDownLatch(1);
				AtomicReference<Throwable> error = new AtomicReference<>();
				Flux<?> stream = i % 2 == 0
						? file.readChunks(0, Long.MAX_VALUE, 4096).limitRate(1).delayElements(Duration.ofMillis(5))
						: file.write(Flux.interval(Duration.ofMillis(2)).onBackpressureBuffer().map(x -> ByteBuffer.allocate(100)), 0)
								.flux();
				stream.subscribe(x -> { }, e -> {
					error.set(e);
					latch.countDown();
				}, latch::countDown);
				ended.add(latch);
				errors.add(error);
			}
			Thread.sleep(20);
			local.disposeLater().block(BOUND);
			for (int i = 0; i < ended.size(); i++) {
				assertTrue(ended.get(i).await(BOUND.toSeconds(), TimeUnit.SECONDS), "stream " + i + " still running");
				Throwable e = errors.get(i).get();
				assertTrue(e instanceof AsynchronousCloseException || e instanceof ClosedChannelException,
						"stream " + i + " ended with " + e);
			}
			AioStats stats = local.stats();
			assertEquals(0, stats.openFiles(), stats::toString);
			assertEquals(0, stats.outstandingBuffers(), stats::toString);
			assertEquals(0, stats.inFlight(), stats::toString);
		}
		assertNothingLeaked(fdsBefore);
	}

	private void assertNothingLeaked(Map<String, String> fdsBefore) throws Exception {
		AioStats last = TestFiles.settle(resources, BOUND);
		assertEquals(0, last.openFiles(), last::toString);
		assertEquals(0, last.outstandingBuffers(), last::toString);
		assertEquals(0, last.inFlight(), last::toString);
		Map<String, String> leaked = TestFiles.descriptorsOpenedSince(fdsBefore,
				target -> target.startsWith(dir.toString()) || target.startsWith("anon_inode:"), Duration.ofSeconds(2));
		assertTrue(leaked.isEmpty(), "descriptors left open: " + leaked);
		assertTrue(Files.exists(data));
	}

	/** io_uring. */
	static class IoUringRaceTest extends RaceContract {
		@Override
		protected AioBackend backend() {
			return AioBackend.IO_URING;
		}
	}

	/** kernel AIO. */
	static class LibaioRaceTest extends RaceContract {
		@Override
		protected AioBackend backend() {
			return AioBackend.LIBAIO;
		}
	}

	/** FileChannel pool. */
	static class NioRaceTest extends RaceContract {
		@Override
		protected AioBackend backend() {
			return AioBackend.NIO;
		}
	}
}
