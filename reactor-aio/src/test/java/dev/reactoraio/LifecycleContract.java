package dev.reactoraio;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lifecycle rules, one reproducer each, on every backend: after close begins no request of the file
 * reaches the kernel (checked with victims: other threads' files and pipes that a stray descriptor
 * number would hit), a buffer leaves the library only once the kernel is done with it (checked by
 * poisoning it at the documented release point), open options behave as the JDK's, and no subscriber
 * is left waiting whatever is thrown or interrupted on a loop thread. The randomized interleavings of
 * all of it are {@link LifecycleStressContract}'s.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
public abstract class LifecycleContract {

	static final Duration BOUND = Duration.ofSeconds(30);
	static final byte POISON = (byte) 0xEE;

	protected AioResources resources;

	@TempDir
	protected Path dir;

	protected abstract AioBackend backend();

	@BeforeAll
	void createResources() {
		EnvironmentExpectationTest.assumeAvailable(backend());
		resources = AioResources.builder("lifecycle-" + backend().name().toLowerCase()).backend(backend())
				.ringEntries(64).readahead(4).build();
	}

	@AfterAll
	void disposeResources() {
		if (resources != null) {
			resources.disposeLater().block(BOUND);
		}
	}

	@AfterEach
	void nothingLeft() throws InterruptedException {
		AioStats stats = TestFiles.settle(resources, BOUND);
		assertEquals(0, stats.openFiles(), stats::toString);
		assertEquals(0, stats.outstandingBuffers(), stats::toString);
		assertEquals(0, stats.inFlight(), stats::toString);
	}

	private AsyncFile open(Path path, java.nio.file.OpenOption... options) {
		return AsyncFile.open(path, Set.of(options), resources).block(BOUND);
	}

	private Victims victims() throws IOException {
		return new Victims(Files.createDirectories(dir.resolve("victims")), 32, 1);
	}

	private static int rounds(int n) {
		return Math.max(1, (int) (n * AsyncFileContract.SCALE));
	}

	// ---- no request after close ----

	/**
	 * truncate() queries the size first; its continuation must meet close's gate. Before, the size query's
	 * completion let close go ahead and FTRUNCATE then hit whatever file had the descriptor number next.
	 */
	@Test
	void truncateThenCloseNeverReachesAnotherFile() throws Exception {
		Path path = dir.resolve("truncate.bin");
		int lies = 0;
		try (Victims victims = victims()) {
			for (int round = 0; round < rounds(1000); round++) {
				Files.write(path, new byte[65536]);
				AsyncFile file = open(path, READ, WRITE);
				AtomicReference<Object> outcome = new AtomicReference<>();
				file.truncate(100).subscribe(null, outcome::set, () -> outcome.set("done"));
				file.close().block(BOUND);
				Object result = outcome.get();
				assertNotNull(result, "truncate had not ended when close completed");
				if ("done".equals(result)) {
					lies += Files.size(path) == 100 ? 0 : 1;
				}
				else {
					assertTrue(result instanceof ClosedChannelException, "truncate failed with " + result);
				}
			}
			victims.stop();
			assertEquals(0, victims.harm(), victims::report);
		}
		assertEquals(0, lies, "truncate reported success and the file kept its size");
	}

	/**
	 * close() inside onNext, on the loop thread with nothing in flight (readahead 1, one chunk asked at a
	 * time): the stream issues no read after it. A read that reached the kernel after close would fail
	 * (EBADF, or a victim's pipe would lose bytes): the loop's count of failed requests must not move.
	 */
	@Test
	void closeInsideOnNextIssuesNoFurtherRead() throws Exception {
		Path path = TestFiles.randomFile(dir, "chunks.bin", new Random(1), 1 << 20);
		AioResources oneAhead = AioResources.builder("one-ahead").backend(backend()).rings(1).readahead(1).build();
		try (Victims victims = victims()) {
			for (int round = 0; round < rounds(300); round++) {
				long failedBefore = TestFiles.settle(oneAhead, BOUND).failed();
				AsyncFile file = AsyncFile.open(path, Set.of(READ), oneAhead).block(BOUND);
				AtomicReference<Throwable> error = new AtomicReference<>();
				CountDownLatch ended = new CountDownLatch(1);
				file.readChunks(0, Long.MAX_VALUE, 4096).subscribe(new BaseSubscriber<>() {
					@Override
					protected void hookOnSubscribe(Subscription subscription) {
						request(1);
					}

					@Override
					protected void hookOnNext(ByteBuffer chunk) {
						file.close().subscribe();
						request(1);
					}

					@Override
					protected void hookOnError(Throwable t) {
						error.set(t);
					}

					@Override
					protected void hookFinally(SignalType type) {
						ended.countDown();
					}
				});
				assertTrue(ended.await(BOUND.toSeconds(), TimeUnit.SECONDS), "round " + round + " did not end");
				assertTrue(error.get() instanceof AsynchronousCloseException, "the stream ends with " + error.get());
				file.close().block(BOUND);
				AioStats after = TestFiles.settle(oneAhead, BOUND);
				assertEquals(failedBefore, after.failed(), () -> "a request reached the kernel after close: " + after);
			}
			victims.stop();
			assertEquals(0, victims.harm(), victims::report);
		}
		finally {
			oneAhead.disposeLater().block(BOUND);
		}
	}

