package dev.reactoraio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The behaviour every backend must have, checked against FileChannel on real files. Each backend has
 * a subclass; a backend this machine cannot run is skipped with its cause.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
public abstract class AsyncFileContract {

	static final Duration TIMEOUT = Duration.ofSeconds(30);

	/**
	 * Shrinks the iteration counts where the suite runs slowly: {@code -Dreactoraio.test.scale=0.25} under
	 * the kernel matrix's emulated CPUs (it-tests). File sizes stay as they are.
	 */
	static final double SCALE = Double.parseDouble(System.getProperty("reactoraio.test.scale", "1"));

	protected AioResources resources;
	protected final Random random = new Random(0x5eed);

	@TempDir
	protected Path dir;

	/** The backend under test. */
	protected abstract AioBackend backend();

	@BeforeAll
	void createResources() {
		EnvironmentExpectationTest.assumeAvailable(backend());
		resources = AioResources.builder("test-" + backend().name().toLowerCase())
				.backend(backend())
				.ringEntries(64)
				.readahead(4)
				.build();
		assertEquals(backend(), resources.backend());
	}

	@AfterAll
	void disposeResources() {
		if (resources != null) {
			resources.disposeLater().block(TIMEOUT);
		}
	}

	private java.util.Map<String, String> descriptorsBefore;

	@BeforeEach
	void countDescriptors() throws IOException {
		descriptorsBefore = TestFiles.openDescriptors();
	}

	@AfterEach
	void nothingLeaks() throws Exception {
		AioStats stats = TestFiles.settle(resources, java.time.Duration.ofSeconds(5));
		assertEquals(0, stats.openFiles(), () -> "files left open: " + resources.stats());
		assertEquals(0, stats.outstandingBuffers(), () -> "native buffers not returned: " + resources.stats());
		assertEquals(0, stats.inFlight(), () -> "operations in flight: " + resources.stats());
		assertTrue(stats.peakInFlight() <= stats.capacity(), () -> "capacity exceeded: " + stats);
		java.util.Map<String, String> leaked = new java.util.TreeMap<>(TestFiles.openDescriptors());
		leaked.entrySet().removeIf(e -> e.getValue().equals(descriptorsBefore.get(e.getKey())));
		// the JVM opens a few descriptors of its own on first use (sockets, jars): count ours only
		leaked.values().removeIf(target -> !target.startsWith(dir.toString()) && !target.startsWith("anon_inode:"));
		assertTrue(leaked.isEmpty(), "descriptors left open: " + leaked);
	}

	protected AsyncFile open(Path path, StandardOpenOption... options) {
		return AsyncFile.open(path, Set.of(options), resources).block(TIMEOUT);
	}

	protected AsyncFile openDirect(Path path, StandardOpenOption... options) {
		List<java.nio.file.OpenOption> all = new ArrayList<>(Arrays.asList(options));
		all.add(AioOpenOption.DIRECT);
		return AsyncFile.open(path, Set.copyOf(all), resources).block(TIMEOUT);
	}

	// ---- reads ----

	@Test
	void randomReadsMatchFileChannel() throws IOException {
		Path file = TestFiles.randomFile(dir, "random.bin", random, 3 << 20);
		AsyncFile f = open(file);
		try {
			for (int i = 0; i < scaled(300); i++) {
				long position = random.nextInt(3 << 20);
				int length = 1 + random.nextInt(200_000);
				ByteBuffer dst = random.nextBoolean() ? ByteBuffer.allocate(length) : ByteBuffer.allocateDirect(length);
				int n = f.read(dst, position).block(TIMEOUT);
				byte[] expected = TestFiles.readWithFileChannel(file, position, length);
				assertTrue(n > 0 && n <= expected.length, "read " + n + " of " + expected.length);
				assertEquals(n, dst.position(), "position advanced by the count");
				dst.flip();
				assertArrayEquals(Arrays.copyOf(expected, n), TestFiles.toBytes(dst), "bytes at " + position);
			}
		}
		finally {
			f.close().block(TIMEOUT);
		}
	}

