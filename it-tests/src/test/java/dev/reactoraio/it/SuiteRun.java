package dev.reactoraio.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.OutputFrame;
import org.testcontainers.containers.startupcheck.StartupCheckStrategy;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * Runs one scenario in a container of the runner image (network mode {@code none}, never pulled) and
 * waits for it to end. A VM scenario's container boots the kernel under QEMU ({@code run-vm.sh});
 * a container scenario's runs the suite itself ({@code run-suite.sh}) under its seccomp profile.
 * The console goes to {@code results/<scenario>/console.log} as it comes, the JUnit report is copied
 * out when the container has stopped.
 */
final class SuiteRun {

	private static final Logger log = LoggerFactory.getLogger(SuiteRun.class);

	/** QEMU's own limit per boot inside the container (run-vm.sh kills it after this); the host waits a bit longer. */
	private static final Duration VM_TIMEOUT = Duration.ofSeconds(Long.getLong("matrix.vmTimeoutSeconds", 900));
	private static final Duration CONTAINER_TIMEOUT =
			Duration.ofSeconds(Long.getLong("matrix.containerTimeoutSeconds", 600));

	/** The console shows the library's messages as they are (they contain non-ASCII dashes). */
	private static final List<String> JVM_OPTIONS = List.of("-Dsun.stdout.encoding=UTF-8", "-Dsun.stderr.encoding=UTF-8");

