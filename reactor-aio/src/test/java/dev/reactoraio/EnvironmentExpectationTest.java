package dev.reactoraio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import dev.reactoraio.internal.uring.Uring;
import dev.reactoraio.internal.uring.UringLoop;
import dev.reactoraio.internal.uring.UringProbe;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.core.publisher.Flux;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the machine the suite runs on must show, as the kernel matrix (it-tests) states it per scenario
 * in system properties; each check is skipped when its property is absent:
 * <ul>
 * <li>{@code reactoraio.test.expectBackend=LIBAIO}: the backend {@link Aio#autoBackend()} chooses;</li>
 * <li>{@code reactoraio.test.expectCause.IO_URING=kernel.io_uring_disabled=2} (or {@code .LIBAIO}): text
 * the backend's {@linkplain Aio#unavailabilityCause unavailability cause} contains;</li>
 * <li>{@code reactoraio.test.expectSetupFlags=CQSIZE|CLAMP}: the io_uring setup flags the ladder settled on;</li>
 * <li>{@code reactoraio.test.expectWholeFileChains=yes} (or {@code no}): whether io_uring rings use
 * whole-file chains and a registered ring descriptor (both need the io_uring of 5.18); without the
 * property, {@code yes} on kernels from 5.18 (no expectation below);</li>
 * <li>{@code reactoraio.test.expectHeadReads=yes} (or {@code no}): whether streams read their head with
 * the open (chains and {@code IORING_OP_FIXED_FD_INSTALL}); without the property, {@code yes} from 6.8;</li>
 * <li>{@code reactoraio.test.requireBackends=IO_URING,LIBAIO,NIO}: backends that must be available, so
 * that the contract fails on them instead of skipping (read by {@link AsyncFileContract}).</li>
 * </ul>
 */
class EnvironmentExpectationTest {

	static final String EXPECT_BACKEND = "reactoraio.test.expectBackend";
	static final String EXPECT_CAUSE = "reactoraio.test.expectCause.";
	static final String EXPECT_SETUP_FLAGS = "reactoraio.test.expectSetupFlags";
	static final String REQUIRE_BACKENDS = "reactoraio.test.requireBackends";
	static final String EXPECT_CHAINS = "reactoraio.test.expectWholeFileChains";
	static final String EXPECT_HEADS = "reactoraio.test.expectHeadReads";

	private static final Duration TIMEOUT = Duration.ofSeconds(60);

	@BeforeAll
	static void printTheProbe() {
		System.out.println(Aio.describe());
	}

	/** Whether {@code reactoraio.test.requireBackends} names {@code backend}. */
	static boolean required(AioBackend backend) {
		String required = System.getProperty(REQUIRE_BACKENDS, "");
		return Arrays.stream(required.split(",")).map(String::trim).anyMatch(backend.name()::equals);
	}

	/** Skips the calling test when {@code backend} is unavailable here, or fails it when the backend is {@linkplain #required}. */
	static void assumeAvailable(AioBackend backend) {
		Throwable cause = Aio.unavailabilityCause(backend);
		if (required(backend)) {
			assertNull(cause, () -> backend + " is required here (" + REQUIRE_BACKENDS + ") but not available: " + cause);
		}
		assumeTrue(cause == null, () -> backend + " is not available here: " + cause);
	}

	@Test
	void autoChoosesTheExpectedBackend() {
		String expected = expectation(EXPECT_BACKEND);
		assertEquals(AioBackend.valueOf(expected), Aio.autoBackend(), Aio::describe);
	}

	@ParameterizedTest
	@EnumSource(names = {"IO_URING", "LIBAIO"})
	void unavailableBackendsSayWhy(AioBackend backend) {
		String expected = expectation(EXPECT_CAUSE + backend.name());
		Throwable cause = Aio.unavailabilityCause(backend);
		assertNotNull(cause, () -> backend + " is available, expected it not to be because of: " + expected);
		assertTrue(String.valueOf(cause.getMessage()).contains(expected),
				() -> backend + ": cause \"" + cause.getMessage() + "\" does not mention \"" + expected + "\"");
	}

	@Test
	void ringSetupSettlesOnTheExpectedFlags() {
		String expected = expectation(EXPECT_SETUP_FLAGS);
		UringProbe probe = UringProbe.get();
		assertTrue(probe.isAvailable(), () -> "io_uring is unavailable: " + probe.unavailabilityCause());
		assertEquals(flagSet(expected), flagSet(Uring.setupFlagNames(probe.acceptedFlags())),
				() -> "rejected on the way: " + probe.rejectedFlags());
	}

	/**
	 * The chain probe must neither turn chains on where the kernel cancels them (Debian's 5.10 carries the
	 * io_uring of 5.15, which looks fixed files up at submission) nor off where they work.
	 */
	@Test
	void ringFeaturesOf518WhereTheKernelHasThem(@TempDir Path dir) throws IOException {
		String expected = System.getProperty(EXPECT_CHAINS);
		if (expected == null || expected.isBlank()) {
			assumeTrue(kernelAtLeast(5, 18), () -> "no expectation set (-D" + EXPECT_CHAINS + ") below kernel 5.18");
			expected = "yes";
		}
		assumeAvailable(AioBackend.IO_URING);
		Path file = dir.resolve("whole.bin");
		byte[] bytes = new byte[3000];
		new Random(7).nextBytes(bytes);
		Files.write(file, bytes);
		AioResources resources = AioResources.builder("chains").backend(AioBackend.IO_URING).build();
		try {
			assertArrayEquals(bytes, AioFiles.readAllBytes(file, resources).block(TIMEOUT));
			String want = expected.trim();
			String chains = String.valueOf(UringLoop.wholeFileChainsVerdict());
			assertTrue(chains.startsWith(want), () -> "whole-file chains: " + chains + ", expected " + want);
			String ringFd = String.valueOf(UringLoop.registeredRingVerdict());
			assertTrue(ringFd.startsWith(want), () -> "registered ring descriptor: " + ringFd + ", expected " + want);
		}
		finally {
			resources.dispose();
		}
	}

	/** The probe, not the version, decides whether streams read their head with the open: as expected here. */
	@Test
	void headReadsWhereTheKernelHasThem(@TempDir Path dir) throws IOException {
		String expected = System.getProperty(EXPECT_HEADS);
		if (expected == null || expected.isBlank()) {
			assumeTrue(kernelAtLeast(6, 8), () -> "no expectation set (-D" + EXPECT_HEADS + ") below kernel 6.8");
			expected = "yes";
		}
		assumeAvailable(AioBackend.IO_URING);
		Path file = dir.resolve("head.bin");
		byte[] bytes = new byte[5000];
		new Random(8).nextBytes(bytes);
		Files.write(file, bytes);
		AioResources resources = AioResources.builder("heads").backend(AioBackend.IO_URING).build();
		try {
			assertArrayEquals(bytes, AsyncFileContract.concat(AioFiles.read(file, 4096, resources).collectList()
					.block(TIMEOUT)));
			String want = expected.trim();
			String heads = Aio.describe().lines()
					.filter(line -> line.contains("streams read their head with the open")).findFirst().orElse("absent");
			assertTrue(heads.trim().endsWith(": " + want), () -> "head reads: " + heads + ", expected " + want);
		}
		finally {
			resources.dispose();
		}
	}

	private static boolean kernelAtLeast(int major, int minor) {
		String[] parts = System.getProperty("os.version").split("[.-]");
		int ma = Integer.parseInt(parts[0]);
		int mi = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
		return ma > major || (ma == major && mi >= minor);
	}

	@Test
	void autoMovesBytesWithAndWithoutODirect(@TempDir Path dir) throws IOException {
		byte[] content = TestFiles.randomBytes(new Random(7), 3 * 65536 + 100);
		roundTrip(dir.resolve("buffered.bin"), content);
		roundTrip(dir.resolve("direct.bin"), content, AioOpenOption.DIRECT);
	}

	/** Writes and reads back {@code file} through the global (AUTO) resources. */
	private static void roundTrip(Path file, byte[] content, OpenOption... extra) throws IOException {
		List<OpenOption> options = new ArrayList<>(List.of(CREATE, WRITE));
		options.addAll(List.of(extra));
		long written = AioFiles.write(Flux.just(ByteBuffer.wrap(content)), file, options.toArray(OpenOption[]::new))
				.block(TIMEOUT);
		assertEquals(content.length, written);
		byte[] read = AsyncFileContract.concat(AioFiles.read(file, 65536, extra).collectList().block(TIMEOUT));
		assertArrayEquals(content, read, () -> file + " read back with " + List.of(extra));
		assertArrayEquals(content, Files.readAllBytes(file), () -> file + " read back through FileChannel");
	}

	private static String expectation(String property) {
		String value = System.getProperty(property);
		assumeTrue(value != null && !value.isBlank(), () -> "no expectation set (-D" + property + ")");
		return value.trim();
	}

	private static Set<String> flagSet(String names) {
		return new TreeSet<>(Arrays.asList(names.split("\\|")));
	}
}
