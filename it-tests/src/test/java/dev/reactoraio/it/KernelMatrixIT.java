package dev.reactoraio.it;

import java.io.IOException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The conformance suite of reactor-aio on two axes (see {@link Scenarios}):
 * <ul>
 * <li>kernels: Debian's cloud kernels 5.10, 6.1, 6.12 and 7.2, each booted under QEMU (TCG) inside a
 * container, the suite on an ext4 NVMe disk (O_DIRECT needs a block device);</li>
 * <li>restricted containers on the host's kernel, whose seccomp profile takes io_uring away (EPERM as
 * Docker >= 25 does, ENOSYS as gVisor does), kernel AIO too, or nothing.</li>
 * </ul>
 * and faults that need a VM: a disk whose reads of one range fail with EIO, and a hard stop (SIGKILL to
 * QEMU) right after data was forced, then a second boot that checks it.
 * Each scenario must show the backend AUTO is expected to choose and why, and pass the suite; a kernel
 * panic, a hang or a failing test fails it with the console's tail. Each run adds a row to the
 * results table.
 */
class KernelMatrixIT {

	@ParameterizedTest(name = "{0}", allowZeroInvocations = true)
	@MethodSource("dev.reactoraio.it.Scenarios#vms")
	void onEachKernel(Scenario scenario) throws Exception {
		passes(scenario);
	}

	@ParameterizedTest(name = "{0}", allowZeroInvocations = true)
	@MethodSource("dev.reactoraio.it.Scenarios#faults")
	void withInjectedFaults(Scenario scenario) throws Exception {
		passes(scenario);
	}

	@ParameterizedTest(name = "{0}", allowZeroInvocations = true)
	@MethodSource("dev.reactoraio.it.Scenarios#containers")
	void inEachRestrictedContainer(Scenario scenario) throws Exception {
		passes(scenario);
	}

	@AfterAll
	static void printTheResultsTable() throws IOException {
		System.out.println("Kernel matrix results (" + Matrix.get().dir.resolve(ResultsTable.FILE) + "):\n"
				+ ResultsTable.render());
	}

	private static void passes(Scenario scenario) throws Exception {
		Outcome outcome = SuiteRun.run(scenario);
		ResultsTable.record(outcome);
		outcome.assertGreen();
	}
}