	/**
	 * Under TCG emulation: C1 only and the serial collector cost least there, and a quarter of the
	 * contract's iterations keeps each operation far from its timeout when two VMs share the CPUs.
	 */
	private static final List<String> TCG_JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx512m",
			"-Dreactoraio.test.scale=0.25");

	private static final String REPORT = "TEST-junit-jupiter.xml";

	private SuiteRun() {
	}

	static Outcome run(Scenario scenario) throws Exception {
		Matrix matrix = Matrix.get();
		Path results = matrix.results(scenario);
		Path inputs = writeInputs(scenario, matrix, results.resolve("scenario"));
		Path console = results.resolve("console.log");
		try (GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(matrix.runnerImage()));
				Writer consoleWriter = Files.newBufferedWriter(console, StandardCharsets.UTF_8)) {
			container.withImagePullPolicy(image -> false)
					.withNetworkMode("none")
					.withStartupCheckStrategy(new AnyStateIsStarted());
			String report = scenario.axis() == Scenario.Axis.VM ? bootVm(container, scenario, matrix, inputs)
					: runSuite(container, scenario, matrix, inputs);
			CountDownLatch consoleEnded = new CountDownLatch(1);
			container.withLogConsumer(frame -> appendConsole(consoleWriter, frame, consoleEnded));

			log.info("{}: starting ({}, kernel {})", scenario, scenario.describe(), kernelName(scenario, matrix));
			Instant start = Instant.now();
			container.start();
			Duration timeout = scenario.axis() == Scenario.Axis.VM ? VM_TIMEOUT.multipliedBy(scenario.boots())
					: CONTAINER_TIMEOUT;
			Integer exitStatus = awaitExit(container, timeout.plusSeconds(60));
			Duration duration = Duration.between(start, Instant.now());
			consoleEnded.await(10, TimeUnit.SECONDS);
			consoleWriter.flush();
			Path copied = copyReport(container, report, results.resolve(REPORT));
			Outcome outcome = Outcome.of(scenario, kernelName(scenario, matrix), exitStatus, duration, console, copied);
			log.info("{}: {}", scenario, outcome.summary());
			return outcome;
		}
	}

	/** run-vm.sh boots the scenario's kernel under QEMU with the suite's initramfs; returns where the report lands. */
	private static String bootVm(GenericContainer<?> container, Scenario scenario, Matrix matrix, Path inputs) {
		List<String> command = new ArrayList<>(List.of("/vm/run-vm.sh", "/vm/vmlinuz", "/vm/initramfs.cpio",
				"/vm/scenario", "/out", String.valueOf(VM_TIMEOUT.toSeconds())));
		command.addAll(scenario.kernelArguments());
		container.withCopyFileToContainer(MountableFile.forHostPath(matrix.runVm(), 0755), "/vm/run-vm.sh")
				.withCopyFileToContainer(MountableFile.forHostPath(matrix.kernel(scenario.kernel())), "/vm/vmlinuz")
				.withCopyFileToContainer(MountableFile.forHostPath(matrix.initramfs()), "/vm/initramfs.cpio")
				.withCopyFileToContainer(MountableFile.forHostPath(inputs), "/vm/scenario")
				.withCommand(command.toArray(String[]::new));
		return "/out/reports/" + REPORT;
	}

	/**
	 * run-suite.sh runs the suite in the container, as the scenario's user, under its seccomp profile,
	 * its files on the container's own overlayfs (which refuses RWF_NOWAIT at io_submit: kernel AIO must
	 * cope); returns where the report lands.
	 */
	private static String runSuite(GenericContainer<?> container, Scenario scenario, Matrix matrix, Path inputs)
			throws IOException {
		container.withCopyFileToContainer(MountableFile.forHostPath(matrix.suite()), "/suite")
				.withCopyFileToContainer(MountableFile.forHostPath(inputs), "/scenario")
				.withCreateContainerCmdModifier(cmd -> cmd.withUser(scenario.user()))
				.withCommand("/suite/run-suite.sh", "/scenario", "/tmp/suite-work");
		if (scenario.seccompProfile() != null) {
			String profile = seccompProfile(scenario.seccompProfile());
			// the Engine API takes the profile's JSON itself, not a file name as the docker CLI does
			container.withCreateContainerCmdModifier(cmd -> Objects.requireNonNull(cmd.getHostConfig())
					.withSecurityOpts(List.of("seccomp=" + profile)));
		}
		return "/tmp/suite-work/reports/" + REPORT;
	}

	/**
	 * The suite's inputs: {@code scenario.env} for run-suite.sh, {@code jvm.args} for the JVM; for a VM,
	 * {@code vm.env} for run-vm.sh and the kernel modules its extra disks need ({@code modules/}).
	 */
	private static Path writeInputs(Scenario scenario, Matrix matrix, Path dir) throws IOException {
		Files.createDirectories(dir);
		// in a container, Docker sets the user; in a VM, run-suite.sh does
		String user = scenario.axis() == Scenario.Axis.VM ? orEmpty(scenario.user()) : "";
		Files.writeString(dir.resolve("scenario.env"), "SUITE_USER=" + user + "\n"
				+ "SUITE_MEMLOCK_KB=" + orEmpty(scenario.memlockKib()) + "\n"
				// single quotes: nested test classes' names hold a '$' the shell must not expand
				+ "SUITE_CLASSES='" + String.join(" ", scenario.classes()) + "'\n");
		if (scenario.axis() == Scenario.Axis.VM) {
			StringBuilder vm = new StringBuilder();
			scenario.vm().forEach((name, value) -> vm.append(name).append('=').append(value).append('\n'));
			Files.writeString(dir.resolve("vm.env"), vm);
		}
		if (scenario.vm().containsKey(Scenario.VM_FAULTY_RANGE)) {
			// the failing disk is a virtio disk, whose driver the Debian kernels build as a module
			Files.copy(matrix.virtioBlk(scenario.kernel()), Files.createDirectories(dir.resolve("modules"))
					.resolve("virtio_blk.ko"), StandardCopyOption.REPLACE_EXISTING);
		}
		List<String> options = new ArrayList<>(JVM_OPTIONS);
		if (scenario.axis() == Scenario.Axis.VM) {
			options.addAll(TCG_JVM_OPTIONS);
		}
		for (Map.Entry<String, String> p : scenario.properties().entrySet()) {
			options.add("\"-D" + p.getKey() + "=" + p.getValue() + "\"");
		}
		Files.write(dir.resolve("jvm.args"), options);
		return dir;
	}

	private static String orEmpty(Object value) {
		return value == null ? "" : value.toString();
	}

	private static String seccompProfile(String name) throws IOException {
		try (InputStream in = SuiteRun.class.getResourceAsStream("/seccomp/" + name)) {
			if (in == null) {
				throw new IllegalArgumentException("no seccomp profile " + name);
			}
			return new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
	}

	private static void appendConsole(Writer console, OutputFrame frame, CountDownLatch ended) {
		if (frame.getType() == OutputFrame.OutputType.END) {
			ended.countDown();
			return;
		}
		try {
			synchronized (console) {
				console.write(frame.getUtf8String());
			}
		}
		catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/** The container's exit status, or {@code null} when it was still running at the deadline (then killed). */
	private static Integer awaitExit(GenericContainer<?> container, Duration timeout) throws InterruptedException {
		DockerClient docker = container.getDockerClient();
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			InspectContainerResponse.ContainerState state = docker.inspectContainerCmd(container.getContainerId()).exec()
					.getState();
			if (!Boolean.TRUE.equals(state.getRunning())) {
				Long exitCode = state.getExitCodeLong();
				return exitCode == null ? -1 : exitCode.intValue();
			}
			Thread.sleep(1000);
		}
		docker.killContainerCmd(container.getContainerId()).exec();
		return null;
	}

	private static Path copyReport(GenericContainer<?> container, String from, Path to) {
		try {
			container.copyFileFromContainer(from, in -> Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING));
			return to;
		}
		catch (NotFoundException e) {
			return null; // the suite never wrote it: the console says why
		}
	}

	private static String kernelName(Scenario scenario, Matrix matrix) {
		return scenario.axis() == Scenario.Axis.VM ? matrix.kernelPackage(scenario.kernel()) : "host";
	}

	/** The container counts as started whatever state it is in: the exit status is read when it has stopped. */
	private static final class AnyStateIsStarted extends StartupCheckStrategy {
		@Override
		public StartupStatus checkStartupState(DockerClient dockerClient, String containerId) {
			return StartupStatus.SUCCESSFUL;
		}
	}
}
