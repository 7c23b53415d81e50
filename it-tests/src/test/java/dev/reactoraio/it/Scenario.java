package dev.reactoraio.it;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One run of the conformance suite: where it runs (a Debian kernel booted in a VM, or the host's
 * kernel in a container under a seccomp profile) and what it must show, as the system properties
 * reactor-aio's {@code EnvironmentExpectationTest} and {@code AsyncFileContract} read.
 *
 * @param name short identifier: folder and table row
 * @param axis VM or CONTAINER
 * @param kernel the kernel series of a VM ({@code 5.10}); {@code host} in a container
 * @param kernelArguments extra kernel command line of a VM
 * @param user the user the suite runs as, or {@code null} for root
 * @param memlockKib the suite's RLIMIT_MEMLOCK in KiB, or {@code null} to leave it
 * @param seccompProfile a profile under {@code /seccomp/} in the test resources, or {@code null} for the
 *        engine's default
 * @param classes the test classes the suite runs
 * @param vm what {@code run-vm.sh} adds to a VM ({@code vm.env}): a failing disk, a hard stop
 * @param properties system properties of the suite's JVM
 */
record Scenario(String name, Axis axis, String kernel, List<String> kernelArguments, String user, Integer memlockKib,
		String seccompProfile, List<String> classes, Map<String, String> vm, Map<String, String> properties) {

	enum Axis { VM, CONTAINER }

	static final String EXPECT_BACKEND = "reactoraio.test.expectBackend";
	static final String EXPECT_CAUSE = "reactoraio.test.expectCause.";
	static final String EXPECT_SETUP_FLAGS = "reactoraio.test.expectSetupFlags";
	static final String REQUIRE_BACKENDS = "reactoraio.test.requireBackends";

	/** What the io_uring ladder settles on where every flag is accepted (6.1 and later). */
	static final String RICHEST_FLAGS = "CQSIZE|CLAMP|SUBMIT_ALL|COOP_TASKRUN|SINGLE_ISSUER|DEFER_TASKRUN";

	/**
	 * The conformance suite: what each scenario runs unless it names its own test classes. The lifecycle
	 * reproducers and the randomized lifecycle stress (victims and poisoning) run on every kernel, because
	 * what a stray request does after close depends on the kernel (how an SQE on a closed descriptor fails,
	 * when io-wq picks it up). So do reads spread over two loops racing close, and close under a load of
	 * reads that complete inside their submission: both name two loops (rings) themselves, since a VM
	 * has one vCPU and default resources would have one loop.
	 */
	static final List<String> CONFORMANCE_SUITE = List.of("dev.reactoraio.EnvironmentExpectationTest",
			"dev.reactoraio.IoUringAsyncFileTest", "dev.reactoraio.LibaioAsyncFileTest",
			"dev.reactoraio.NioAsyncFileTest", "dev.reactoraio.internal.uring.UringProbeTest",
			"dev.reactoraio.LifecycleContract$IoUringLifecycleTest", "dev.reactoraio.LifecycleContract$LibaioLifecycleTest",
			"dev.reactoraio.LifecycleContract$NioLifecycleTest",
			"dev.reactoraio.LifecycleStressContract$IoUringLifecycleStressTest",
			"dev.reactoraio.LifecycleStressContract$LibaioLifecycleStressTest",
			"dev.reactoraio.LifecycleStressContract$NioLifecycleStressTest", "dev.reactoraio.SpreadReadsTest",
			"dev.reactoraio.CloseUnderReadLoadTest");

	/** The device the failing disk is in the guest: the only virtio disk. */
	static final String FAULTY_DEVICE = "/dev/vda";
	static final String VM_FAULTY_RANGE = "VM_FAULTY_RANGE";
	static final String VM_HARD_STOP_SEED = "VM_HARD_STOP_SEED";

	static Scenario vm(String name, String kernel) {
		return new Scenario(name, Axis.VM, kernel, List.of(), null, null, null, CONFORMANCE_SUITE, Map.of(), Map.of());
	}

	/**
	 * The suite in a container runs as {@code nobody}: as root, the contract's read-only file is sysfs,
	 * which a container mounts read-only (EROFS, not the EACCES the contract expects).
	 */
	static Scenario container(String name) {
		return new Scenario(name, Axis.CONTAINER, "host", List.of(), "nobody", null, null, CONFORMANCE_SUITE, Map.of(),
				Map.of());
	}

	Scenario kernelArgument(String argument) {
		List<String> arguments = new ArrayList<>(kernelArguments);
		arguments.add(argument);
		return new Scenario(name, axis, kernel, List.copyOf(arguments), user, memlockKib, seccompProfile, classes, vm,
				properties);
	}

	Scenario asUser(String user, int memlockKib) {
		return new Scenario(name, axis, kernel, kernelArguments, user, memlockKib, seccompProfile, classes, vm, properties);
	}

	Scenario seccomp(String profile) {
		return new Scenario(name, axis, kernel, kernelArguments, user, memlockKib, profile, classes, vm, properties);
	}

	Scenario with(String property, String value) {
		return new Scenario(name, axis, kernel, kernelArguments, user, memlockKib, seccompProfile, classes, vm,
				plus(properties, property, value));
	}

	/** Runs {@code testClass} instead of the conformance suite, with {@code setting} for run-vm.sh. */
	private Scenario running(String testClass, String setting, String value) {
		return new Scenario(name, axis, kernel, kernelArguments, user, memlockKib, seccompProfile, List.of(testClass),
				plus(vm, setting, value), properties);
	}

	/**
	 * Reads of {@code length} bytes from {@code offset} of an extra virtio disk fail with EIO (QEMU's
	 * blkdebug); reactor-aio's {@code BlockDeviceFaultTest} reads it on every backend.
	 */
	Scenario failingReads(long offset, int length) {
		String range = offset + "+" + length;
		return running("dev.reactoraio.BlockDeviceFaultTest", VM_FAULTY_RANGE, range)
				.with("reactoraio.test.faultyDevice", FAULTY_DEVICE).with("reactoraio.test.faultyRange", range);
	}

	/**
	 * Two boots on one data disk: reactor-aio's {@code DurabilityTest} writes from {@code seed} and forces,
	 * QEMU is killed on its sentinel line, and the next boot checks every forced byte.
	 */
	Scenario hardStopAfterForce(long seed) {
		return running("dev.reactoraio.DurabilityTest", VM_HARD_STOP_SEED, String.valueOf(seed))
				.with("reactoraio.test.durable.dir", "/data/durable");
	}

	/** How many times the VM boots: twice for a hard stop. */
	int boots() {
		return vm.containsKey(VM_HARD_STOP_SEED) ? 2 : 1;
	}

	private static Map<String, String> plus(Map<String, String> map, String key, String value) {
		Map<String, String> all = new LinkedHashMap<>(map);
		all.put(key, value);
		return Collections.unmodifiableMap(all);
	}

	/** AUTO must choose {@code backend}, and the contract must run (not skip) on each of {@code required}. */
	Scenario expect(String backend, String required) {
		return with(EXPECT_BACKEND, backend).with(REQUIRE_BACKENDS, required);
	}

	/** The unavailability cause of {@code backend} must contain {@code text}. */
	Scenario cause(String backend, String text) {
		return with(EXPECT_CAUSE + backend, text);
	}

	Scenario setupFlags(String flags) {
		return with(EXPECT_SETUP_FLAGS, flags);
	}

	/** How the scenario runs, in a few words. */
	String describe() {
		List<String> how = new ArrayList<>(List.of(axis == Axis.VM ? "VM" : "container"));
		how.add(user == null ? "root" : user);
		if (memlockKib != null) {
			how.add("ulimit -l " + memlockKib);
		}
		how.addAll(kernelArguments);
		if (vm.containsKey(VM_FAULTY_RANGE)) {
			String[] range = vm.get(VM_FAULTY_RANGE).split("\\+");
			long start = Long.parseLong(range[0]);
			how.add("EIO from a virtio disk at bytes " + start + "–" + (start + Long.parseLong(range[1]) - 1)
					+ " (blkdebug)");
		}
		if (vm.containsKey(VM_HARD_STOP_SEED)) {
			how.add("SIGKILL after force, then a 2nd boot (seed " + vm.get(VM_HARD_STOP_SEED) + ")");
		}
		if (axis == Axis.CONTAINER) {
			how.add("seccomp: " + (seccompProfile == null ? "Docker's default" : seccompProfile.replace(".json", "")));
		}
		return String.join(", ", how);
	}

	@Override
	public String toString() {
		return name;
	}
}