	/**
	 * A read's Mono is its own first subscription: subscribing it again (repeat, a second subscriber, several
	 * threads at once) must run the operation again for each, as any cold Mono does, never share one.
	 */
	@Test
	void aMonoSubscribedAgainRunsItsOperationAgain() throws Exception {
		Path file = TestFiles.randomFile(dir, "again.bin", random, 1 << 20);
		byte[] head = TestFiles.readWithFileChannel(file, 4096, 4096);
		AsyncFile f = open(file);
		try {
			ByteBuffer dst = ByteBuffer.allocateDirect(4 * 4096).limit(4096);
			// each subscription reads the buffer's remaining bytes: the next 4 KiB, once the limit moved on
			List<Integer> counts = f.read(dst, 4096)
					.doOnNext(n -> dst.limit(Math.min(dst.capacity(), dst.limit() + 4096)))
					.repeat(3).collectList().block(TIMEOUT);
			assertEquals(List.of(4096, 4096, 4096, 4096), counts);
			dst.flip();
			for (int i = 0; i < 4; i++) {
				byte[] got = new byte[4096];
				dst.get(got);
				assertArrayEquals(head, got, "read " + i + " into the buffer's next 4 KiB");
			}
			Mono<Long> size = f.size();
			int threads = 8;
			java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
			java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
			List<java.util.concurrent.CompletableFuture<Long>> sizes = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				sizes.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
					try {
						start.await();
					}
					catch (Exception e) {
						throw new IllegalStateException(e);
					}
					return size.block(TIMEOUT);
				}, pool));
			}
			try {
				for (java.util.concurrent.CompletableFuture<Long> each : sizes) {
					assertEquals(1L << 20, each.get(TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS));
				}
			}
			finally {
				pool.shutdownNow();
			}
			ByteBuffer heap = ByteBuffer.allocate(2 * 4096).limit(4096);
			Mono<Integer> read = f.read(heap, 4096);
			StepVerifier.create(read).expectNext(4096).verifyComplete();
			heap.limit(2 * 4096);
			StepVerifier.create(read, 0).thenRequest(1).expectNext(4096).verifyComplete();
			assertArrayEquals(head, Arrays.copyOfRange(heap.array(), 4096, 8192), "the second subscriber's bytes");
		}
		finally {
			f.close().block(TIMEOUT);
		}
	}

	/**
	 * A Mono kept after it ran (in a field, a cache) keeps no subscriber alive: a WebFlux exchange, say,
	 * must not live as long as a {@code size()} Mono some bean holds. Covers a value delivered at once, a
	 * value that waited for demand, a completion without value and an error.
	 */
	@Test
	void aMonoKeptAfterItRanKeepsNoSubscriber() throws Exception {
		Path file = TestFiles.randomFile(dir, "kept.bin", random, 4096);
		AsyncFile f = open(file);
		Mono<Integer> read = f.read(ByteBuffer.allocate(4096), 0);
		Mono<Long> size = f.size();
		Mono<Void> force = f.force(false);
		AsyncFile closed = open(file);
		closed.close().block(TIMEOUT);
		Mono<Integer> failing = closed.read(ByteBuffer.allocate(16), 0);
		try {
			List<java.lang.ref.WeakReference<Object>> subscribers = new ArrayList<>();
			subscribers.add(runToTheEnd(read, false));
			subscribers.add(runToTheEnd(size, true));
			subscribers.add(runToTheEnd(force, false));
			subscribers.add(runToTheEnd(failing, false));
			long deadline = System.nanoTime() + TIMEOUT.toNanos();
			while (subscribers.stream().anyMatch(ref -> ref.get() != null) && System.nanoTime() < deadline) {
				System.gc();
				Thread.sleep(20);
			}
			for (int i = 0; i < subscribers.size(); i++) {
				assertTrue(subscribers.get(i).get() == null, "subscriber " + i + " is still reachable from its Mono");
			}
			// the Monos stay reachable until here: what the subscribers were collected from is the kept Monos
			java.lang.ref.Reference.reachabilityFence(read);
			java.lang.ref.Reference.reachabilityFence(size);
			java.lang.ref.Reference.reachabilityFence(force);
			java.lang.ref.Reference.reachabilityFence(failing);
		}
		finally {
			f.close().block(TIMEOUT);
		}
	}

	/** Subscribes a subscriber of its own to {@code mono}, requesting at once or only once the value waits. */
	private static java.lang.ref.WeakReference<Object> runToTheEnd(Mono<?> mono, boolean demandLate)
			throws InterruptedException {
		java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
		reactor.core.publisher.BaseSubscriber<Object> subscriber = new reactor.core.publisher.BaseSubscriber<>() {
			@Override
			protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
				if (!demandLate) {
					subscription.request(1);
				}
			}

			@Override
			protected void hookOnError(Throwable error) {
				// the closed file's read: expected
			}

			@Override
			protected void hookFinally(reactor.core.publisher.SignalType type) {
				ended.countDown();
			}
		};
		mono.subscribe(subscriber);
		if (demandLate) {
			Thread.sleep(100); // the value is held by then, waiting for demand
			subscriber.request(1);
		}
		assertTrue(ended.await(TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS), "the Mono ended");
		return new java.lang.ref.WeakReference<>(subscriber);
	}

	/**
	 * A read's Mono held as a value by an operator that then discards it (a {@code zip} cancelled before
	 * it emitted) is an ordinary value: not a {@code Collection} that a discard hook, Spring's
	 * {@code Conventions} or a logger would iterate (a fusable subscription is a {@code Queue}), and
	 * the cancel returns normally.
	 */
	@Test
	void aReadMonoHeldAsAValueIsNoCollection() throws IOException {
		Path file = TestFiles.randomFile(dir, "held.bin", random, 4096);
		AsyncFile f = open(file);
		try {
			Mono<Integer> read = f.read(ByteBuffer.allocate(4096), 0);
			assertFalse(read instanceof java.util.Collection, "a read's Mono is no Collection");
			List<Object> discarded = new java.util.concurrent.CopyOnWriteArrayList<>();
			Flux<Mono<Integer>> zipped = Flux.zip(Mono.just(1), Mono.delay(Duration.ofMillis(5)).thenReturn(2),
					(x, y) -> read);
			StepVerifier.create(zipped.doOnDiscard(Object.class, discarded::add), 0)
					.thenAwait(Duration.ofMillis(100))
					.thenCancel()
					.verify(TIMEOUT);
			assertTrue(discarded.contains(read), "the Mono the zip held went to the discard hook: " + discarded);
			assertEquals(4096, read.block(TIMEOUT), "and reads when subscribed");
		}
		finally {
			f.close().block(TIMEOUT);
		}
	}

	@Test
	void endOfFileAndEmptyFiles() throws IOException {
		Path file = TestFiles.randomFile(dir, "small.bin", random, 1000);
		Path empty = Files.createFile(dir.resolve("empty.bin"));
		AsyncFile f = open(file);
		AsyncFile e = open(empty);
		try {
			assertEquals(-1, f.read(ByteBuffer.allocate(10), 1000).block(TIMEOUT), "at the end");
			assertEquals(-1, f.read(ByteBuffer.allocate(10), 5000).block(TIMEOUT), "past the end");
			assertEquals(100, f.read(ByteBuffer.allocate(500), 900).block(TIMEOUT), "short read at the end");
			assertEquals(0, f.read(ByteBuffer.allocate(0), 0).block(TIMEOUT), "no room");
			assertEquals(-1, e.read(ByteBuffer.allocate(10), 0).block(TIMEOUT));
			StepVerifier.create(e.readChunks(0, Long.MAX_VALUE, 4096)).expectComplete().verify(TIMEOUT);
			assertEquals(0L, e.size().block(TIMEOUT));
			StepVerifier.create(f.readChunks(2000, 10, 4096)).expectComplete().verify(TIMEOUT);
			StepVerifier.create(f.readChunks(0, 0, 4096)).expectComplete().verify(TIMEOUT);
		}
		finally {
			f.close().block(TIMEOUT);
			e.close().block(TIMEOUT);
		}
	}

	@Test
	void readChunksDeliversTheFileInOrder() throws IOException {
		int size = (5 << 20) + 12345;
		byte[] content = TestFiles.randomBytes(random, size);
		Path file = Files.write(dir.resolve("chunks.bin"), content);
		AsyncFile f = open(file);
		try {
			for (int chunk : new int[] {4096, 65536, 1 << 20, 10_000, 3 * size}) {
				byte[] read = concat(f.readChunks(0, Long.MAX_VALUE, chunk).collectList().block(TIMEOUT));
				assertArrayEquals(content, read, "chunk size " + chunk);
			}
			byte[] middle = concat(f.readChunks(1_000_001, 2_500_000, 65536).collectList().block(TIMEOUT));
			assertArrayEquals(Arrays.copyOfRange(content, 1_000_001, 3_500_001), middle);
			List<ByteBuffer> chunks = f.readChunks(size - 5000, Long.MAX_VALUE, 4096).collectList().block(TIMEOUT);
			assertEquals(2, chunks.size());
			assertEquals(4096, chunks.get(0).remaining());
			assertEquals(904, chunks.get(1).remaining(), "the last chunk is short");
		}
		finally {
			f.close().block(TIMEOUT);
		}
	}

	@Test
	void aFileThatGrowsAfterOpenIsReadToItsNewEnd() throws IOException {
		byte[] first = TestFiles.randomBytes(random, 10_000);
		Path file = Files.write(dir.resolve("growing.bin"), first);
		AsyncFile f = open(file);
		try {
			byte[] more = TestFiles.randomBytes(random, (3 << 20) + 17);
			Files.write(file, more, StandardOpenOption.APPEND);
			byte[] read = concat(f.readChunks(0, Long.MAX_VALUE, 65536).collectList().block(TIMEOUT));
			assertArrayEquals(concatArrays(List.of(first, more)), read, "read past the size seen at open");
			assertEquals(-1, f.read(ByteBuffer.allocate(10), first.length + more.length).block(TIMEOUT));
		}
		finally {
			f.close().block(TIMEOUT);
		}
	}

	@Test
	void aFileOfWholeChunksThatGrowsAfterOpenKeepsFullChunks() throws IOException {
		// the read at the size seen at open goes into a few bytes of its own: here it finds data
		for (int appended : new int[] {1, 63, 64, 65, 65536 + 100}) {
			byte[] first = TestFiles.randomBytes(random, 2 * 65536);
			Path file = Files.write(dir.resolve("whole-chunks-" + appended + ".bin"), first);
			AsyncFile f = open(file);
			try {
				byte[] more = TestFiles.randomBytes(random, appended);
				Files.write(file, more, StandardOpenOption.APPEND);
				List<ByteBuffer> chunks = f.readChunks(0, Long.MAX_VALUE, 65536).collectList().block(TIMEOUT);
				assertArrayEquals(concatArrays(List.of(first, more)), concat(chunks), "appended " + appended);
				for (int i = 0; i < chunks.size() - 1; i++) {
					assertEquals(65536, chunks.get(i).remaining(), "chunk " + i + " of " + chunks.size());
				}
			}
			finally {
				f.close().block(TIMEOUT);
			}
		}
	}

	/**
	 * Whole-file streams around every edge the open's own read has (on io_uring it reads the first chunks
	 * and a few bytes more in one submission): each chunk the chunk size but the last, every byte in order,
	 * and the file closed when the stream ends, is cancelled at once, or after one chunk.
	 */
	@Test
	void aioFilesReadChunksEveryByteAtEveryEdgeOfTheHead() throws IOException {
		int head = 60 << 10;
		int[] chunkSizes = {1000, 4096, 16384, 65536, 1 << 20};
		for (int chunkSize : chunkSizes) {
			int firstRead = chunkSize * Math.max(1, Math.min(resources.readahead(), head / chunkSize));
			int[] sizes = {0, 1, chunkSize - 1, chunkSize, chunkSize + 1, firstRead - 1, firstRead, firstRead + 1,
					firstRead + 64, firstRead + 65, 3 * firstRead + 17};
			for (int size : sizes) {
				byte[] content = TestFiles.randomBytes(random, size);
				Path file = Files.write(dir.resolve("head-" + chunkSize + "-" + size + ".bin"), content);
				List<ByteBuffer> chunks = AioFiles.read(file, chunkSize, resources).collectList().block(TIMEOUT);
				for (int i = 0; i < chunks.size() - 1; i++) {
					assertEquals(chunkSize, chunks.get(i).remaining(), "chunk " + i + " of a file of " + size);
				}
				assertArrayEquals(content, concat(chunks), "a file of " + size + " bytes in chunks of " + chunkSize);
				AioFiles.read(file, chunkSize, resources).subscribe().dispose();
				if (size > 0) {
					StepVerifier.create(AioFiles.read(file, chunkSize, resources).take(1)).expectNextCount(1)
							.verifyComplete();
				}
			}
		}
	}

	@Test
	void aioFilesReadStreamsAndClosesTheFile() throws IOException {
		byte[] content = TestFiles.randomBytes(random, (2 << 20) + 7);
		Path file = Files.write(dir.resolve("whole.bin"), content);
		byte[] read = concat(AioFiles.read(file, 64 * 1024, resources).collectList().block(TIMEOUT));
		assertArrayEquals(content, read);
		StepVerifier.create(AioFiles.read(file, 4096, resources).take(3)).expectNextCount(3).verifyComplete();
		StepVerifier.create(AioFiles.read(dir.resolve("missing"), 4096, resources))
				.expectError(NoSuchFileException.class).verify(TIMEOUT);
	}

	// ---- writes ----

	@Test
	void writesThenReadsRoundTrip() throws IOException {
		Path file = dir.resolve("written.bin");
		byte[] model = new byte[4 << 20];
		AsyncFile f = open(file, READ, WRITE, CREATE);
		try {
			for (int i = 0; i < scaled(200); i++) {
				int position = random.nextInt(model.length - 70_000);
				byte[] data = TestFiles.randomBytes(random, 1 + random.nextInt(70_000));
				ByteBuffer src = random.nextBoolean() ? ByteBuffer.wrap(data) : ByteBuffer.allocateDirect(data.length).put(data).flip();
				assertEquals(data.length, f.write(src, position).block(TIMEOUT));
				assertFalse(src.hasRemaining(), "position advanced");
				System.arraycopy(data, 0, model, position, data.length);
			}
			long size = f.size().block(TIMEOUT);
			byte[] read = concat(f.readChunks(0, Long.MAX_VALUE, 1 << 20).collectList().block(TIMEOUT));
			assertEquals(size, read.length);
			assertArrayEquals(Arrays.copyOf(model, (int) size), read);
			assertArrayEquals(read, Files.readAllBytes(file), "FileChannel sees the same bytes");
		}
		finally {
			f.close().block(TIMEOUT);
		}
	}

	@Test
	void streamingWriteOfMixedBuffers() throws IOException {
		Path file = dir.resolve("stream.bin");
		List<byte[]> pieces = new ArrayList<>();
		for (int i = 0; i < scaled(400); i++) {
			int size = random.nextInt(4) == 0 ? 100_000 + random.nextInt(300_000) : random.nextInt(5000);
			pieces.add(TestFiles.randomBytes(random, size));
		}
		Flux<ByteBuffer> source = Flux.fromIterable(pieces).index().map(t -> t.getT1() % 3 == 0
				? ByteBuffer.allocateDirect(t.getT2().length).put(t.getT2()).flip() : ByteBuffer.wrap(t.getT2()));
		long written = AioFiles.write(source, file, resources).block(TIMEOUT);
		byte[] expected = concatArrays(pieces);
		assertEquals(expected.length, written);
		assertArrayEquals(expected, Files.readAllBytes(file));

		byte[] more = TestFiles.randomBytes(random, 5000);
		assertEquals(5000L, AioFiles.write(Flux.just(ByteBuffer.wrap(more)), file, resources, StandardOpenOption.APPEND)
				.block(TIMEOUT));
		assertArrayEquals(concatArrays(List.of(expected, more)), Files.readAllBytes(file), "APPEND writes at the end");
	}

	@Test
	void streamingWriteAtAnOffsetKeepsTheRest() throws IOException {
		byte[] original = TestFiles.randomBytes(random, 300_000);
		Path file = Files.write(dir.resolve("offset.bin"), original);
		byte[] patch = TestFiles.randomBytes(random, 100_000);
		AsyncFile f = open(file, WRITE);
		try {
			long n = f.write(Flux.range(0, 10).map(i -> ByteBuffer.wrap(patch, i * 10_000, 10_000)), 12_345)
					.block(TIMEOUT);
			assertEquals(100_000L, n);
			f.force(true).block(TIMEOUT);
		}
		finally {
			f.close().block(TIMEOUT);
		}
		System.arraycopy(patch, 0, original, 12_345, patch.length);
		assertArrayEquals(original, Files.readAllBytes(file));
	}

	@Test
	void forceSizeAndTruncate() throws IOException {
		Path file = dir.resolve("truncate.bin");
		AsyncFile f = open(file, READ, WRITE, CREATE_NEW);
		try {
			f.write(Flux.range(0, 64).map(i -> ByteBuffer.wrap(TestFiles.randomBytes(random, 16384))), 0)
					.then(f.force(false)).block(TIMEOUT);
			assertEquals(1L << 20, f.size().block(TIMEOUT));
			f.truncate(5000).block(TIMEOUT);
			assertEquals(5000L, f.size().block(TIMEOUT));
			f.truncate(10_000).block(TIMEOUT);
			assertEquals(5000L, f.size().block(TIMEOUT), "truncate never grows a file");
			assertEquals(5000L, Files.size(file));
			f.allocate(4096, 1 << 20).block(TIMEOUT);
			assertEquals(4096L + (1 << 20), f.size().block(TIMEOUT), "allocate grows the file");
			ByteBuffer kept = ByteBuffer.allocate(5000);
			assertEquals(5000, f.read(kept, 0).block(TIMEOUT));
			assertArrayEquals(Arrays.copyOf(kept.array(), 5000), TestFiles.readWithFileChannel(file, 0, 5000));
			StepVerifier.create(f.allocate(0, 0)).expectError(IllegalArgumentException.class).verify(TIMEOUT);
		}
		finally {
			f.close().block(TIMEOUT);
		}
	}

	// ---- big files ----

	@Test
	void positionsBeyondTwoGigabytes() throws IOException {
		Path file = dir.resolve("sparse.bin");
		long far = (3L << 30) + 123;
		byte[] data = TestFiles.randomBytes(random, 300_000);
		AsyncFile f = open(file, READ, WRITE, CREATE);
		try {
			assertEquals(data.length, f.write(ByteBuffer.wrap(data), far).block(TIMEOUT));
			assertEquals(far + data.length, f.size().block(TIMEOUT));
			ByteBuffer back = ByteBuffer.allocate(data.length);
			assertEquals(data.length, f.read(back, far).block(TIMEOUT));
			assertArrayEquals(data, back.array());
			byte[] streamed = concat(f.readChunks(far - 1000, Long.MAX_VALUE, 65536).collectList().block(TIMEOUT));
			assertEquals(data.length + 1000, streamed.length);
			assertArrayEquals(data, Arrays.copyOfRange(streamed, 1000, streamed.length));
			assertArrayEquals(data, TestFiles.readWithFileChannel(file, far, data.length));
		}
		finally {
			f.close().block(TIMEOUT);
		}
	}

	// ---- O_DIRECT ----

	@Test
	void directReadsWithAlignedAndMisalignedBuffers() throws IOException {
		Path file = TestFiles.randomFile(dir, "direct.bin", random, 2 << 20);
		AsyncFile f = openDirect(file);
		try {
			for (int i = 0; i < scaled(200); i++) {
				boolean alignedRange = random.nextBoolean();
				long position = alignedRange ? 4096L * random.nextInt(400) : random.nextInt(2 << 20);
				int length = alignedRange ? 4096 * (1 + random.nextInt(16)) : 1 + random.nextInt(100_000);
				ByteBuffer dst;
				switch (random.nextInt(3)) {
					case 0: dst = TestFiles.alignedDirect(length); break;
					case 1: dst = TestFiles.misalignedDirect(length); break;
					default: dst = ByteBuffer.allocate(length);
				}
				int n = f.read(dst, position).block(TIMEOUT);
				byte[] expected = TestFiles.readWithFileChannel(file, position, length);
				assertEquals(expected.length, n, "O_DIRECT reads of a regular file are not short");
				dst.flip();
				assertArrayEquals(expected, TestFiles.toBytes(dst));
			}
			byte[] streamed = concat(f.readChunks(1000, Long.MAX_VALUE, 65536).collectList().block(TIMEOUT));
			assertArrayEquals(TestFiles.readWithFileChannel(file, 1000, 2 << 20), streamed);
		}
		finally {
			f.close().block(TIMEOUT);
		}
	}

	@Test
	void directWritesWithAlignedAndMisalignedBuffersAndRanges() throws IOException {
		Path file = dir.resolve("direct-written.bin");
		byte[] model = new byte[1 << 20];
		AsyncFile f = openDirect(file, READ, WRITE, CREATE);
		try {
			for (int i = 0; i < scaled(150); i++) {
				boolean alignedRange = random.nextBoolean();
				int position = alignedRange ? 4096 * random.nextInt(200) : random.nextInt(800_000);
				int length = alignedRange ? 4096 * (1 + random.nextInt(16)) : 1 + random.nextInt(60_000);
				byte[] data = TestFiles.randomBytes(random, length);
				ByteBuffer src;
				switch (random.nextInt(3)) {
					case 0: src = TestFiles.alignedDirect(length); break;
					case 1: src = TestFiles.misalignedDirect(length); break;
					default: src = ByteBuffer.allocate(length);
				}
				src.put(data).flip();
				assertEquals(length, f.write(src, position).block(TIMEOUT));
				System.arraycopy(data, 0, model, position, length);
			}
			int size = (int) (long) f.size().block(TIMEOUT);
			ByteBuffer all = ByteBuffer.allocate(size);
			assertEquals(size, f.read(all, 0).block(TIMEOUT));
			assertArrayEquals(Arrays.copyOf(model, size), all.array(), "read back through O_DIRECT");
			assertArrayEquals(Arrays.copyOf(model, size), Files.readAllBytes(file), "read back through the page cache");
		}
		finally {
			f.close().block(TIMEOUT);
		}
	}

	@Test
	void directStreamingWriteFromAMisalignedStart() throws IOException {
		Path file = dir.resolve("direct-stream.bin");
		List<byte[]> pieces = new ArrayList<>();
		for (int i = 0; i < scaled(120); i++) {
			pieces.add(TestFiles.randomBytes(random, random.nextInt(3) == 0 ? 70_000 + random.nextInt(200_000) : 1 + random.nextInt(9000)));
		}
		byte[] expected = concatArrays(pieces);
		AsyncFile f = openDirect(file, READ, WRITE, CREATE);
		try {
			Flux<ByteBuffer> source = Flux.fromIterable(pieces).map(p -> p.length > 65536
					? TestFiles.alignedDirect(p.length).put(p).flip() : ByteBuffer.wrap(p));
			assertEquals((long) expected.length, f.write(source, 777).block(TIMEOUT));
			f.force(true).block(TIMEOUT);
			assertEquals(777L + expected.length, f.size().block(TIMEOUT));
		}
		finally {
			f.close().block(TIMEOUT);
		}
		assertArrayEquals(expected, TestFiles.readWithFileChannel(file, 777, expected.length));
	}

	// ---- errors and bad input ----

	@Test
	void badArgumentsAreErrorSignals() throws IOException {
		Path file = TestFiles.randomFile(dir, "args.bin", random, 10_000);
		AsyncFile f = open(file);
		try {
			StepVerifier.create(f.read(ByteBuffer.allocate(10), -1)).expectError(IllegalArgumentException.class).verify(TIMEOUT);
			StepVerifier.create(f.read(ByteBuffer.allocate(10).asReadOnlyBuffer(), 0))
					.expectError(IllegalArgumentException.class).verify(TIMEOUT);
			StepVerifier.create(f.readChunks(0, 100, 0)).expectError(IllegalArgumentException.class).verify(TIMEOUT);
			StepVerifier.create(f.readChunks(-5, 100, 10)).expectError(IllegalArgumentException.class).verify(TIMEOUT);
			StepVerifier.create(f.readChunks(0, -1, 10)).expectError(IllegalArgumentException.class).verify(TIMEOUT);
			StepVerifier.create(f.truncate(-1)).expectError(IllegalArgumentException.class).verify(TIMEOUT);
			StepVerifier.create(f.write(ByteBuffer.allocate(1), 0)).expectError(NonWritableChannelException.class).verify(TIMEOUT);
			StepVerifier.create(f.write(Flux.just(ByteBuffer.allocate(1)), 0))
					.expectError(NonWritableChannelException.class).verify(TIMEOUT);
			StepVerifier.create(f.truncate(1)).expectError(NonWritableChannelException.class).verify(TIMEOUT);
		}
		finally {
			f.close().block(TIMEOUT);
		}
		AsyncFile w = open(dir.resolve("write-only.bin"), WRITE, CREATE);
		try {
			StepVerifier.create(w.read(ByteBuffer.allocate(1), 0)).expectError(NonReadableChannelException.class).verify(TIMEOUT);
			StepVerifier.create(w.readChunks(0, 1, 1)).expectError(NonReadableChannelException.class).verify(TIMEOUT);
		}
		finally {
			w.close().block(TIMEOUT);
		}
		StepVerifier.create(AsyncFile.open(file, Set.of(StandardOpenOption.APPEND), resources))
				.expectError(UnsupportedOperationException.class).verify(TIMEOUT);
	}

	@Test
	void useAfterCloseIsClosedChannelException() throws IOException {
		Path file = TestFiles.randomFile(dir, "closed.bin", random, 10_000);
		AsyncFile f = open(file, READ, WRITE);
		f.close().block(TIMEOUT);
		f.close().block(TIMEOUT);
		assertFalse(f.isOpen());
		StepVerifier.create(f.read(ByteBuffer.allocate(10), 0)).expectError(ClosedChannelException.class).verify(TIMEOUT);
		StepVerifier.create(f.write(ByteBuffer.allocate(10), 0)).expectError(ClosedChannelException.class).verify(TIMEOUT);
		StepVerifier.create(f.readChunks(0, 100, 10)).expectError(ClosedChannelException.class).verify(TIMEOUT);
		StepVerifier.create(f.write(Flux.just(ByteBuffer.allocate(3)), 0)).expectError(ClosedChannelException.class).verify(TIMEOUT);
		StepVerifier.create(f.force(true)).expectError(ClosedChannelException.class).verify(TIMEOUT);
		StepVerifier.create(f.size()).expectError(ClosedChannelException.class).verify(TIMEOUT);
	}

	@Test
	void openFailuresAreTheJdkExceptions() throws IOException {
		StepVerifier.create(AsyncFile.open(dir.resolve("missing.bin"), Set.of(), resources))
				.expectError(NoSuchFileException.class).verify(TIMEOUT);
		StepVerifier.create(AsyncFile.open(dir, Set.of(WRITE), resources))
				.expectError(FileSystemException.class).verify(TIMEOUT);
		Path existing = Files.createFile(dir.resolve("exists.bin"));
		StepVerifier.create(AsyncFile.open(existing, Set.of(WRITE, CREATE_NEW), resources))
				.expectError(FileAlreadyExistsException.class).verify(TIMEOUT);
		Path readOnly = readOnlyFile();
		StepVerifier.create(AsyncFile.open(readOnly, Set.of(WRITE), resources))
				.expectError(AccessDeniedException.class).verify(TIMEOUT);
	}

	/** A file this process may not open for writing (as root, permissions do not stop it: use sysfs). */
	private Path readOnlyFile() throws IOException {
		if (!"root".equals(System.getProperty("user.name"))) {
			Path file = Files.createFile(dir.resolve("read-only.bin"));
			file.toFile().setWritable(false, false);
			return file;
		}
		Path notes = Path.of("/sys/kernel/notes");
		assumeTrue(Files.exists(notes), "as root, a read-only file needs sysfs' /sys/kernel/notes");
		return notes;
	}

	// ---- whole files ----

	@Test
	void readAllBytesMatchesFilesReadAllBytes() throws IOException {
		int chain = (64 << 10) - 4096;
		int[] sizes = {0, 1, 4095, 4096, chain - 1, chain, chain + 1, (1 << 20) + 3, (3 << 20) + 17};
		List<Path> files = new ArrayList<>();
		for (int size : sizes) {
			Path file = TestFiles.randomFile(dir, "whole-" + size + ".bin", random, size);
			files.add(file);
			assertArrayEquals(Files.readAllBytes(file), AioFiles.readAllBytes(file, resources).block(TIMEOUT),
					"a file of " + size + " bytes");
		}
		int rounds = (int) Math.max(100, 2000 * SCALE);
		long mismatches = Flux.range(0, rounds)
				.flatMap(i -> AioFiles.readAllBytes(files.get(i % files.size()), resources)
						.map(bytes -> sameAs(files.get(i % files.size()), bytes) ? 0 : 1), 64)
				.reduce(0, Integer::sum).block(TIMEOUT);
		assertEquals(0, mismatches, "files read 64 at a time differ from FileChannel's bytes");
	}

	private static boolean sameAs(Path file, byte[] bytes) {
		try {
			return Arrays.equals(Files.readAllBytes(file), bytes);
		}
		catch (IOException e) {
			throw new java.io.UncheckedIOException(e);
		}
	}

	@Test
	void readAllBytesFailsAsFilesReadAllBytes() throws IOException {
		StepVerifier.create(AioFiles.readAllBytes(dir.resolve("missing.bin"), resources))
				.expectError(NoSuchFileException.class).verify(TIMEOUT);
		StepVerifier.create(AioFiles.readAllBytes(dir, resources))
				.expectErrorSatisfies(e -> {
					assertTrue(e instanceof IOException, e.toString());
					assertTrue(String.valueOf(e.getMessage()).contains("Is a directory"), e.toString());
				})
				.verify(TIMEOUT);
		Path target = TestFiles.randomFile(dir, "target.bin", random, 100);
		Path link = Files.createSymbolicLink(dir.resolve("link.bin"), target);
		assertEquals(100, AioFiles.readAllBytes(link, resources).block(TIMEOUT).length, "links are followed");
		String refused = assertThrows(IOException.class,
				() -> FileChannel.open(link, StandardOpenOption.READ, java.nio.file.LinkOption.NOFOLLOW_LINKS).close())
				.getMessage();
		StepVerifier.create(AioFiles.readAllBytes(link, resources, java.nio.file.LinkOption.NOFOLLOW_LINKS))
				.expectErrorSatisfies(e -> assertEquals(refused, e.getMessage(), "FileChannel's message"))
				.verify(TIMEOUT);
		StepVerifier.create(AioFiles.readAllBytes(target, resources, WRITE))
				.expectError(IllegalArgumentException.class).verify(TIMEOUT);
		Path huge = dir.resolve("sparse-3g.bin");
		try (FileChannel channel = FileChannel.open(huge, CREATE_NEW, WRITE)) {
			channel.truncate(0).write(java.nio.ByteBuffer.wrap(new byte[] {1}), 3L << 30);
		}
		StepVerifier.create(AioFiles.readAllBytes(huge, resources))
				.expectErrorSatisfies(e -> {
					assertEquals(OutOfMemoryError.class, e.getClass(), e.toString());
					assertEquals("Required array size too large", e.getMessage());
				})
				.verify(TIMEOUT);
	}

	/**
	 * A short read ends nothing but a regular file at its size: a /proc file hands out about a page per
	 * read, a pipe what its writer wrote so far. Whole-file reads of both give what the JDK gives, bytes in
	 * order (a /proc file of another, sleeping process is stable; the pipe's writer pauses between pieces).
	 */
	@Test
	void pipesAndProcFilesReadWholeAsTheJdkReadsThem() throws Exception {
		Process sleeper = new ProcessBuilder("sleep", "60").start();
		try {
			Path smaps = Path.of("/proc/" + sleeper.pid() + "/smaps");
			byte[] expected = Files.readAllBytes(smaps);
			for (int i = 0; i < 100; i++) { // until the child has exec'd and loaded what it maps
				Thread.sleep(50);
				byte[] again = Files.readAllBytes(smaps);
				if (Arrays.equals(expected, again)) {
					break;
				}
				expected = again;
			}
			// a /proc file hands out about a page per read: more than a page is what takes several reads
			assertTrue(expected.length > 4096, "smaps of a sleeping process is only " + expected.length + " bytes here");
			assertArrayEquals(expected, AioFiles.readAllBytes(smaps, resources).block(TIMEOUT), "readAllBytes of " + smaps);
			assertArrayEquals(expected, concat(AioFiles.read(smaps, 4096, resources)), "read of " + smaps);
		}
		finally {
			sleeper.destroy();
		}
		// a path too long for a chain's buffer takes the other way (open, statx, reads, close)
		Path deep = dir;
		while (deep.toAbsolutePath().toString().length() < LONG_PATH) {
			deep = deep.resolve("d".repeat(200));
		}
		Files.createDirectories(deep);
		for (Path fifo : List.of(dir.resolve("fifo"), deep.resolve("fifo"))) {
			assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo");
			pipeReadsWhole(fifo);
		}
		Path longFile = TestFiles.randomFile(deep, "whole.bin", random, 300_000);
		assertArrayEquals(Files.readAllBytes(longFile), AioFiles.readAllBytes(longFile, resources).block(TIMEOUT),
				"readAllBytes at a path of " + longFile.toAbsolutePath().toString().length() + " bytes");
	}

	/** Paths of this many bytes or more do not fit a chain's buffer before its data. */
	private static final int LONG_PATH = 4096 - 64;

	private void pipeReadsWhole(Path fifo) throws InterruptedException {
		byte[] data = TestFiles.randomBytes(random, 300_000);
		for (int round = 0; round < 2; round++) {
			Thread writer = new Thread(() -> {
				try (java.io.OutputStream out = Files.newOutputStream(fifo)) {
					for (int at = 0; at < data.length; at += 70_001) {
						out.write(data, at, Math.min(70_001, data.length - at));
						out.flush();
						Thread.sleep(20);
					}
				}
				catch (IOException | InterruptedException e) {
					throw new IllegalStateException(e);
				}
			});
			writer.start();
			byte[] read = round == 0 ? AioFiles.readAllBytes(fifo, resources).block(TIMEOUT)
					: concat(AioFiles.read(fifo, 16384, resources));
			writer.join(TIMEOUT.toMillis());
			assertArrayEquals(data, read, (round == 0 ? "readAllBytes of " : "read of ") + fifo);
		}
	}

	/**
	 * A pipe's first chunk comes as soon as its bytes are there, while the writer waits for an answer
	 * (the open's own read of a few bytes more must not hold it until the writer writes again or closes).
	 */
	@Test
	void aPipesFirstChunkComesWhileItsWriterWaits() throws Exception {
		Path fifo = dir.resolve("talk-fifo");
		assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo");
		byte[] data = TestFiles.randomBytes(random, 4096);
		java.util.concurrent.CountDownLatch answered = new java.util.concurrent.CountDownLatch(1);
		Thread writer = new Thread(() -> {
			try (java.io.OutputStream out = Files.newOutputStream(fifo)) {
				out.write(data);
				out.flush();
				answered.await(10, java.util.concurrent.TimeUnit.SECONDS);
			}
			catch (IOException | InterruptedException e) {
				throw new IllegalStateException(e);
			}
		});
		writer.start();
		long start = System.nanoTime();
		List<ByteBuffer> first;
		try {
			first = AioFiles.read(fifo, 4096, resources).take(1).collectList().block(TIMEOUT);
		}
		finally {
			answered.countDown();
		}
		long millis = (System.nanoTime() - start) / 1_000_000;
		writer.join(TIMEOUT.toMillis());
		assertArrayEquals(data, concat(first));
		assertTrue(millis < 5000, "the first chunk of a pipe came after " + millis + " ms, when its writer closed");
	}

	private static byte[] concat(Flux<ByteBuffer> chunks) {
		java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
		for (ByteBuffer chunk : chunks.collectList().block(TIMEOUT)) {
			byte[] bytes = new byte[chunk.remaining()];
			chunk.get(bytes);
			out.write(bytes, 0, bytes.length);
		}
		return out.toByteArray();
	}

	@Test
	void cancelledWholeFileReadsLeaveNothingOpen() throws IOException {
		Path file = TestFiles.randomFile(dir, "cancelled.bin", random, 200_000);
		for (int i = 0; i < (int) Math.max(50, 1000 * SCALE); i++) {
			AioFiles.readAllBytes(file, resources).subscribe().dispose();
		}
		assertEquals(200_000, AioFiles.readAllBytes(file, resources).block(TIMEOUT).length);
	}

	// ---- vectored ----

	@Test
	void scatteringReadsAndGatheringWritesMatchFileChannel() throws IOException {
		byte[] data = TestFiles.randomBytes(random, 3 << 20);
		Path path = Files.write(dir.resolve("vector.bin"), data);
		for (boolean direct : new boolean[] {false, true}) {
			AsyncFile file = direct ? openDirect(path, READ, WRITE) : open(path, READ, WRITE);
			for (int round = 0; round < 20; round++) {
				ByteBuffer[] dsts = new ByteBuffer[1 + random.nextInt(6)];
				for (int i = 0; i < dsts.length; i++) {
					int size = 1 + random.nextInt(100_000);
					dsts[i] = switch (random.nextInt(3)) {
						case 0 -> ByteBuffer.allocate(size);
						case 1 -> TestFiles.alignedDirect(size);
						default -> TestFiles.misalignedDirect(size);
					};
				}
				long position = random.nextInt(data.length);
				long total = Arrays.stream(dsts).mapToLong(ByteBuffer::remaining).sum();
				long n = file.read(dsts, position).block(TIMEOUT);
				assertEquals(Math.min(total, data.length - position), n, "bytes read at " + position);
				long at = position;
				for (ByteBuffer dst : dsts) {
					dst.flip();
					byte[] got = new byte[dst.remaining()];
					dst.get(got);
					assertArrayEquals(Arrays.copyOfRange(data, (int) at, (int) at + got.length), got, "read at " + at);
					at += got.length;
				}
				for (ByteBuffer dst : dsts) {
					dst.clear().put(TestFiles.randomBytes(random, dst.capacity())).flip();
				}
				long writeAt = random.nextInt(data.length);
				long written = file.write(dsts, writeAt).block(TIMEOUT);
				assertEquals(total, written);
				for (ByteBuffer src : dsts) {
					assertEquals(src.limit(), src.position(), "a gathered buffer's position moves to its limit");
					src.flip();
					byte[] bytes = TestFiles.toBytes(src);
					assertArrayEquals(bytes, TestFiles.readWithFileChannel(path, writeAt, bytes.length), "written at " + writeAt);
					System.arraycopy(bytes, 0, data, (int) writeAt, (int) Math.min(bytes.length, data.length - writeAt));
					if (writeAt + bytes.length > data.length) {
						data = Files.readAllBytes(path);
					}
					writeAt += bytes.length;
				}
			}
			assertEquals(-1L, file.read(new ByteBuffer[] {ByteBuffer.allocate(10)}, Files.size(path)).block(TIMEOUT));
			assertEquals(0L, file.read(new ByteBuffer[] {ByteBuffer.allocate(0)}, 0).block(TIMEOUT));
			file.close().block(TIMEOUT);
		}
	}

	@Test
	void rangesAreReadWithTheirBytesInAnyOrder() throws IOException {
		byte[] data = TestFiles.randomBytes(random, 16 << 20);
		Path path = Files.write(dir.resolve("ranges.bin"), data);
		List<FileRange> ranges = new ArrayList<>();
		for (long at = 0; ranges.size() < 300; ) {
			int length = 8192 + random.nextInt((1 << 20) - 8192);
			if (at + length > data.length) {
				break;
			}
			ranges.add(FileRange.of(at, length));
			at += length + (random.nextInt(3) == 0 ? 0 : random.nextInt(3) == 0 ? random.nextInt(4096) : random.nextInt(200_000));
		}
		java.util.Collections.shuffle(ranges, random);
		BufferProvider<ByteBuffer> pooled = BufferProvider.pooledDirectByteBuffers(64 << 20);
		for (boolean direct : new boolean[] {false, true}) {
			AsyncFile file = direct ? openDirect(path, READ) : open(path, READ);
			for (BufferProvider<ByteBuffer> provider : List.of(BufferProvider.heapByteBuffers(), pooled)) {
				List<RangeRead<ByteBuffer>> reads = file.readRanges(ranges, provider).collectList().block(TIMEOUT);
				assertEquals(ranges.size(), reads.size());
				for (RangeRead<ByteBuffer> read : reads) {
					FileRange range = read.range();
					assertArrayEquals(Arrays.copyOfRange(data, (int) range.offset(), (int) range.end()),
							TestFiles.toBytes(read.buffer()), "range " + range + (direct ? " O_DIRECT" : ""));
					provider.release(read.buffer());
				}
			}
			// lone aligned blocks far apart: each read straight into its own buffer (O_DIRECT too)
			List<FileRange> blocks = new ArrayList<>();
			for (int i = 0; i < 64; i++) {
				blocks.add(FileRange.of((long) i * 64 * 4096 + (i % 4) * 4096, 4096 * (1 + i % 3)));
			}
			for (RangeRead<ByteBuffer> read : file.readRanges(blocks, pooled).collectList().block(TIMEOUT)) {
				FileRange range = read.range();
				assertArrayEquals(Arrays.copyOfRange(data, (int) range.offset(), (int) range.end()),
						TestFiles.toBytes(read.buffer()), "block " + range + (direct ? " O_DIRECT" : ""));
				pooled.release(read.buffer());
			}
			StepVerifier.create(file.readRanges(List.of(FileRange.of(0, 100), FileRange.of(50, 100))))
					.expectError(IllegalArgumentException.class).verify(TIMEOUT);
			StepVerifier.create(file.readRanges(List.of(FileRange.of(data.length - 10, 100))))
					.expectError(java.io.EOFException.class).verify(TIMEOUT);
			StepVerifier.create(file.readRanges(ranges, pooled).take(3).doOnNext(read -> pooled.release(read.buffer())))
					.expectNextCount(3).verifyComplete();
			file.close().block(TIMEOUT);
			assertEquals(0, ((PooledDirectByteBufferProvider) pooled).lent(), "buffers of ranges not delivered are released");
		}
	}

	// ---- backpressure ----

	@Test
	void tenThousandConcurrentReadsStayWithinCapacity() throws IOException {
		Path file = TestFiles.randomFile(dir, "many.bin", random, 1 << 20);
		AsyncFile f = open(file);
		try {
			int reads = scaled(10_000);
			long total = Flux.range(0, reads)
					.flatMap(i -> f.read(ByteBuffer.allocateDirect(512), (i * 4099L) % ((1 << 20) - 512)), reads)
					.reduce(0L, Long::sum)
					.block(TIMEOUT);
			assertEquals(reads * 512L, total);
			AioStats stats = resources.stats();
			assertTrue(stats.peakInFlight() <= stats.capacity(), stats::toString);
			assertTrue(stats.peakInFlight() > 16, () -> "reads did run concurrently: " + stats);
		}
		finally {
			f.close().block(TIMEOUT);
		}
	}

	@Test
	void oneChunkAtATimeNeverHasMoreThanReadaheadOutstanding() throws Exception {
		Path file = TestFiles.randomFile(dir, "paced.bin", random, 4 << 20);
		CountingProvider provider = new CountingProvider();
		AsyncFile f = open(file);
		try {
			long chunks = f.readChunks(0, Long.MAX_VALUE, 16384, provider)
					.doOnNext(b -> provider.delivered())
					.limitRate(1)
					.count()
					.block(TIMEOUT);
			assertEquals(256L, chunks);
			assertTrue(provider.peakOutstanding <= resources.readahead(),
					"outstanding reads " + provider.peakOutstanding + " > readahead " + resources.readahead());
			assertTrue(provider.peakOutstanding > 1, "reads ahead of demand, up to the window");
		}
		finally {
			f.close().block(TIMEOUT);
		}
	}

	@Test
	void stalledSubscriberOnAFourGigabyteFileKeepsMemoryBounded() throws Exception {
		Path file = dir.resolve("huge-sparse.bin");
		try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, WRITE)) {
			channel.write(ByteBuffer.wrap(new byte[] {1}), (4L << 30) - 1);
		}
		CountingProvider provider = new CountingProvider();
		AsyncFile f = open(file);
		try {
			StepVerifier.create(f.readChunks(0, Long.MAX_VALUE, 1 << 20, provider).doOnNext(b -> provider.delivered()), 3)
					.expectNextCount(3)
					.then(() -> sleep(300))
					.then(() -> assertTrue(provider.outstanding() <= resources.readahead(),
							"chunks held for a stalled subscriber: " + provider.outstanding()))
					.thenRequest(20)
					.expectNextCount(20)
					.then(() -> sleep(100))
					.thenCancel()
					.verify(TIMEOUT);
			assertTrue(provider.peakOutstanding <= resources.readahead(), "peak " + provider.peakOutstanding);
			assertTrue(provider.allocated <= 23 + resources.readahead(), "allocated " + provider.allocated);
		}
		finally {
			f.close().block(TIMEOUT);
		}
	}

	// ---- cancellation ----

	@Test
	void cancellationAtRandomPointsLeaksNothing() throws Exception {
		Path file = TestFiles.randomFile(dir, "cancel.bin", random, 8 << 20);
		AsyncFile f = open(file);
		try {
			for (int i = 0; i < scaled(2000); i++) {
				int kind = random.nextInt(3);
				Mono<?> op;
				if (kind == 0) {
					op = f.read(random.nextBoolean() ? ByteBuffer.allocate(65536) : ByteBuffer.allocateDirect(65536),
							random.nextInt(8 << 20)).then();
				}
				else if (kind == 1) {
					op = f.readChunks(random.nextInt(1 << 20), Long.MAX_VALUE, 4096 << random.nextInt(6))
							.take(random.nextInt(20)).then();
				}
				else {
					op = AioFiles.read(file, 65536, resources).take(1 + random.nextInt(30)).then();
				}
				var disposable = op.subscribe();
				if (random.nextBoolean()) {
					Thread.onSpinWait();
				}
				disposable.dispose();
			}
			// a final read proves the loop is healthy after the storm
			assertEquals(4096, f.read(ByteBuffer.allocate(4096), 0).block(TIMEOUT));
		}
		finally {
			f.close().block(TIMEOUT);
		}
	}

	@Test
	void closeWhileReadsAndWritesAreInFlight() throws Exception {
		Path file = TestFiles.randomFile(dir, "close-race.bin", random, 4 << 20);
		for (int round = 0; round < scaled(50); round++) {
			AsyncFile f = open(file, READ, WRITE);
			var reads = f.readChunks(0, Long.MAX_VALUE, 65536).then().onErrorResume(e -> Mono.empty()).toFuture();
			var write = f.write(Flux.range(0, 100).map(i -> ByteBuffer.allocate(4096)), 0).then()
					.onErrorResume(e -> Mono.empty()).toFuture();
			var single = f.read(ByteBuffer.allocateDirect(1 << 20), 0).then().onErrorResume(e -> Mono.empty()).toFuture();
			f.close().block(TIMEOUT);
			reads.get(30, java.util.concurrent.TimeUnit.SECONDS);
			write.get(30, java.util.concurrent.TimeUnit.SECONDS);
			single.get(30, java.util.concurrent.TimeUnit.SECONDS);
		}
	}

	// ---- helpers ----

	static int scaled(int count) {
		return Math.max(1, (int) Math.round(count * SCALE));
	}

	static byte[] concat(List<ByteBuffer> buffers) {
		int size = buffers.stream().mapToInt(ByteBuffer::remaining).sum();
		ByteBuffer all = ByteBuffer.allocate(size);
		buffers.forEach(b -> all.put(b.duplicate()));
		return all.array();
	}

	static byte[] concatArrays(List<byte[]> pieces) {
		int size = pieces.stream().mapToInt(p -> p.length).sum();
		ByteBuffer all = ByteBuffer.allocate(size);
		pieces.forEach(all::put);
		return all.array();
	}

	static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
	}

	/** Counts chunk buffers handed out and not yet delivered (or released): the reads outstanding. */
	static final class CountingProvider extends ByteBufferProvider {
		volatile int allocated;
		volatile int released;
		volatile int delivered;
		volatile int peakOutstanding;

		@Override
		public synchronized ByteBuffer allocate(int capacity) {
			allocated++;
			peakOutstanding = Math.max(peakOutstanding, outstanding());
			return ByteBuffer.allocateDirect(capacity);
		}

		@Override
		public synchronized void release(ByteBuffer buffer) {
			released++;
		}

		synchronized void delivered() {
			delivered++;
		}

		synchronized int outstanding() {
			return allocated - released - delivered;
		}
	}
}