	// ---- buffers only after the kernel is done ----

	/**
	 * An O_DIRECT streaming write of direct buffers: the last one's length is not aligned, so its aligned
	 * part is written in place, and with the write window full its tail waits. The upstream error comes
	 * while the writes are in flight; the waiting buffer may go to the discard hook (which recycles it,
	 * writing poison) only after its in-place write completed. The file must never hold the poison.
	 */
	@Test
	void aStreamingWriteDiscardsABufferOnlyAfterItsWritesCompleted() throws IOException {
		Path path = dir.resolve("direct-stream.bin");
		for (int round = 0; round < rounds(10); round++) {
			Files.deleteIfExists(path);
			AsyncFile file = open(path, CREATE, WRITE, READ, AioOpenOption.DIRECT);
			List<ByteBuffer> sources = new ArrayList<>();
			for (int b = 0; b < 4; b++) {
				ByteBuffer source = TestFiles.alignedDirect(b < 3 ? 1 << 20 : (8 << 20) + 100);
				for (int i = 0; i < source.capacity(); i++) {
					source.put(i, (byte) ((b << 20) + i & 0x7f));
				}
				sources.add(source);
			}
			AtomicInteger discarded = new AtomicInteger();
			Flux<ByteBuffer> failingSoon = Flux.concat(Flux.fromIterable(sources),
					Mono.delay(Duration.ofMillis(1)).then(Mono.error(new IOException("boom"))));
			StepVerifier.create(file.write(failingSoon, 0).doOnDiscard(ByteBuffer.class, b -> {
						discarded.incrementAndGet();
						poison(b);
					}))
					.expectErrorMessage("boom")
					.verify(BOUND);
			file.close().block(BOUND);
			// the partly written buffer (unless its writes were done), and any the loop had not taken yet, are discarded
			assertTrue(discarded.get() <= sources.size(), "discarded " + discarded.get());
			byte[] written = Files.readAllBytes(path);
			for (int i = 0; i < written.length; i++) {
				assertTrue(written[i] != POISON, "round " + round + ": byte " + i + " of the file is the poison of a "
						+ "buffer recycled while the kernel still wrote from it");
			}
		}
	}

	/**
	 * A cancelled read or write changes neither a heap buffer nor its position: either the value was
	 * signalled, or the buffer reached the discard hook unchanged; once close() completed, exactly one of
	 * the two. (A value signalled while the subscriber disposes itself is dropped by Reactor's lambda
	 * subscriber: that drop is counted as the value it is.)
	 */
	@Test
	void aCancelledOperationLeavesTheCallersBufferAlone() throws IOException {
		Path path = TestFiles.randomFile(dir, "cancel.bin", new Random(2), 8 << 20);
		Random random = new Random(5);
		AtomicBoolean value = new AtomicBoolean();
		reactor.core.publisher.Hooks.onNextDropped(v -> value.set(true));
		try {
			untouchedUnlessSignalled(path, random, value);
		}
		finally {
			reactor.core.publisher.Hooks.resetOnNextDropped();
		}
	}

