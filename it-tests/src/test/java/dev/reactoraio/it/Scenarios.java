package dev.reactoraio.it;

import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Every scenario of the matrix, in the order of the results table. */
final class Scenarios {

	private static final String ALL_BACKENDS = "IO_URING,LIBAIO,NIO";
	private static final String FALLBACKS = "LIBAIO,NIO";

	/** Debian's 5.10 carries the io_uring of 5.15: no SUBMIT_ALL, COOP_TASKRUN, SINGLE_ISSUER or DEFER_TASKRUN. */
	private static final String FLAGS_5_10 = "CQSIZE|CLAMP";

	private static final String CHAINS = "reactoraio.test.expectWholeFileChains";
	/** Streams that read their head with the open: chains and IORING_OP_FIXED_FD_INSTALL (6.8). */
	private static final String HEADS = "reactoraio.test.expectHeadReads";

	static final List<Scenario> VMS = List.of(
			Scenario.vm("5.10-root", "5.10").expect("IO_URING", ALL_BACKENDS).setupFlags(FLAGS_5_10)
					.with(CHAINS, "no").with(HEADS, "no"),
			// rings are not charged to RLIMIT_MEMLOCK any more on this kernel; nothing may fail for lack of it
			Scenario.vm("5.10-nobody-memlock64k", "5.10").asUser("nobody", 64)
					.expect("IO_URING", ALL_BACKENDS).setupFlags(FLAGS_5_10).with(CHAINS, "no").with(HEADS, "no"),
			Scenario.vm("6.1-root", "6.1").expect("IO_URING", ALL_BACKENDS).setupFlags(Scenario.RICHEST_FLAGS)
					.with(CHAINS, "yes").with(HEADS, "no"),
			Scenario.vm("6.12-root", "6.12").expect("IO_URING", ALL_BACKENDS).setupFlags(Scenario.RICHEST_FLAGS)
					.with(CHAINS, "yes").with(HEADS, "yes"),
			Scenario.vm("7.2-root", "7.2").expect("IO_URING", ALL_BACKENDS).setupFlags(Scenario.RICHEST_FLAGS)
					.with(CHAINS, "yes").with(HEADS, "yes"),
			Scenario.vm("6.12-io_uring_disabled", "6.12").kernelArgument("sysctl.kernel.io_uring_disabled=2")
					.expect("LIBAIO", FALLBACKS).cause("IO_URING", "kernel.io_uring_disabled=2"));

	/** The first hard stop's seed: {@code -Dmatrix.hardStopSeed}, or a new one each run (the table shows it). */
	private static final long HARD_STOP_SEED = Long.getLong("matrix.hardStopSeed", new SplittableRandom().nextInt(1_000_000));

	/** Faults that need a VM: a disk whose reads fail, and a hard stop right after force, on three kernels. */
	static final List<Scenario> FAULTS = List.of(
			Scenario.vm("6.12-eio", "6.12").failingReads(1 << 20, 64 << 10).with(Scenario.REQUIRE_BACKENDS, ALL_BACKENDS),
			Scenario.vm("5.10-hard-stop", "5.10").hardStopAfterForce(HARD_STOP_SEED)
					.with(Scenario.REQUIRE_BACKENDS, ALL_BACKENDS),
			Scenario.vm("6.12-hard-stop", "6.12").hardStopAfterForce(HARD_STOP_SEED + 1)
					.with(Scenario.REQUIRE_BACKENDS, ALL_BACKENDS),
			Scenario.vm("7.2-hard-stop", "7.2").hardStopAfterForce(HARD_STOP_SEED + 2)
					.with(Scenario.REQUIRE_BACKENDS, ALL_BACKENDS));

	static final List<Scenario> CONTAINERS = List.of(
			// what Docker >= 25, containerd 2 and Podman do
			Scenario.container("seccomp-io_uring-eperm").seccomp("deny-io_uring-eperm.json")
					.expect("LIBAIO", FALLBACKS).cause("IO_URING", "blocked by a seccomp profile"),
			// what gVisor and kernels built without io_uring answer
			Scenario.container("seccomp-io_uring-enosys").seccomp("deny-io_uring-enosys.json")
					.expect("LIBAIO", FALLBACKS).cause("IO_URING", "io_uring is absent"),
			Scenario.container("seccomp-io_uring-io_setup-eperm").seccomp("deny-io_uring-and-aio-eperm.json")
					.expect("NIO", "NIO").cause("IO_URING", "blocked by a seccomp profile").cause("LIBAIO", "io_setup: EPERM"),
			// Docker 20.10's own profile still allows io_uring
			Scenario.container("default-seccomp").expect("IO_URING", ALL_BACKENDS).setupFlags(Scenario.RICHEST_FLAGS));

	private Scenarios() {
	}

	/** {@code -Dmatrix.only=5\.10-.*}: only the scenarios whose names match (all when empty). */
	private static final Pattern ONLY = Pattern.compile(System.getProperty("matrix.only", "").isBlank() ? ".*"
			: System.getProperty("matrix.only"));

	static Stream<Scenario> vms() {
		return selected(VMS);
	}

	static Stream<Scenario> faults() {
		return selected(FAULTS);
	}

	static Stream<Scenario> containers() {
		return selected(CONTAINERS);
	}

	private static Stream<Scenario> selected(List<Scenario> scenarios) {
		return scenarios.stream().filter(s -> ONLY.matcher(s.name()).matches());
	}

	static Stream<Scenario> all() {
		return Stream.of(VMS, FAULTS, CONTAINERS).flatMap(List::stream);
	}
}
