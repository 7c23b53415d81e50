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
 * @param properties system properties of the suite's JVM
 */
record Scenario(String name, Axis axis, String kernel, List<String> kernelArguments, String user, Integer memlockKib,
		String seccompProfile, Map<String, String> properties) {

	enum Axis { VM, CONTAINER }

	static final String EXPECT_BACKEND = "reactoraio.test.expectBackend";
	static final String EXPECT_CAUSE = "reactoraio.test.expectCause.";
	static final String EXPECT_SETUP_FLAGS = "reactoraio.test.expectSetupFlags";
	static final String REQUIRE_BACKENDS = "reactoraio.test.requireBackends";

	/** What the io_uring ladder settles on where every flag is accepted (6.1 and later). */
	static final String RICHEST_FLAGS = "CQSIZE|CLAMP|SUBMIT_ALL|COOP_TASKRUN|SINGLE_ISSUER|DEFER_TASKRUN";

	static Scenario vm(String name, String kernel) {
		return new Scenario(name, Axis.VM, kernel, List.of(), null, null, null, Map.of());
	}

	/**
	 * The suite in a container runs as {@code nobody}: as root, the contract's read-only file is sysfs,
	 * which a container mounts read-only (EROFS, not the EACCES the contract expects).
	 */
	static Scenario container(String name) {
		return new Scenario(name, Axis.CONTAINER, "host", List.of(), "nobody", null, null, Map.of());
	}

	Scenario kernelArgument(String argument) {
		List<String> arguments = new ArrayList<>(kernelArguments);
		arguments.add(argument);
		return new Scenario(name, axis, kernel, List.copyOf(arguments), user, memlockKib, seccompProfile, properties);
	}

	Scenario asUser(String user, int memlockKib) {
		return new Scenario(name, axis, kernel, kernelArguments, user, memlockKib, seccompProfile, properties);
	}

	Scenario seccomp(String profile) {
		return new Scenario(name, axis, kernel, kernelArguments, user, memlockKib, profile, properties);
	}

	Scenario with(String property, String value) {
		Map<String, String> all = new LinkedHashMap<>(properties);
		all.put(property, value);
		return new Scenario(name, axis, kernel, kernelArguments, user, memlockKib, seccompProfile,
				Collections.unmodifiableMap(all));
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
