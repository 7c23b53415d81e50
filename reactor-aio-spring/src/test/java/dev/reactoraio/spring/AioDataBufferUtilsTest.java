package dev.reactoraio.spring;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import dev.reactoraio.AsyncFile;
import dev.reactoraio.BufferProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.reactivestreams.Subscription;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.PooledDataBuffer;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import reactor.util.context.Context;

import static dev.reactoraio.spring.BufferFactories.assertNoLeak;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link AioDataBufferUtils} against Spring's contract: content, bounds, errors, and that every buffer is
 * released (by the library or by the subscriber, as Spring's rules say) on completion, error and
 * cancellation, for pooled and unpooled, direct and heap factories.
 */
class AioDataBufferUtilsTest {

	private static final String FACTORIES = "dev.reactoraio.spring.BufferFactories#all";
	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	@TempDir
	Path dir;

	private final Random random = new Random(20261125);

	@ParameterizedTest
	@MethodSource(FACTORIES)
	void readsTheWholeFileInBuffersOfTheGivenSize(DataBufferFactory factory) throws IOException {
		byte[] data = randomBytes(300_001);
		Path file = Files.write(dir.resolve("data.bin"), data);
		List<DataBuffer> buffers = AioDataBufferUtils.read(file, factory, 8192).collectList().block(TIMEOUT);
		for (int i = 0; i < buffers.size(); i++) {
			assertEquals(i < buffers.size() - 1 ? 8192 : data.length % 8192, buffers.get(i).readableByteCount());
		}
		assertArrayEquals(data, drain(buffers));
		assertNoLeak(factory);
	}

	@ParameterizedTest
	@MethodSource(FACTORIES)
	void readsARangeAndNothingBeyondIt(DataBufferFactory factory) throws IOException {
		byte[] data = randomBytes(100_000);
		Path file = Files.write(dir.resolve("data.bin"), data);
		assertArrayEquals(slice(data, 1000, 20_000),
				drain(AioDataBufferUtils.read(file, 1000, 20_000, factory, 4096).collectList().block(TIMEOUT)));
		assertArrayEquals(slice(data, 99_000, 1000),
				drain(AioDataBufferUtils.read(file, 99_000, 5000, factory, 4096).collectList().block(TIMEOUT)));
		StepVerifier.create(AioDataBufferUtils.read(file, 100_000, 10, factory, 4096)).verifyComplete();
		StepVerifier.create(AioDataBufferUtils.read(file, 10, 0, factory, 4096)).verifyComplete();
		assertNoLeak(factory);
	}

	@ParameterizedTest
	@MethodSource(FACTORIES)
	void readsAResourceFromAPosition(DataBufferFactory factory) throws IOException {
		byte[] data = randomBytes(50_000);
		Path file = Files.write(dir.resolve("data.bin"), data);
		assertArrayEquals(slice(data, 123, data.length - 123), drain(AioDataBufferUtils
				.read(new FileSystemResource(file), 123, factory, 4096).collectList().block(TIMEOUT)));
		assertNoLeak(factory);
	}

	@ParameterizedTest
	@MethodSource(FACTORIES)
	void cancellingReleasesEveryBufferReadAheadAndClosesTheFile(DataBufferFactory factory) throws IOException {
		Path file = Files.write(dir.resolve("data.bin"), randomBytes(1 << 20));
		List<DataBuffer> taken = AioDataBufferUtils.read(file, factory, 4096).take(3).collectList().block(TIMEOUT);
		assertEquals(3, taken.size());
		taken.forEach(DataBufferUtils::release);
		assertNoLeak(factory);
		assertClosed(file);
	}

	@ParameterizedTest
	@MethodSource(FACTORIES)
	void cancellingWithoutDemandReadsNothingAndClosesTheFile(DataBufferFactory factory) throws IOException {
		Path file = Files.write(dir.resolve("data.bin"), randomBytes(64 << 10));
		AtomicLong received = new AtomicLong();
		BaseSubscriber<DataBuffer> idle = new BaseSubscriber<>() {
			@Override
			protected void hookOnSubscribe(Subscription subscription) {
				// no demand, as gh-22107's subscriber
			}

			@Override
			protected void hookOnNext(DataBuffer buffer) {
				received.incrementAndGet();
				DataBufferUtils.release(buffer);
			}
		};
		AioDataBufferUtils.read(file, factory, 4096).subscribe(idle);
		sleep(100);
		idle.dispose();
		assertEquals(0, received.get());
		assertNoLeak(factory);
		assertClosed(file);
	}

	@ParameterizedTest
	@MethodSource(FACTORIES)
	void aMissingFileIsTheJdkException(DataBufferFactory factory) {
		StepVerifier.create(AioDataBufferUtils.read(dir.resolve("missing"), factory, 1024))
				.expectError(NoSuchFileException.class)
				.verify(TIMEOUT);
		StepVerifier.create(AioDataBufferUtils.write(Flux.empty(), dir.resolve("no/such/dir/file")))
				.expectError(NoSuchFileException.class)
				.verify(TIMEOUT);
	}

	@Test
	void argumentsAreCheckedLikeSpring() {
		DataBufferFactory factory = BufferFactories.pooled(true);
		Path file = dir.resolve("f");
		assertThrows(IllegalArgumentException.class, () -> AioDataBufferUtils.read(file, factory, 0));
		assertThrows(IllegalArgumentException.class,
				() -> AioDataBufferUtils.read(file, factory, 1024, StandardOpenOption.WRITE));
		assertThrows(IllegalArgumentException.class,
				() -> AioDataBufferUtils.read(file, factory, 1024, StandardOpenOption.APPEND));
		assertThrows(IllegalArgumentException.class, () -> AioDataBufferUtils.read(file, -1, 10, factory, 1024));
		assertThrows(IllegalArgumentException.class,
				() -> AioDataBufferUtils.write(Flux.empty(), file, StandardOpenOption.READ));
		assertThrows(IllegalArgumentException.class, () -> AioDataBufferUtils.write(Flux.empty(), file,
				StandardOpenOption.APPEND, StandardOpenOption.TRUNCATE_EXISTING));
	}

	@Test
	void directBuffersAreFilledInPlace() {
		for (DataBufferFactory factory : List.of(BufferFactories.pooled(true),
				new org.springframework.core.io.buffer.DefaultDataBufferFactory(true))) {
			BufferProvider<DataBuffer> provider = AioDataBufferUtils.bufferProvider(factory);
			DataBuffer buffer = provider.allocate(4096);
			ByteBuffer view = provider.writableView(buffer);
			assertTrue(view.isDirect(), "the kernel gets the buffer's own memory");
			assertTrue(view.remaining() >= 4096);
			view.put(view.position(), (byte) 42).put(view.position() + 1, (byte) 43);
			provider.written(buffer, 2);
			assertEquals(2, buffer.readableByteCount());
			assertEquals(42, buffer.getByte(0));
			assertEquals(43, buffer.getByte(1));
			provider.release(buffer);
			provider.release(buffer);
			assertNoLeak(factory);
		}
	}

	@ParameterizedTest
	@MethodSource(FACTORIES)
	void writingToAPathWritesEveryByteAndReleasesEveryBuffer(DataBufferFactory factory) throws IOException {
		byte[] data = randomBytes(1_000_003);
		Path file = dir.resolve("out.bin");
		AioDataBufferUtils.write(chunks(factory, data, 7000), file).block(TIMEOUT);
		assertArrayEquals(data, Files.readAllBytes(file));
		assertNoLeak(factory);
	}

	@Test
	void writingToAPathReleasesEachBufferExactlyOnce() throws IOException {
		DataBufferFactory factory = BufferFactories.pooled(true);
		List<DataBuffer> retained = new ArrayList<>();
		Flux<DataBuffer> source = chunks(factory, randomBytes(50_000), 5000)
				.map(DataBufferUtils::retain)
				.doOnNext(retained::add);
		AioDataBufferUtils.write(source, dir.resolve("out.bin")).block(TIMEOUT);
		assertEquals(10, retained.size());
		for (DataBuffer buffer : retained) {
			assertTrue(((PooledDataBuffer) buffer).isAllocated(), "released twice");
			assertTrue(DataBufferUtils.release(buffer), "the last reference was not ours");
		}
		assertNoLeak(factory);
	}

	@ParameterizedTest
	@MethodSource(FACTORIES)
	void writingWithAppendAddsAfterTheEnd(DataBufferFactory factory) throws IOException {
		Path file = Files.write(dir.resolve("log.txt"), "first\n".getBytes());
		AioDataBufferUtils.write(chunks(factory, "second\n".getBytes(), 3), file, StandardOpenOption.APPEND)
				.block(TIMEOUT);
		assertEquals("first\nsecond\n", Files.readString(file));
		StepVerifier.create(AioDataBufferUtils.write(chunks(factory, "x".getBytes(), 1), file,
						StandardOpenOption.CREATE_NEW))
				.expectError(FileAlreadyExistsException.class)
				.verify(TIMEOUT);
		assertNoLeak(factory);
	}

	@ParameterizedTest
	@MethodSource(FACTORIES)
	void anUpstreamErrorIsSignalledAfterTheWritesAndEveryBufferIsReleased(DataBufferFactory factory)
			throws IOException {
		byte[] data = randomBytes(40_000);
		Path file = dir.resolve("out.bin");
		Flux<DataBuffer> source = Flux.concat(chunks(factory, data, 4000), Flux.error(new IllegalStateException("boom")));
		StepVerifier.create(AioDataBufferUtils.write(source, file))
				.expectErrorMessage("boom")
				.verify(TIMEOUT);
		assertArrayEquals(data, Files.readAllBytes(file));
		assertNoLeak(factory);
	}

	@ParameterizedTest
	@MethodSource(FACTORIES)
	void cancellingAWriteReleasesEveryBuffer(DataBufferFactory factory) {
		Flux<DataBuffer> source = Flux.concat(chunks(factory, randomBytes(40_000), 4000), Flux.never());
		StepVerifier.create(AioDataBufferUtils.write(source, dir.resolve("out.bin")))
				.thenAwait(Duration.ofMillis(200))
				.thenCancel()
				.verify(TIMEOUT);
		assertNoLeak(factory);
	}

	@ParameterizedTest
	@MethodSource(FACTORIES)
	void writingToAnOpenFileEmitsEachBufferOnceWrittenAndDoesNotReleaseIt(DataBufferFactory factory)
			throws IOException {
		byte[] data = randomBytes(200_000);
		Path file = dir.resolve("out.bin");
		AsyncFile open = AsyncFile.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE).block(TIMEOUT);
		List<DataBuffer> sent = new ArrayList<>();
		List<DataBuffer> emitted = new ArrayList<>();
		AtomicLong position = new AtomicLong(10);
		try {
			AioDataBufferUtils.write(chunks(factory, data, 3000).doOnNext(sent::add), open, 10)
					.doOnNext(buffer -> {
						byte[] expected = bytes(buffer);
						assertArrayEquals(expected, readBack(file, position.getAndAdd(expected.length), expected.length),
								"emitted before its bytes were in the file");
						if (buffer instanceof PooledDataBuffer pooled) {
							assertTrue(pooled.isAllocated(), "the writer released a buffer it does not own");
						}
						emitted.add(buffer);
					})
					.then()
					.block(TIMEOUT);
		}
		finally {
			open.close().block(TIMEOUT);
		}
		assertEquals(sent.size(), emitted.size());
		for (int i = 0; i < sent.size(); i++) {
			assertSame(sent.get(i), emitted.get(i));
		}
		emitted.forEach(DataBufferUtils::release);
		assertArrayEquals(data, slice(Files.readAllBytes(file), 10, data.length));
		assertNoLeak(factory);
	}

	@ParameterizedTest
	@MethodSource(FACTORIES)
	void aFailedWriteStillEmitsTheBuffersTakenThenTheError(DataBufferFactory factory) throws IOException {
		Path file = Files.write(dir.resolve("read-only.bin"), new byte[10]);
		AsyncFile open = AsyncFile.open(file, StandardOpenOption.READ).block(TIMEOUT);
		List<DataBuffer> sent = new ArrayList<>();
		List<DataBuffer> emitted = new ArrayList<>();
		try {
			StepVerifier.create(AioDataBufferUtils.write(chunks(factory, randomBytes(100_000), 1000)
									.doOnNext(sent::add), open, 0)
							.doOnNext(emitted::add))
					.thenConsumeWhile(buffer -> true)
					.expectError(NonWritableChannelException.class)
					.verify(TIMEOUT);
		}
		finally {
			open.close().block(TIMEOUT);
		}
		assertFalse(sent.isEmpty());
		assertTrue(sent.size() <= AioDataBufferUtils.WRITE_WINDOW, "took " + sent.size() + " buffers after the failure");
		assertEquals(sent, emitted);
		emitted.forEach(DataBufferUtils::release);
		assertNoLeak(factory);
	}

	@ParameterizedTest
	@MethodSource(FACTORIES)
	void cancellingAWriteToAnOpenFileDiscardsWhatWasNotEmitted(DataBufferFactory factory) throws IOException {
		AsyncFile open = AsyncFile.open(dir.resolve("out.bin"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)
				.block(TIMEOUT);
		AtomicLong asked = new AtomicLong();
		BaseSubscriber<DataBuffer> idle = new BaseSubscriber<>() {
			@Override
			protected void hookOnSubscribe(Subscription subscription) {
				subscription.request(2); // then no more demand: nothing else may be written
			}

			@Override
			protected void hookOnNext(DataBuffer buffer) {
				DataBufferUtils.release(buffer);
			}
		};
		try {
			AioDataBufferUtils.write(chunks(factory, randomBytes(100_000), 1000).doOnRequest(asked::addAndGet), open, 0)
					.doOnDiscard(DataBuffer.class, DataBufferUtils::release)
					.subscribe(idle);
			sleep(200);
			assertEquals(2, asked.get(), "upstream is asked for what downstream asked, no more");
			idle.dispose();
			assertEquals(2000, open.size().block(TIMEOUT), "the file holds the emitted buffers only");
			assertNoLeak(factory);
		}
		finally {
			open.close().block(TIMEOUT);
		}
	}

	/** Spring's writeAsynchronousFileChannelCanceled: one buffer requested, then cancel: the file holds it only. */
	@ParameterizedTest
	@MethodSource(FACTORIES)
	void aWriteCancelledAfterOneBufferLeavesOnlyThatBuffer(DataBufferFactory factory) throws IOException {
		Path path = dir.resolve("canceled.txt");
		AsyncFile open = AsyncFile.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE).block(TIMEOUT);
		try {
			Flux<DataBuffer> source = Flux.just("foo", "bar")
					.map(text -> factory.allocateBuffer(3).write(text.getBytes(StandardCharsets.UTF_8)));
			StepVerifier.create(AioDataBufferUtils.write(source, open, 0)
							.doOnDiscard(DataBuffer.class, DataBufferUtils::release), 1)
					.consumeNextWith(DataBufferUtils::release)
					.thenCancel()
					.verify(TIMEOUT);
		}
		finally {
			open.close().block(TIMEOUT);
		}
		assertEquals("foo", Files.readString(path));
		assertNoLeak(factory);
	}

	/** APPEND through O_APPEND: sixteen concurrent appenders, and every byte of each is in the file. */
	@Test
	void concurrentAppendsNeverOverwriteEachOther() throws IOException {
		DataBufferFactory factory = BufferFactories.pooled(true);
		Path path = Files.createFile(dir.resolve("log.txt"));
		Flux.range(0, 16)
				.flatMap(w -> AioDataBufferUtils.write(Flux.range(0, 10).map(i -> {
					DataBuffer buffer = factory.allocateBuffer(100);
					for (int b = 0; b < 100; b++) {
						buffer.write((byte) ('a' + w));
					}
					return buffer;
				}), path, StandardOpenOption.APPEND).subscribeOn(reactor.core.scheduler.Schedulers.parallel()))
				.blockLast(TIMEOUT);
		byte[] bytes = Files.readAllBytes(path);
		assertEquals(16_000, bytes.length, "an appender overwrote another's bytes");
		int[] perWriter = new int[16];
		for (byte b : bytes) {
			perWriter[b - 'a']++;
		}
		for (int count : perWriter) {
			assertEquals(1000, count);
		}
		assertNoLeak(factory);
	}

	@Test
	void theSubscriberContextReachesTheSource() {
		DataBufferFactory factory = BufferFactories.pooled(true);
		AtomicReference<String> seen = new AtomicReference<>();
		Flux<DataBuffer> source = Flux.deferContextual(context -> {
			seen.set(context.getOrDefault("tenant", "none"));
			return chunks(factory, "hello".getBytes(), 2);
		});
		AioDataBufferUtils.write(source, dir.resolve("ctx.txt"))
				.contextWrite(Context.of("tenant", "acme"))
				.block(TIMEOUT);
		assertEquals("acme", seen.get());
		assertNoLeak(factory);
	}

	@Test
	void readThenWriteCopiesAFile() throws IOException {
		DataBufferFactory factory = BufferFactories.pooled(true);
		byte[] data = randomBytes(3_000_000);
		Path source = Files.write(dir.resolve("in.bin"), data);
		Path target = dir.resolve("copy.bin");
		AioDataBufferUtils.write(AioDataBufferUtils.read(source, factory, 65536), target).block(TIMEOUT);
		assertArrayEquals(data, Files.readAllBytes(target));
		assertNoLeak(factory);
	}

	// ---- helpers ----

	private byte[] randomBytes(int size) {
		byte[] bytes = new byte[size];
		random.nextBytes(bytes);
		return bytes;
	}

	/** {@code data} in buffers of {@code size} bytes, each allocated from {@code factory} only when requested. */
	static Flux<DataBuffer> chunks(DataBufferFactory factory, byte[] data, int size) {
		return Flux.range(0, (data.length + size - 1) / size).map(i -> {
			int from = i * size;
			int length = Math.min(size, data.length - from);
			return factory.allocateBuffer(length).write(data, from, length);
		});
	}

	static byte[] bytes(DataBuffer buffer) {
		byte[] bytes = new byte[buffer.readableByteCount()];
		buffer.toByteBuffer(ByteBuffer.wrap(bytes));
		return bytes;
	}

	/** Concatenates and releases. */
	static byte[] drain(List<DataBuffer> buffers) {
		java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
		for (DataBuffer buffer : buffers) {
			out.writeBytes(bytes(buffer));
			DataBufferUtils.release(buffer);
		}
		return out.toByteArray();
	}

	private static byte[] slice(byte[] data, int from, int length) {
		return java.util.Arrays.copyOfRange(data, from, from + length);
	}

	private static byte[] readBack(Path file, long position, int length) {
		try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
			ByteBuffer buffer = ByteBuffer.allocate(length);
			while (buffer.hasRemaining() && channel.read(buffer, position + buffer.position()) > 0) {
				// until full or end of file
			}
			return slice(buffer.array(), 0, buffer.position());
		}
		catch (IOException e) {
			throw new java.io.UncheckedIOException(e);
		}
	}

	/** No descriptor of this process points at {@code file} any more. */
	static void assertClosed(Path file) throws IOException {
		String target = file.toRealPath().toString();
		long deadline = System.nanoTime() + TIMEOUT.toNanos();
		while (openDescriptorsTo(target) > 0) {
			assertTrue(System.nanoTime() < deadline, file + " is still open");
			sleep(20);
		}
	}

	private static long openDescriptorsTo(String target) throws IOException {
		long count = 0;
		try (var fds = Files.list(Path.of("/proc/self/fd"))) {
			for (Path fd : (Iterable<Path>) fds::iterator) {
				try {
					if (Files.readSymbolicLink(fd).toString().equals(target)) {
						count++;
					}
				}
				catch (IOException e) {
					// closed while listing
				}
			}
		}
		return count;
	}

	static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(e);
		}
	}


}
