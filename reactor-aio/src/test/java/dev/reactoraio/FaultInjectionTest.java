package dev.reactoraio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.reactoraio.internal.core.SysFiles;
import dev.reactoraio.internal.jnr.Errno;
import dev.reactoraio.internal.jnr.Native;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Faults produced by the real kernel, not mocked: a full file system (a 1 MiB tmpfs), EIO in the middle
 * of a streaming read ({@code /proc/self/mem} past the end of a mapped file), the descriptor limit, a
 * completion queue of four entries under 10,000 operations, and an exhausted fs.aio-max-nr.
 * Tests that need root (mount, sysctl) are skipped with that reason when not root; CI runs as root.
 */
@Timeout(120)
class FaultInjectionTest {

	private static final Duration TIMEOUT = Duration.ofSeconds(60);

	@TempDir
	Path dir;

	private static boolean isRoot() {
		return "root".equals(System.getProperty("user.name"));
	}

	private static void run(String... command) throws Exception {
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		String output = new String(process.getInputStream().readAllBytes());
		assertTrue(process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0,
				String.join(" ", command) + ": " + output);
	}

	@ParameterizedTest
	@EnumSource(value = AioBackend.class, names = {"IO_URING", "LIBAIO", "NIO"})
	void enospcNamesErrnoAndPositionAndLeavesTheFileUsable(AioBackend backend) throws Exception {
		assumeTrue(isRoot(), "mounting a small tmpfs needs root (CI runs as root)");
		assumeTrue(Aio.isAvailable(backend), () -> backend + ": " + Aio.unavailabilityCause(backend));
		Path mount = Files.createDirectory(dir.resolve("tiny"));
		run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.toString());
		AioResources resources = AioResources.builder("enospc").backend(backend).build();
		try {
			Path file = mount.resolve("full.bin");
			AsyncFile f = AsyncFile.open(file, Set.of(StandardOpenOption.WRITE, StandardOpenOption.READ,
					StandardOpenOption.CREATE), resources).block(TIMEOUT);
			try {
				StepVerifier.create(f.write(Flux.range(0, 32).map(i -> ByteBuffer.allocate(64 * 1024)), 0))
						.expectErrorSatisfies(e -> {
							AioIOException error = assertInstanceOf(AioIOException.class, e, e.toString());
							assertEquals(Errno.ENOSPC, error.errno(), error.getMessage());
							assertEquals("ENOSPC", error.errnoName());
							assertTrue(error.position() >= 0 && error.getMessage().contains("at position " + error.position()),
									error.getMessage());
						})
						.verify(TIMEOUT);
				AioIOException single = (AioIOException) assertThrows(RuntimeException.class,
						() -> f.write(ByteBuffer.allocate(1 << 20), 2 << 20).block(TIMEOUT)).getCause();
				assertEquals(Errno.ENOSPC, single.errno());
				assertEquals(2 << 20, single.position());
				f.truncate(0).block(TIMEOUT);
				assertEquals(4096, f.write(ByteBuffer.allocate(4096), 0).block(TIMEOUT), "usable once space is back");
			}
			finally {
				f.close().block(TIMEOUT);
			}
		}
		finally {
			resources.disposeLater().block(TIMEOUT);
			run("umount", mount.toString());
		}
	}

	@ParameterizedTest
	@EnumSource(value = AioBackend.class, names = {"IO_URING", "LIBAIO", "NIO"})
	void aFailedReadEndsTheStreamInFileOrder(AioBackend backend) throws Exception {
		assumeTrue(Aio.isAvailable(backend), () -> backend + ": " + Aio.unavailabilityCause(backend));
		// /proc/self/mem over a shared mapping of a five-page file that spans eight pages: reads of the first
		// five return the file, reads of the rest fail with EIO (the kernel meets SIGBUS past the file's end)
		int page = 4096;
		byte[] content = TestFiles.randomBytes(new java.util.Random(13), 5 * page);
		Path file = Files.write(dir.resolve("five-pages.bin"), content);
		ByteBuffer path = Native.cStringBuffer(file.toString());
		int fd = Native.openat(Native.AT_FDCWD, Native.address(path), Native.O_RDONLY | Native.O_CLOEXEC, 0);
		assertTrue(fd >= 0, () -> "open: " + Errno.describe(-fd));
		long mapped = Native.mmap(8L * page, Native.PROT_READ, Native.MAP_SHARED, fd, 0);
		Native.close(fd);
		assertTrue(mapped > 0, () -> "mmap: " + Errno.describe((int) -mapped));
		AioResources resources = AioResources.builder("mem").backend(backend).readahead(4).build();
		try {
			AsyncFile mem = AsyncFile.open(Path.of("/proc/self/mem"), Set.of(StandardOpenOption.READ), resources)
					.block(TIMEOUT);
			try {
				// one chunk at a time, slowly: the failed read (page 5) completes while pages 2-4 wait for demand
				StepVerifier.Step<ByteBuffer> step = StepVerifier.create(mem.readChunks(mapped, 8L * page, page), 0);
				for (int i = 0; i < 5; i++) {
					byte[] expected = java.util.Arrays.copyOfRange(content, i * page, (i + 1) * page);
					step = step.thenAwait(Duration.ofMillis(20)).thenRequest(1)
							.assertNext(chunk -> org.junit.jupiter.api.Assertions.assertArrayEquals(expected, TestFiles.toBytes(chunk)));
				}
				step.expectErrorSatisfies(e -> {
					AioIOException error = assertInstanceOf(AioIOException.class, e, e.toString());
					assertEquals(Errno.EIO, error.errno(), error.getMessage());
					assertEquals(mapped + 5L * page, error.position(), "the first byte not delivered");
				}).verify(TIMEOUT);
			}
			finally {
				mem.close().block(TIMEOUT);
			}
		}
		finally {
			resources.disposeLater().block(TIMEOUT);
			Native.munmap(mapped, 8L * page);
		}
	}

	@Test
	void kernelAioDirectReadsOnOverlayfs() throws Exception {
		assumeTrue(isRoot(), "mounting an overlay needs root (CI runs as root)");
		assumeTrue(Aio.isAvailable(AioBackend.LIBAIO), () -> "kernel AIO: " + Aio.unavailabilityCause(AioBackend.LIBAIO));
		// a container's own file system: overlayfs refuses RWF_NOWAIT at io_submit with EOPNOTSUPP
		Path lower = Files.createDirectory(dir.resolve("lower"));
		Path upper = Files.createDirectory(dir.resolve("upper"));
		Path work = Files.createDirectory(dir.resolve("work"));
		Path merged = Files.createDirectory(dir.resolve("merged"));
		byte[] content = TestFiles.randomBytes(new java.util.Random(11), 1 << 20);
		Files.write(lower.resolve("data.bin"), content);
		run("mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work,
				merged.toString());
		AioResources resources = AioResources.builder("overlay").backend(AioBackend.LIBAIO).build();
		try {
			AsyncFile f = AsyncFile.open(merged.resolve("data.bin"), Set.of(StandardOpenOption.READ, AioOpenOption.DIRECT),
					resources).block(TIMEOUT);
			try {
				List<Integer> positions = new ArrayList<>();
				for (int i = 0; i < 64; i++) {
					positions.add(4096 * ((i * 37) % 255));
				}
				Flux.fromIterable(positions).flatMap(position -> {
					ByteBuffer buffer = TestFiles.alignedDirect(4096);
					return f.read(buffer, position).doOnNext(n -> org.junit.jupiter.api.Assertions.assertArrayEquals(
							java.util.Arrays.copyOfRange(content, position, position + 4096), TestFiles.toBytes(buffer.flip())));
				}, 16).blockLast(TIMEOUT);
				byte[] streamed = AsyncFileContract.concat(f.readChunks(0, Long.MAX_VALUE, 65536).collectList().block(TIMEOUT));
				org.junit.jupiter.api.Assertions.assertArrayEquals(content, streamed);
			}
			finally {
				f.close().block(TIMEOUT);
			}
		}
		finally {
			resources.disposeLater().block(TIMEOUT);
			run("umount", merged.toString());
		}
	}

	@Test
	void emfileAtTheDescriptorLimitThenRecovery() throws Exception {
		assumeTrue(Native.loadFailure() == null, "needs Linux");
		AioResources resources = AioResources.builder("emfile").build();
		Path file = Files.write(dir.resolve("f.bin"), new byte[] {42});
		long[] limit = Native.getrlimit(7); // RLIMIT_NOFILE
		long open = TestFiles.openDescriptors().size();
		List<AsyncFile> files = new ArrayList<>();
		setNofile(open + 40, limit[1]);
		try {
			Throwable failure = null;
			for (int i = 0; i < 200 && failure == null; i++) {
				try {
					files.add(AsyncFile.open(file, Set.of(), resources).block(TIMEOUT));
				}
				catch (RuntimeException e) {
					failure = e.getCause() != null ? e.getCause() : e;
				}
			}
			assertTrue(failure instanceof FileSystemException && failure.getMessage().contains("Too many open files"),
					"expected EMFILE, got " + failure);
		}
		finally {
			for (AsyncFile f : files) {
				f.close().block(TIMEOUT);
			}
			setNofile(limit[0], limit[1]);
		}
		try {
			AsyncFile again = AsyncFile.open(file, Set.of(), resources).block(TIMEOUT);
			assertEquals(1, again.read(ByteBuffer.allocate(8), 0).block(TIMEOUT), "open works again under the limit");
			again.close().block(TIMEOUT);
		}
		finally {
			resources.disposeLater().block(TIMEOUT);
		}
	}

	/**
	 * A loop whose engine cannot be completed (its eventfd refused with EMFILE) gives back what it made:
	 * the kernel AIO context (fs.aio-nr) and the ring's descriptor.
	 */
	@ParameterizedTest
	@EnumSource(value = AioBackend.class, names = {"IO_URING", "LIBAIO"})
	void aLoopThatFailsToStartLeavesNothingBehind(AioBackend backend) throws Exception {
		assumeTrue(Aio.isAvailable(backend), () -> backend + ": " + Aio.unavailabilityCause(backend));
		Path aioNr = Path.of("/proc/sys/fs/aio-nr");
		long[] limit = Native.getrlimit(7); // RLIMIT_NOFILE
		// loading a class takes a descriptor (its jar): load what building a loop needs while there are some
		AioResources.builder("warm-up").backend(backend).rings(1).ringEntries(64).build().disposeLater().block(TIMEOUT);
		// io_uring: no descriptor for the ring, then one for the ring and none for the eventfd; kernel AIO: none
		for (int room = 0; room <= (backend == AioBackend.IO_URING ? 1 : 0); room++) {
			long contextsBefore = Long.parseLong(SysFiles.read(aioNr));
			java.util.Map<String, String> before = TestFiles.openDescriptors();
			setNofile(lowestFreeDescriptor(before) + room, limit[1]);
			Throwable failure = null;
			try {
				AioResources.builder("no-fds").backend(backend).rings(1).ringEntries(64).build().disposeLater()
						.block(TIMEOUT);
			}
			catch (RuntimeException e) {
				failure = e;
			}
			finally {
				setNofile(limit[0], limit[1]);
			}
			assertTrue(failure != null, "building a loop with no descriptor to spare must fail (room " + room + ")");
			assertEquals(contextsBefore, Long.parseLong(SysFiles.read(aioNr)), "kernel AIO context left behind");
			// by target, not by number: the listing's own number may go to what a failure leaves behind
			java.util.Map<String, String> leaked = TestFiles.descriptorsOpenedSince(before, target -> true,
					Duration.ofSeconds(2));
			assertTrue(leaked.isEmpty(), "descriptors left behind: " + leaked + " after " + failure);
		}
	}

	/** The number the next descriptor gets; RLIMIT_NOFILE bounds numbers, so a limit there leaves none to spare. */
	private static int lowestFreeDescriptor(java.util.Map<String, String> open) {
		int fd = 0;
		// the listing's own descriptor was the lowest free one while it was open
		while (open.containsKey(String.valueOf(fd)) && !open.get(String.valueOf(fd)).startsWith("/proc/")) {
			fd++;
		}
		return fd;
	}

	private static void setNofile(long soft, long hard) {
		long buf = Native.allocate(16);
		try {
			Native.putLong(buf, soft);
			Native.putLong(buf + 8, hard);
			long r = Native.syscall(Native.table().prlimit64, 0, 7, buf, 0, 0, 0);
			assertEquals(0, r, "prlimit(RLIMIT_NOFILE)");
		}
		finally {
			Native.free(buf);
		}
	}

	@Test
	void tenThousandOperationsThroughACompletionQueueOfFour() throws Exception {
		assumeTrue(Aio.isAvailable(AioBackend.IO_URING), () -> "io_uring: " + Aio.unavailabilityCause(AioBackend.IO_URING));
		AioResources resources = AioResources.builder("tiny-ring").backend(AioBackend.IO_URING).rings(1).ringEntries(2).build();
		Path file = TestFiles.randomFile(dir, "cq.bin", new java.util.Random(9), 1 << 20);
		try {
			AsyncFile f = AsyncFile.open(file, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE), resources)
					.block(TIMEOUT);
			long bytes = Flux.range(0, 10_000)
					.flatMap(i -> i % 4 == 0 ? f.write(ByteBuffer.allocate(512), (i * 997L) % (1 << 20))
							: f.read(ByteBuffer.allocateDirect(512), (i * 4093L) % ((1 << 20) - 512)), 10_000)
					.reduce(0L, Long::sum)
					.block(TIMEOUT);
			assertEquals(10_000L * 512, bytes);
			f.close().block(TIMEOUT);
			AioStats stats = resources.stats();
			assertEquals(2, stats.capacity(), "CQ of 4 entries less the eventfd read and the cancel reserve");
			assertEquals(2, stats.peakInFlight(), stats::toString);
			assertEquals(0, stats.failed(), stats::toString);
		}
		finally {
			resources.disposeLater().block(TIMEOUT);
		}
	}

	@Test
	void exhaustedAioMaxNrShrinksTheContextOrExplainsItself() throws Exception {
		assumeTrue(isRoot(), "changing fs.aio-max-nr needs root (CI runs as root)");
		assumeTrue(Aio.isAvailable(AioBackend.LIBAIO), () -> "kernel AIO: " + Aio.unavailabilityCause(AioBackend.LIBAIO));
		Path maxNr = Path.of("/proc/sys/fs/aio-max-nr");
		String original = SysFiles.read(maxNr);
		long used = Long.parseLong(SysFiles.read(Path.of("/proc/sys/fs/aio-nr")));
		try {
			// room for a small context only: io_setup(512) fails with EAGAIN and the loop retries smaller
			Files.writeString(maxNr, String.valueOf(used + 256));
			AioResources small = AioResources.builder("aio-small").backend(AioBackend.LIBAIO).rings(1).ringEntries(256).build();
			try {
				int capacity = small.stats().capacity();
				assertTrue(capacity >= 8 && capacity < 512, "context shrank to what fs.aio-max-nr allows: " + capacity);
				Path file = Files.write(dir.resolve("a.bin"), new byte[] {7});
				assertEquals((byte) 7, AioFiles.read(file, 16, small).blockFirst(TIMEOUT).get(0));
			}
			finally {
				small.disposeLater().block(TIMEOUT);
			}
			Files.writeString(maxNr, String.valueOf(used));
			IllegalStateException e = assertThrows(IllegalStateException.class,
					() -> AioResources.builder("aio-none").backend(AioBackend.LIBAIO).build());
			assertTrue(e.getMessage().contains("fs.aio-max-nr"), e.getMessage());
		}
		finally {
			Files.writeString(maxNr, original);
		}
	}
}
