package dev.reactoraio;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.reactoraio.internal.jnr.Native;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Backend choice against real kernel answers: forced backends here, and child JVMs whose system calls
 * a seccomp filter denies (EPERM as Docker >= 25 does, ENOSYS as gVisor does).
 */
@Timeout(120)
class BackendSelectionTest {

	private static final int EPERM = 1;
	private static final int ENOSYS = 38;

	@Test
	void autoTakesTheFirstAvailableBackendInOrder() {
		AioBackend expected = Aio.isAvailable(AioBackend.IO_URING) ? AioBackend.IO_URING
				: Aio.isAvailable(AioBackend.LIBAIO) ? AioBackend.LIBAIO : AioBackend.NIO;
		assertEquals(expected, Aio.autoBackend());
		assertTrue(Aio.isAvailable(AioBackend.AUTO));
		assertTrue(Aio.isAvailable(AioBackend.NIO));
		assertNull(Aio.unavailabilityCause(AioBackend.NIO));
	}

	@Test
	void forcedBackendsRunWhatTheyAsk() {
		for (AioBackend backend : new AioBackend[] {AioBackend.IO_URING, AioBackend.LIBAIO, AioBackend.NIO}) {
			if (!Aio.isAvailable(backend)) {
				UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
						() -> AioResources.builder("forced").backend(backend).build());
				assertEquals(Aio.unavailabilityCause(backend), e.getCause());
				continue;
			}
			AioResources resources = AioResources.builder("forced").backend(backend).build();
			try {
				assertEquals(backend, resources.backend());
			}
			finally {
				resources.disposeLater().block();
			}
		}
	}

	@Test
	void ringsLeaveOutDeferTaskrunUnlessAskedFor() {
		assumeTrue(Aio.isAvailable(AioBackend.IO_URING), "io_uring is not available here");
		int accepted = dev.reactoraio.internal.uring.UringProbe.get().acceptedFlags();
		String old = System.getProperty(AioProperties.DEFER_TASKRUN);
		try {
			for (boolean defer : new boolean[] {false, true}) {
				System.setProperty(AioProperties.DEFER_TASKRUN, String.valueOf(defer));
				AioResources resources = AioResources.builder("flags").backend(AioBackend.IO_URING).build();
				try {
					String ring = ((dev.reactoraio.internal.runtime.DefaultAioResources) resources).loops().get(0).describe();
					boolean expected = defer && (accepted & dev.reactoraio.internal.uring.Uring.IORING_SETUP_DEFER_TASKRUN) != 0;
					assertEquals(expected, ring.contains("DEFER_TASKRUN"), ring);
					assertEquals((accepted & dev.reactoraio.internal.uring.Uring.IORING_SETUP_SINGLE_ISSUER) != 0,
							ring.contains("SINGLE_ISSUER"), ring);
				}
				finally {
					resources.disposeLater().block();
				}
			}
		}
		finally {
			if (old == null) {
				System.clearProperty(AioProperties.DEFER_TASKRUN);
			}
			else {
				System.setProperty(AioProperties.DEFER_TASKRUN, old);
			}
		}
	}

	@Test
	void describeReportsTheProbe() {
		String report = Aio.describe();
		assertTrue(report.contains("AUTO chooses: " + Aio.autoBackend()), report);
		if (Aio.isAvailable(AioBackend.IO_URING)) {
			assertTrue(report.contains("IO_URING: available"), report);
			assertTrue(report.contains("READ") && report.contains("WRITE"), report);
		}
		if (Native.loadFailure() == null) {
			assertTrue(report.matches("(?s).*fs\\.aio-max-nr: \\d{2,}.*"), "sysctls are read whole: " + report);
		}
	}

	@Test
	void seccompEpermOnIoUringFallsBackToKernelAio() throws Exception {
		assumeSandboxable();
		Map<String, String> child = sandboxed(EPERM, 425, 426, 427);
		assertEquals("LIBAIO", child.get("auto"), child::toString);
		String cause = child.get("cause.IO_URING");
		assertTrue(cause.contains("EPERM") && cause.contains("seccomp"), cause);
		assertTrue(child.get("forced.IO_URING").startsWith("failed UnsupportedOperationException"), child::toString);
		assertTrue(child.get("forced.IO_URING").contains("EPERM"), child::toString);
		assertEquals("ok LIBAIO read=sandboxed", child.get("forced.LIBAIO"));
		assertEquals("ok NIO read=sandboxed", child.get("forced.NIO"));
	}

	@Test
	void seccompEnosysSaysIoUringIsAbsent() throws Exception {
		assumeSandboxable();
		Map<String, String> child = sandboxed(ENOSYS, 425, 426, 427);
		assertEquals("LIBAIO", child.get("auto"), child::toString);
		String cause = child.get("cause.IO_URING");
		assertTrue(cause.contains("ENOSYS") && cause.contains("absent"), cause);
	}

	@Test
	void seccompDenyingKernelAioToo() throws Exception {
		assumeSandboxable();
		Map<String, String> child = sandboxed(EPERM, 425, 426, 427, Native.table().ioSetup);
		assertEquals("NIO", child.get("auto"), child::toString);
		assertTrue(child.get("cause.LIBAIO").contains("io_setup: EPERM"), child::toString);
		assertTrue(child.get("forced.LIBAIO").startsWith("failed UnsupportedOperationException"), child::toString);
		assertEquals("ok NIO read=sandboxed", child.get("forced.NIO"));
	}

	private static void assumeSandboxable() {
		assumeTrue(Native.loadFailure() == null, "needs Linux and libc");
		assumeTrue(Aio.isAvailable(AioBackend.IO_URING) && Aio.isAvailable(AioBackend.LIBAIO),
				"the sandbox tests take away backends this machine has; here some are missing already");
	}

	private static Map<String, String> sandboxed(int errno, int... syscalls) throws Exception {
		List<String> command = new ArrayList<>();
		command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
		command.add("-cp");
		command.add(System.getProperty("java.class.path"));
		command.add(Sandbox.class.getName());
		command.add(String.valueOf(errno));
		for (int nr : syscalls) {
			command.add(String.valueOf(nr));
		}
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		Map<String, String> values = new HashMap<>();
		StringBuilder output = new StringBuilder();
		try (BufferedReader reader = new BufferedReader(
				new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
			String line;
			while ((line = reader.readLine()) != null) {
				output.append(line).append('\n');
				int eq = line.indexOf('=');
				if (eq > 0 && !line.startsWith("[")) {
					values.put(line.substring(0, eq), line.substring(eq + 1));
				}
			}
		}
		assertTrue(process.waitFor(60, TimeUnit.SECONDS), "sandboxed JVM did not finish");
		assertEquals(0, process.exitValue(), output::toString);
		return values;
	}
}