	private void untouchedUnlessSignalled(Path path, Random random, AtomicBoolean value) throws IOException {
		int untouched = 0;
		for (int round = 0; round < rounds(200); round++) {
			value.set(false);
			AsyncFile file = open(path, READ, WRITE);
			boolean write = round % 2 == 1;
			ByteBuffer buffer = ByteBuffer.allocate(4 << 20);
			Arrays.fill(buffer.array(), (byte) 0x55);
			AtomicInteger discards = new AtomicInteger();
			Mono<Integer> op = write ? file.write(buffer, 8 << 20) : file.read(buffer, 0);
			Disposable subscription = op.doOnDiscard(ByteBuffer.class, b -> {
				assertTrue(b == buffer, "the discard hook received another buffer");
				discards.incrementAndGet();
			}).subscribe(n -> value.set(true));
			for (int spin = random.nextInt(20_000); spin > 0; spin--) {
				Thread.onSpinWait();
			}
			subscription.dispose();
			file.close().block(BOUND);
			assertTrue(value.get() ^ discards.get() == 1,
					"round " + round + ": value=" + value.get() + " discards=" + discards.get());
			if (!value.get() && buffer.position() == 0) {
				untouched++;
				for (byte b : buffer.array()) {
					assertEquals((byte) 0x55, b, "a cancelled read changed the caller's heap buffer");
				}
			}
			else if (!value.get() && !write) {
				// the cancel came while the completion applied the result: all of it, then discarded
				assertEquals(buffer.capacity(), buffer.position(), "a partly applied read");
				assertArrayEquals(TestFiles.readWithFileChannel(path, 0, buffer.capacity()), buffer.array(),
						"a read delivered to the discard hook holds the file's bytes");
			}
		}
		assertTrue(untouched > 0, "no operation was cancelled in flight: the test proved nothing");
	}

	/**
	 * The documented release points of a direct buffer lent to O_DIRECT reads that time out: the value or
	 * error signal (handled before the operator that may cancel, as a program that frees the buffer after
	 * using it does), else the discard hook. Each buffer reaches exactly one of them, and a program that
	 * poisons (frees) it there never sees a late read land in it.
	 */
	@Test
	void directBuffersReleasedAtTheirReleasePointAreNeverWrittenAfterwards() throws IOException {
		Path path = TestFiles.randomFile(dir, "direct.bin", new Random(3), 16 << 20);
		AsyncFile file = open(path, READ, AioOpenOption.DIRECT);
		List<ByteBuffer> released = java.util.Collections.synchronizedList(new ArrayList<>());
		java.util.function.Consumer<ByteBuffer> release = b -> {
			poison(b);
			released.add(b);
		};
		Random random = new Random(4);
		int timedOut = 0;
		int rounds = rounds(300);
		for (int round = 0; round < rounds; round++) {
			ByteBuffer buffer = TestFiles.alignedDirect(1 << 20);
			Integer n = file.read(buffer, (long) random.nextInt(15) << 20)
					.doOnNext(bytes -> release.accept(buffer))
					.doOnError(e -> release.accept(buffer))
					.doOnDiscard(ByteBuffer.class, release)
					.timeout(Duration.ofNanos(random.nextInt(300_000)))
					.onErrorResume(TimeoutException.class, e -> Mono.empty())
					.block(BOUND);
			timedOut += n == null ? 1 : 0;
		}
		file.close().block(BOUND);
		assertEquals(rounds, released.size(), "every buffer reaches exactly one release point by the time close completed");
		int late = 0;
		for (ByteBuffer b : released) {
			for (int i = 0; i < b.capacity(); i++) {
				if (b.get(i) != POISON) {
					late++;
					break;
				}
			}
		}
		assertEquals(0, late, "buffers written by a read after their release point");
		assertTrue(timedOut > 0, "no read timed out: the test proved nothing");
	}

	// ---- open options and streams as the JDK's ----

	/** APPEND is the kernel's O_APPEND: concurrent appenders never overwrite each other. */
	@Test
	void concurrentAppendersNeverOverwriteEachOther() throws IOException {
		Path path = dir.resolve("append.log");
		Files.write(path, new byte[0]);
		int writers = 16;
		List<Mono<Long>> appends = new ArrayList<>();
		for (int w = 0; w < writers; w++) {
			byte value = (byte) ('A' + w);
			Flux<ByteBuffer> pieces = Flux.range(0, 10).map(i -> {
				ByteBuffer piece = ByteBuffer.allocate(100);
				Arrays.fill(piece.array(), value);
				return piece;
			});
			appends.add(AioFiles.write(pieces, path, resources, StandardOpenOption.APPEND)
					.subscribeOn(Schedulers.parallel()));
		}
		List<Long> counts = Flux.merge(appends).collectList().block(BOUND);
		assertEquals(writers, counts.size());
		counts.forEach(n -> assertEquals(1000L, n));
		byte[] bytes = Files.readAllBytes(path);
		assertEquals(writers * 1000, bytes.length, "an appender overwrote another's bytes");
		int[] perWriter = new int[writers];
		for (byte b : bytes) {
			perWriter[b - 'A']++;
		}
		for (int w = 0; w < writers; w++) {
			assertEquals(1000, perWriter[w], "bytes of writer " + w);
		}
		StepVerifier.create(AsyncFile.open(path, Set.of(WRITE, StandardOpenOption.APPEND), resources))
				.expectError(UnsupportedOperationException.class).verify(BOUND);
	}

