package dev.reactoraio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Thousands of random API calls with random arguments — negative and huge positions and counts,
 * zero-length, read-only, heap and misaligned buffers, closed files, double close, invalid option
 * sets, request(0) and request(-1). Each call must end with a value or a documented error within a
 * time bound; afterwards nothing is left open or outstanding. A failure prints its seed; rerun one seed
 * with {@code -Dreactoraio.fuzz.seed=<seed>}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiFuzzTest {

	private static final Duration BOUND = Duration.ofSeconds(20);
	private static final int CALLS_PER_SEED = 400;

	private Path dir;
	private final List<Class<? extends Throwable>> documented = List.of(IllegalArgumentException.class,
			NullPointerException.class, ClosedChannelException.class, NonReadableChannelException.class,
			NonWritableChannelException.class, UnsupportedOperationException.class, FileSystemException.class,
			AioIOException.class);

	@BeforeAll
	void directory() throws IOException {
		dir = Files.createTempDirectory("reactor-aio-fuzz");
	}

	@AfterAll
	void cleanUp() throws IOException {
		try (var files = Files.list(dir)) {
			for (Path file : (Iterable<Path>) files::iterator) {
				Files.delete(file);
			}
		}
		Files.delete(dir);
	}

	@ParameterizedTest
	@EnumSource(value = AioBackend.class, names = {"IO_URING", "LIBAIO", "NIO"})
	void randomCallsEndWithAValueOrADocumentedError(AioBackend backend) throws Exception {
		assumeTrue(Aio.isAvailable(backend), () -> backend + " is not available: " + Aio.unavailabilityCause(backend));
		String fixed = System.getProperty("reactoraio.fuzz.seed");
		long[] seeds = fixed != null ? new long[] {Long.parseLong(fixed)} : new long[] {1, 2, 3, 4, 5, 6, 7, 8};
		AioResources resources = AioResources.builder("fuzz").backend(backend).ringEntries(8).readahead(3).build();
		int calls = 0;
		try {
			for (long seed : seeds) {
				calls += runSeed(seed, resources);
			}
			AioStats stats = TestFiles.settle(resources, BOUND);
			assertEquals(0, stats.openFiles(), stats::toString);
			assertEquals(0, stats.outstandingBuffers(), stats::toString);
			assertEquals(0, stats.inFlight(), stats::toString);
		}
		finally {
			resources.disposeLater().block(BOUND);
		}
		System.out.println("[reliability] " + backend + " fuzzed calls: " + calls);
	}

	private int runSeed(long seed, AioResources resources) throws Exception {
		Random random = new Random(seed);
		Path path = dir.resolve("fuzz-" + seed + ".bin");
		Files.write(path, TestFiles.randomBytes(random, 100_000));
		List<AsyncFile> files = new ArrayList<>();
		int calls = 0;
		try {
			for (int i = 0; i < CALLS_PER_SEED; i++) {
				calls++;
				if (files.isEmpty() || random.nextInt(20) == 0) {
					Mono<AsyncFile> open = AsyncFile.open(random.nextInt(10) == 0 ? dir.resolve("missing") : path,
							randomOptions(random), resources);
					Object outcome = await(open, seed, "open");
					if (outcome instanceof AsyncFile) {
						files.add((AsyncFile) outcome);
					}
					continue;
				}
				AsyncFile file = files.get(random.nextInt(files.size()));
				await(randomCall(random, file), seed, "call " + i + " on " + file);
			}
		}
		finally {
			for (AsyncFile file : files) {
				await(file.close(), seed, "final close");
			}
		}
		return calls;
	}

	private static Set<OpenOption> randomOptions(Random random) {
		Set<OpenOption> options = new HashSet<>();
		OpenOption[] all = {StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
				StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.APPEND, StandardOpenOption.SYNC,
				StandardOpenOption.DSYNC, StandardOpenOption.SPARSE, LinkOption.NOFOLLOW_LINKS, AioOpenOption.DIRECT,
				StandardOpenOption.CREATE_NEW};
		for (OpenOption option : all) {
			if (random.nextInt(4) == 0 && (option != StandardOpenOption.TRUNCATE_EXISTING || random.nextInt(4) == 0)) {
				options.add(option);
			}
		}
		return options;
	}

	private static long randomPosition(Random random) {
		switch (random.nextInt(6)) {
			case 0: return -1 - random.nextInt(1000);
			case 1: return Long.MAX_VALUE - random.nextInt(1000);
			case 2: return (1L << 40) + random.nextInt(1 << 20);
			default: return random.nextInt(120_000);
		}
	}

	private static ByteBuffer randomBuffer(Random random) {
		int size = random.nextInt(5) == 0 ? 0 : 1 + random.nextInt(70_000);
		switch (random.nextInt(5)) {
			case 0: return ByteBuffer.allocate(size);
			case 1: return ByteBuffer.allocateDirect(size);
			case 2: return TestFiles.misalignedDirect(size);
			case 3: return ByteBuffer.allocate(size + 10).position(5).limit(5 + size).slice();
			default: return ByteBuffer.allocate(size).asReadOnlyBuffer();
		}
	}

	private static Mono<?> randomCall(Random random, AsyncFile file) {
		switch (random.nextInt(11)) {
			case 0: return file.read(randomBuffer(random), randomPosition(random));
			case 1: return file.write(randomBuffer(random), randomPosition(random));
			case 2: return file.readChunks(randomPosition(random), random.nextInt(4) == 0 ? -5 : random.nextInt(300_000),
					random.nextInt(5) == 0 ? -random.nextInt(3) : 1 + random.nextInt(65536)).then();
			case 3: return file.write(Flux.range(0, random.nextInt(10)).map(x -> randomBuffer(random))
					.filter(b -> !b.isReadOnly()), randomPosition(random));
			case 4: return file.force(random.nextBoolean());
			case 5: return file.size();
			case 6: return file.truncate(random.nextInt(4) == 0 ? -1 : random.nextInt(150_000));
			case 7: return file.allocate(randomPosition(random), random.nextInt(3) == 0 ? 0 : random.nextInt(100_000));
			case 8: return file.close();
			case 9: return badDemand(file, random);
			default: return file.readChunks(0, Long.MAX_VALUE, 4096).take(random.nextInt(5)).then();
		}
	}

	/** A subscriber that requests 0 or a negative amount: §3.9 says the stream must error with IllegalArgumentException. */
	private static Mono<Void> badDemand(AsyncFile file, Random random) {
		long n = random.nextBoolean() ? 0 : -1 - random.nextInt(5);
		return Mono.create(sink -> file.readChunks(0, 1000, 100).subscribe(new BaseSubscriber<ByteBuffer>() {
			@Override
			protected void hookOnSubscribe(Subscription subscription) {
				subscription.request(n);
			}

			@Override
			protected void hookOnError(Throwable throwable) {
				sink.error(throwable);
			}

			@Override
			protected void hookOnComplete() {
				sink.error(new AssertionError("request(" + n + ") must end in an error, not completion"));
			}
		}));
	}

	/** Subscribes and waits: a value, completion or a documented error within the bound, else the seed fails. */
	private Object await(Mono<?> mono, long seed, String what) throws Exception {
		CompletableFuture<Object> outcome = new CompletableFuture<>();
		mono.subscribe(v -> outcome.complete(v), outcome::complete, () -> outcome.complete("completed"));
		Object result;
		try {
			result = outcome.get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (TimeoutException e) {
			fail("seed " + seed + ": " + what + " did not end within " + BOUND);
			return null;
		}
		if (result instanceof Throwable) {
			Throwable error = (Throwable) result;
			if (documented.stream().noneMatch(type -> type.isInstance(error)) || error instanceof AssertionError) {
				fail("seed " + seed + ": " + what + " ended with an undocumented error", error);
			}
		}
		return result;
	}
}
