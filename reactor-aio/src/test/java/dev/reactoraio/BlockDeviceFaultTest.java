package dev.reactoraio;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.reactoraio.internal.jnr.Errno;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Reads of a block device that really fails, nothing mocked: in a kernel-matrix VM (it-tests), a
 * virtio disk behind QEMU's blkdebug driver, which answers every read touching one range of bytes
 * with EIO. The scenario names the device and the range ({@code -Dreactoraio.test.faultyDevice=/dev/vda
 * -Dreactoraio.test.faultyRange=OFFSET+LENGTH}); without them the class is skipped.
 * <p>
 * On each backend, with O_DIRECT and through the page cache, while another file on the same loop keeps
 * writing and reading:
 * <ul>
 * <li>a read inside the range fails with an {@link AioIOException} naming EIO, the device and the position;</li>
 * <li>a read from the good bytes before the range into it fails, or returns only good bytes;</li>
 * <li>a streaming read over the range delivers every chunk before the range, in order, then fails
 * naming the range's first byte;</li>
 * <li>the good bytes on both sides of the range still read back right afterwards;</li>
 * <li>the other file's writes and reads all succeed, and nothing is left open, in flight or unreturned.</li>
 * </ul>
 */
@Timeout(300)
class BlockDeviceFaultTest {

	static final String FAULTY_DEVICE = "reactoraio.test.faultyDevice";
	static final String FAULTY_RANGE = "reactoraio.test.faultyRange";

	private static final Duration TIMEOUT = Duration.ofSeconds(60);
	private static final int CHUNK = 64 * 1024;
	private static final int PAGE = 4096;
	/** Known bytes from the start of the device; the failing range lies inside, with good chunks around it. */
	private static final int SPAN = 4 << 20;

	private static Path device;
	private static long badStart;
	private static long badEnd;
	private static byte[] content;

	@TempDir
	Path dir;