	/** DELETE_ON_CLOSE removes the name right after open, as the JDK does; close never removes another file. */
	@Test
	void deleteOnCloseUnlinksAtOpen() throws IOException {
		Path path = dir.resolve("scratch.bin");
		AsyncFile file = open(path, CREATE, READ, WRITE, StandardOpenOption.DELETE_ON_CLOSE);
		assertFalse(Files.exists(path), "the name must be gone as soon as the file is open");
		assertEquals(5, file.write(ByteBuffer.wrap("hello".getBytes()), 0).block(BOUND));
		ByteBuffer back = ByteBuffer.allocate(5);
		assertEquals(5, file.read(back, 0).block(BOUND));
		assertArrayEquals("hello".getBytes(), back.array());
		Files.writeString(path, "someone else's");
		file.close().block(BOUND);
		assertEquals("someone else's", Files.readString(path), "close removed a file it never opened");
	}

	/** A directory opens for reading, as with FileChannel: force(true) works, reads fail as FileChannel's do. */
	@Test
	void aDirectoryOpensForReadingAndForce() throws IOException {
		AsyncFile directory = open(dir, READ);
		directory.force(true).block(BOUND);
		StepVerifier.create(directory.read(ByteBuffer.allocate(16), 0))
				.expectErrorSatisfies(e -> {
					assertTrue(e instanceof IOException, e.toString());
					assertTrue(String.valueOf(e.getMessage()).contains("Is a directory"), e.toString());
				})
				.verify(BOUND);
		directory.close().block(BOUND);
		StepVerifier.create(AsyncFile.open(dir, Set.of(WRITE), resources))
				.expectError(FileSystemException.class).verify(BOUND);
	}

	/** The source buffers of a streaming write keep their positions: the javadoc's promise. */
	@Test
	void aStreamingWriteLeavesSourcePositionsAlone() throws IOException {
		Random random = new Random(6);
		List<ByteBuffer> sources = List.of(ByteBuffer.wrap(TestFiles.randomBytes(random, 1000)),
				ByteBuffer.allocateDirect(128 << 10).put(TestFiles.randomBytes(random, 128 << 10)).flip(),
				ByteBuffer.wrap(TestFiles.randomBytes(random, 300_000)).position(7));
		Path path = dir.resolve("positions.bin");
		AsyncFile file = open(path, CREATE, WRITE);
		long total = file.write(Flux.fromIterable(sources), 0).block(BOUND);
		file.close().block(BOUND);
		java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
		for (ByteBuffer source : sources) {
			expected.writeBytes(TestFiles.toBytes(source));
		}
		assertEquals(expected.size(), total);
		assertArrayEquals(expected.toByteArray(), Files.readAllBytes(path));
		assertEquals(0, sources.get(0).position());
		assertEquals(0, sources.get(1).position());
		assertEquals(7, sources.get(2).position());
	}

	/** A publisher that refills one buffer fails loudly instead of writing wrong bytes and reporting success. */
	@Test
	void aStreamingWriteOfOneReusedBufferFailsLoudly() throws IOException {
		AsyncFile file = open(dir.resolve("reused.bin"), CREATE, WRITE);
		ByteBuffer shared = ByteBuffer.allocate(1024);
		Flux<ByteBuffer> refills = Flux.range(0, 800).map(i -> {
			shared.clear();
			Arrays.fill(shared.array(), (byte) i.intValue());
			return shared;
		});
		StepVerifier.create(file.write(refills, 0)).expectError(IllegalStateException.class).verify(BOUND);
		Flux<ByteBuffer> oneAtATime = Flux.range(0, 20).concatMap(i -> Mono.fromCallable(() -> {
			shared.clear();
			Arrays.fill(shared.array(), (byte) i.intValue());
			return shared;
		}).flatMap(b -> file.write(Mono.just(b), i * 1024L)).thenReturn(shared));
		StepVerifier.create(oneAtATime.then()).verifyComplete();
		file.close().block(BOUND);
		byte[] bytes = Files.readAllBytes(dir.resolve("reused.bin"));
		for (int i = 0; i < 20 * 1024; i++) {
			assertEquals((byte) (i / 1024), bytes[i], "byte " + i);
		}
	}

