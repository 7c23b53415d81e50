package dev.reactoraio.internal.uring;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.reactoraio.internal.core.Statx;
import dev.reactoraio.internal.jnr.Errno;
import dev.reactoraio.internal.jnr.Native;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The probe's answers checked against the running kernel: every opcode it calls supported really runs
 * in a ring, the flag set it accepted really creates a ring, the sets it rejected really fail with
 * EINVAL, and nothing is reported missing on a kernel at or above the version that introduced it.
 */
class UringProbeTest {

	private static UringProbe probe;

	@TempDir
	Path dir;

	@BeforeAll
	static void probe() {
		probe = UringProbe.get();
		assumeTrue(probe.isAvailable(), () -> "io_uring is not available here: " + probe.unavailabilityCause());
	}

	@Test
	void supportedOpcodesRunInARealRing() throws Exception {
		Path file = Files.write(dir.resolve("probe.bin"), new byte[8192]);
		ByteBuffer path = Native.cStringBuffer(file.toString());
		Ring ring = Ring.create(8, probe.ladder(true));
		try {
			long flags = 0x2 | 0x80000; // O_RDWR | O_CLOEXEC
			int fd = (int) run(ring, Uring.IORING_OP_OPENAT, Native.AT_FDCWD, 0, Native.address(path), 0, (int) flags);
			assertTrue(fd >= 0, "OPENAT: " + Errno.describe(-fd));
			ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
			assertEquals(4096, run(ring, Uring.IORING_OP_READ, fd, 0, Native.address(buffer), 4096, 0));
			assertEquals(4096, run(ring, Uring.IORING_OP_WRITE, fd, 4096, Native.address(buffer), 4096, 0));
			assertEquals(0, run(ring, Uring.IORING_OP_FSYNC, fd, 0, 0, 0, Uring.IORING_FSYNC_DATASYNC));
			ByteBuffer statx = Statx.newBuffer();
			ByteBuffer empty = ByteBuffer.allocateDirect(1);
			assertEquals(0, run(ring, Uring.IORING_OP_STATX, fd, Native.address(statx), Native.address(empty),
					Statx.MASK, Native.AT_EMPTY_PATH));
			assertEquals(8192, new Statx(statx).size);
			assertEquals(0, run(ring, Uring.IORING_OP_FALLOCATE, fd, 0, 16384, 0, 0));
			assertEquals(16384, Files.size(file));
			long truncate = run(ring, Uring.IORING_OP_FTRUNCATE, fd, 100, 0, 0, 0);
			if (probe.supports(Uring.IORING_OP_FTRUNCATE)) {
				assertEquals(0, truncate);
				assertEquals(100, Files.size(file));
			}
			else {
				assertEquals(-Errno.EINVAL, truncate, "an opcode the probe lacks is refused with EINVAL");
			}
			assertEquals(-Errno.ENOENT, run(ring, Uring.IORING_OP_ASYNC_CANCEL, -1, 0, 0x1234_5678L, 0, 0),
					"cancelling an unknown request");
			assertEquals(0, run(ring, Uring.IORING_OP_CLOSE, fd, 0, 0, 0, 0));
			assertEquals(0, run(ring, Uring.IORING_OP_UNLINKAT, Native.AT_FDCWD, 0, Native.address(path), 0, 0));
			assertFalse(Files.exists(file));
		}
		finally {
			ring.close();
		}
	}

	@Test
	void acceptedFlagsCreateARingAndRejectedOnesDoNot() throws Exception {
		Ring ring = Ring.create(4, new int[] {probe.acceptedFlags()});
		assertEquals(probe.acceptedFlags(), ring.flags);
		assertEquals(probe.features(), ring.features);
		assertEquals(2 * ring.sqEntries(), ring.cqEntries());
		ring.close();
		for (int i = 0; i < Uring.SETUP_LADDER.length && Uring.SETUP_LADDER[i] != probe.acceptedFlags(); i++) {
			int rejected = Uring.SETUP_LADDER[i];
			Ring.SetupException e = org.junit.jupiter.api.Assertions.assertThrows(Ring.SetupException.class,
					() -> Ring.create(4, new int[] {rejected}).close());
			assertEquals(Errno.EINVAL, e.errno, Uring.setupFlagNames(rejected));
		}
	}

	@Test
	void nothingIsMissingOnAKernelThatHasIt() {
		int[] version = kernelVersion(Native.kernelRelease());
		requireFrom(version, 5, 6, probe.supports(Uring.IORING_OP_READ) && probe.supports(Uring.IORING_OP_WRITE)
				&& probe.supports(Uring.IORING_OP_OPENAT) && probe.supports(Uring.IORING_OP_STATX)
				&& probe.supports(Uring.IORING_OP_CLOSE) && probe.supports(Uring.IORING_OP_FALLOCATE), "READ/WRITE/OPENAT/STATX");
		requireFrom(version, 5, 11, (probe.features() & Uring.IORING_FEAT_EXT_ARG) != 0, "IORING_FEAT_EXT_ARG");
		requireFrom(version, 5, 11, probe.supports(Uring.IORING_OP_UNLINKAT), "IORING_OP_UNLINKAT");
		requireFrom(version, 5, 15, probe.canLimitWorkers(), "IORING_REGISTER_IOWQ_MAX_WORKERS");
		requireFrom(version, 6, 0, (probe.acceptedFlags() & Uring.IORING_SETUP_SINGLE_ISSUER) != 0, "SINGLE_ISSUER");
		requireFrom(version, 6, 1, (probe.acceptedFlags() & Uring.IORING_SETUP_DEFER_TASKRUN) != 0, "DEFER_TASKRUN");
		requireFrom(version, 6, 9, probe.supports(Uring.IORING_OP_FTRUNCATE), "IORING_OP_FTRUNCATE");
		assertTrue((probe.features() & Uring.IORING_FEAT_NODROP) != 0);
		assertTrue(Uring.featureNames(probe.features()).startsWith("SINGLE_MMAP|NODROP|SUBMIT_STABLE"),
				Uring.featureNames(probe.features()));
		assertTrue(probe.lastOp() + 1 >= probe.supportedOpcodes().size());
	}

	private static void requireFrom(int[] version, int major, int minor, boolean present, String feature) {
		boolean atLeast = version[0] > major || (version[0] == major && version[1] >= minor);
		if (atLeast) {
			assertTrue(present, feature + " is missing although the kernel is " + version[0] + "." + version[1]
					+ " (introduced in " + major + "." + minor + ")");
		}
	}

	static int[] kernelVersion(String release) {
		Matcher m = Pattern.compile("^(\\d+)\\.(\\d+)").matcher(release);
		assertTrue(m.find(), release);
		return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
	}

	/** Submits one SQE and waits for its CQE. */
	private static long run(Ring ring, byte opcode, int fd, long off, long addr, int len, int opFlags) {
		assertTrue(ring.sq.enqueue(opcode, fd, off, addr, len, opFlags, 42L));
		int submitted = ring.enter(ring.sq.flush(), 1, Uring.IORING_ENTER_GETEVENTS);
		assertEquals(1, submitted, "io_uring_enter");
		long[] result = {Long.MIN_VALUE};
		for (int i = 0; i < 1000 && result[0] == Long.MIN_VALUE; i++) {
			ring.cq.drain((userData, res) -> {
				assertEquals(42L, userData);
				result[0] = res;
			});
			if (result[0] == Long.MIN_VALUE) {
				ring.enter(0, 1, Uring.IORING_ENTER_GETEVENTS);
			}
		}
		return result[0];
	}
}