	@BeforeAll
	static void writeKnownBytes() throws Exception {
		String name = System.getProperty(FAULTY_DEVICE);
		String range = System.getProperty(FAULTY_RANGE);
		assumeTrue(name != null && range != null,
				() -> "no failing disk here (-D" + FAULTY_DEVICE + ", -D" + FAULTY_RANGE + ")");
		device = Path.of(name);
		String[] offsetAndLength = range.split("\\+");
		badStart = Long.parseLong(offsetAndLength[0]);
		badEnd = badStart + Long.parseLong(offsetAndLength[1]);
		assertTrue(badStart >= 4 * CHUNK && badStart % CHUNK == 0 && badEnd % CHUNK == 0 && badEnd + CHUNK <= SPAN,
				() -> range + ": the tests need a range of whole chunks with good chunks on both sides, within " + SPAN);
		for (int i = 0; i < 100 && !Files.exists(device); i++) {
			Thread.sleep(100);
		}
		assertTrue(Files.exists(device), () -> device + " did not appear");
		System.out.println(Aio.describe());
		// a merged request fails as a whole, good reads next to the range with it: no merging here (nor in QEMU)
		Files.writeString(Path.of("/sys/block", device.getFileName().toString(), "queue/nomerges"), "2");

		// blkdebug fails reads only: the known bytes go in, then leave the page cache so that reads reach the disk
		content = TestFiles.randomBytes(new Random(0xe10), SPAN);
		try (FileChannel channel = FileChannel.open(device, WRITE)) {
			ByteBuffer all = ByteBuffer.wrap(content);
			while (all.hasRemaining()) {
				channel.write(all, all.position());
			}
			channel.force(true);
		}
		Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "1");
	}

	static Stream<Arguments> backendsWithAndWithoutODirect() {
		return Stream.of(AioBackend.IO_URING, AioBackend.LIBAIO, AioBackend.NIO)
				.flatMap(backend -> Stream.of(Arguments.of(backend, true), Arguments.of(backend, false)));
	}

	@ParameterizedTest(name = "{0}, O_DIRECT {1}")
	@MethodSource("backendsWithAndWithoutODirect")
	void failingReadsEndWithEioWhileGoodRangesAndOtherFilesCarryOn(AioBackend backend, boolean direct) throws Exception {
		EnvironmentExpectationTest.assumeAvailable(backend);
		// one loop: the device and the other file share its ring (or its AIO context, or its NIO hand-off)
		AioResources resources = AioResources.builder("eio").backend(backend).rings(1).readahead(4).build();
		try {
			Set<OpenOption> options = direct ? Set.of(READ, AioOpenOption.DIRECT) : Set.of(READ);
			AsyncFile disk = AsyncFile.open(device, options, resources).block(TIMEOUT);
			AsyncFile other = AsyncFile.open(dir.resolve("other.bin"), Set.of(READ, WRITE, CREATE_NEW), resources)
					.block(TIMEOUT);
			int failures;
			try {
				CompletableFuture<Void> otherFile = roundTrips(other).toFuture();
				failures = failingReads(disk) + failingStream(disk);
				assertGoodBytes(disk, 0, badStart);
				assertGoodBytes(disk, badEnd, SPAN - badEnd);
				otherFile.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
			}
			finally {
				disk.close().block(TIMEOUT);
				other.close().block(TIMEOUT);
			}
			AioStats stats = TestFiles.settle(resources, Duration.ofSeconds(5));
			assertEquals(0, stats.openFiles(), stats::toString);
			assertEquals(0, stats.outstandingBuffers(), stats::toString);
			assertEquals(0, stats.inFlight(), stats::toString);
			assertTrue(stats.failed() >= failures, stats::toString);
			System.out.println("@@FAULT EIO backend=" + backend + " direct=" + direct + " failed=" + failures);
		}
		finally {
			resources.disposeLater().block(TIMEOUT);
		}
	}

	/** Single reads inside the range and into it; returns how many failed with EIO. */
	private static int failingReads(AsyncFile disk) {
		assertEio(failure(disk.read(TestFiles.alignedDirect(PAGE), badStart)), badStart);
		assertEio(failure(disk.read(ByteBuffer.allocate(3000), badEnd - 4000)), badEnd - 4000);
		int failures = 2;
		// from the good bytes before the range into it: the whole read fails, or it stops short of the range
		long from = badStart - PAGE;
		ByteBuffer buffer = ByteBuffer.allocate(2 * PAGE);
		Mono<Integer> straddling = disk.read(buffer, from);
		Throwable failure = failure(straddling.doOnNext(n -> {
			assertTrue(n > 0 && from + n <= badStart, () -> n + " bytes read from " + from + " into the failing range");
			assertArrayEquals(expected(from, n), Arrays.copyOf(buffer.array(), n));
		}));
		if (failure != null) {
			assertEio(failure, from);
			failures++;
		}
		return failures;
	}

	/** A streaming read over the range: the chunks before it, in order, then EIO at its first byte. */
	private static int failingStream(AsyncFile disk) {
		long from = badStart - 4 * CHUNK;
		List<ByteBuffer> chunks = new ArrayList<>();
		Throwable failure = failure(disk.readChunks(from, 8 * CHUNK, CHUNK).doOnNext(chunks::add).then());
		AioIOException eio = assertEio(failure, badStart);
		assertEquals(badStart, eio.position(), "the stream fails at the range's first chunk");
		assertArrayEquals(expected(from, (int) (badStart - from)), AsyncFileContract.concat(chunks),
				"every chunk before the failing range, in file order");
		return 1;
	}

	private static void assertGoodBytes(AsyncFile disk, long position, long count) {
		List<ByteBuffer> chunks = disk.readChunks(position, count, CHUNK).collectList().block(TIMEOUT);
		assertArrayEquals(expected(position, (int) count), AsyncFileContract.concat(chunks),
				() -> "the good bytes " + position + "+" + count + " after the failures");
	}

	/** Writes and reads back a regular file piece by piece: the loop's other work meanwhile. */
	private static Mono<Void> roundTrips(AsyncFile file) {
		Random random = new Random(17);
		return Flux.range(0, 64).concatMap(i -> {
			byte[] piece = TestFiles.randomBytes(random, CHUNK);
			long position = (long) i * CHUNK;
			ByteBuffer back = ByteBuffer.allocate(CHUNK);
			return file.write(ByteBuffer.wrap(piece), position)
					.then(file.read(back, position))
					.doOnNext(n -> assertArrayEquals(piece, back.array(), () -> "the other file at " + position));
		}).then();
	}

	/**
	 * Checks an EIO naming the device and the read's position; an O_DIRECT read of a misaligned range
	 * fails as the aligned read around it, so the position named may be up to a page lower.
	 */
	private static AioIOException assertEio(@Nullable Throwable failure, long position) {
		AioIOException eio = assertInstanceOf(AioIOException.class, failure, () -> "expected EIO, got " + failure);
		assertEquals(Errno.EIO, eio.errno(), eio::getMessage);
		assertEquals("EIO", eio.errnoName());
		assertEquals("read", eio.operation(), eio::getMessage);
		assertEquals(device, eio.path(), eio::getMessage);
		assertTrue(eio.position() <= position && position - eio.position() < PAGE,
				() -> "position " + eio.position() + " for a read at " + position + ": " + eio.getMessage());
		assertTrue(eio.getMessage().contains("at position " + eio.position()), eio::getMessage);
		return eio;
	}

	/** The error {@code operation} ends with, or {@code null} when it succeeds. */
	private static @Nullable Throwable failure(Mono<?> operation) {
		try {
			operation.block(TIMEOUT);
			return null;
		}
		catch (RuntimeException e) {
			Throwable failure = Exceptions.unwrap(e);
			if (failure instanceof Error) {
				throw (Error) failure; // an assertion of the caller's
			}
			return failure;
		}
	}

	private static byte[] expected(long position, int length) {
		return Arrays.copyOfRange(content, (int) position, (int) position + length);
	}
}