	/** AioFiles.read completes after its file is closed, as usingWhen promises. */
	@Test
	void aioFilesReadCompletesAfterTheFileIsClosed() throws IOException {
		Path path = TestFiles.randomFile(dir, "whole.bin", new Random(7), 100_000);
		for (int round = 0; round < rounds(50); round++) {
			AioFiles.read(path, 8192, resources).blockLast(BOUND);
			assertEquals(0, resources.stats().openFiles(), "the file is closed when the stream completes");
		}
	}

	// ---- no subscriber left waiting, no loop spinning ----

	/** An Error thrown on a loop thread (here a provider out of memory) reaches the subscriber; the loop goes on. */
	@Test
	void anErrorOnTheLoopThreadReachesTheSubscriber() throws IOException {
		Path path = TestFiles.randomFile(dir, "oom.bin", new Random(8), 1 << 20);
		AsyncFile file = open(path, READ);
		AtomicInteger allocations = new AtomicInteger();
		BufferProvider<ByteBuffer> failing = new BufferProvider<>() {
			@Override
			public Class<ByteBuffer> type() {
				return ByteBuffer.class;
			}

			@Override
			public ByteBuffer allocate(int capacity) {
				if (allocations.incrementAndGet() > 3) {
					throw new OutOfMemoryError("Direct buffer memory (injected)");
				}
				return ByteBuffer.allocateDirect(capacity);
			}

			@Override
			public ByteBuffer writableView(ByteBuffer buffer) {
				return buffer.duplicate().clear();
			}

			@Override
			public void written(ByteBuffer buffer, int bytes) {
				buffer.limit(bytes);
			}

			@Override
			public void release(ByteBuffer buffer) {
				// the garbage collector's
			}
		};
		StepVerifier.create(file.readChunks(0, Long.MAX_VALUE, 4096, failing))
				.thenConsumeWhile(b -> true)
				.expectError(OutOfMemoryError.class)
				.verify(BOUND);
		StepVerifier.create(file.readChunks(0, 1 << 20, 65536).count()).expectNext(16L).verifyComplete();
		file.close().block(BOUND);
	}

	/** A subscriber that interrupts the loop thread it was called on does not make the loop spin. */
	@Test
	void interruptingTheLoopThreadDoesNotMakeItSpin() throws Exception {
		Path path = TestFiles.randomFile(dir, "interrupt.bin", new Random(9), 65536);
		AsyncFile file = open(path, READ);
		AtomicReference<Thread> loopThread = new AtomicReference<>();
		file.read(ByteBuffer.allocate(16), 0).doOnNext(n -> {
			loopThread.set(Thread.currentThread());
			Thread.currentThread().interrupt();
		}).block(BOUND);
		ThreadMXBean threads = ManagementFactory.getThreadMXBean();
		long id = loopThread.get().getId();
		Thread.sleep(100);
		long before = threads.getThreadCpuTime(id);
		Thread.sleep(500);
		long used = threads.getThreadCpuTime(id) - before;
		assertTrue(used < 100_000_000L, "the idle loop used " + used / 1_000_000 + " ms of CPU in 500 ms");
		assertEquals(16, file.read(ByteBuffer.allocate(16), 0).block(BOUND), "and it still serves");
		file.close().block(BOUND);
	}

	private static final byte[] POISON_BLOCK = new byte[64 << 10];

	static {
		Arrays.fill(POISON_BLOCK, POISON);
	}

	private static void poison(ByteBuffer buffer) {
		for (int at = 0; at < buffer.capacity(); at += POISON_BLOCK.length) {
			buffer.put(at, POISON_BLOCK, 0, Math.min(POISON_BLOCK.length, buffer.capacity() - at));
		}
	}

	/** io_uring. */
	static class IoUringLifecycleTest extends LifecycleContract {
		@Override
		protected AioBackend backend() {
			return AioBackend.IO_URING;
		}
	}

	/** kernel AIO. */
	static class LibaioLifecycleTest extends LifecycleContract {
		@Override
		protected AioBackend backend() {
			return AioBackend.LIBAIO;
		}
	}

	/** FileChannel pool. */
	static class NioLifecycleTest extends LifecycleContract {
		@Override
		protected AioBackend backend() {
			return AioBackend.NIO;
		}
	}
}
