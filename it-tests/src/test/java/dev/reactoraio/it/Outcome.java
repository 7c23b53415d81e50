package dev.reactoraio.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Element;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * How a scenario ended: the exit status of its container, the counts of its JUnit report, and what
 * its console says (the kernel, the backend AUTO chose, the sentinel line of run-suite.sh).
 *
 * @param exitStatus the container's exit status (run-vm.sh: 0 passed, 1 failed, 2 no verdict, 124
 *        timeout; run-suite.sh: the launcher's), or {@code null} when the host killed it at its deadline
 * @param sentinel the suite's exit status as its sentinel line {@code @@SUITE exit=N} says, or {@code null}
 */
record Outcome(Scenario scenario, String kernel, String backend, Integer exitStatus, String sentinel, int tests,
		int failed, int skipped, Duration duration, Path console, boolean reported) {

	private static final Pattern AUTO = Pattern.compile("^AUTO chooses: (\\w+)", Pattern.MULTILINE);
	private static final Pattern SENTINEL = Pattern.compile("^@@SUITE exit=(\\d+)", Pattern.MULTILINE);
	private static final Pattern RUNNING_KERNEL =
			Pattern.compile("^@@SUITE user=\\S+ memlock=\\S+ kernel=(\\S+)", Pattern.MULTILINE);
	private static final int CONSOLE_TAIL_LINES = 80;

	static Outcome of(Scenario scenario, String kernelPackage, Integer exitStatus, Duration duration, Path console,
			Path report) throws Exception {
		String text = Files.readString(console, StandardCharsets.UTF_8);
		String kernel = kernelPackage.equals("host") ? find(RUNNING_KERNEL, text, "?") : kernelVersion(kernelPackage);
		int tests = 0;
		int failed = 0;
		int skipped = 0;
		if (report != null) {
			Element suite = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(report.toFile())
					.getDocumentElement();
			tests = Integer.parseInt(suite.getAttribute("tests"));
			failed = Integer.parseInt(suite.getAttribute("failures")) + Integer.parseInt(suite.getAttribute("errors"));
			skipped = Integer.parseInt(suite.getAttribute("skipped"));
		}
		return new Outcome(scenario, kernel, find(AUTO, text, "?"), exitStatus, find(SENTINEL, text, null), tests, failed,
				skipped, duration, console, report != null);
	}

	/** {@code linux-image-5.10.0-32-cloud-amd64 5.10.223-1} → {@code 5.10.223} */
	private static String kernelVersion(String kernelPackage) {
		String version = kernelPackage.substring(kernelPackage.indexOf(' ') + 1);
		return version.replaceFirst("-[^-]*$", "");
	}

	private static String find(Pattern pattern, String text, String otherwise) {
		Matcher m = pattern.matcher(text);
		return m.find() ? m.group(1) : otherwise;
	}

	int passed() {
		return tests - failed - skipped;
	}

	/** Passed by every account: exit status, sentinel line and report. */
	boolean green() {
		return exitStatus != null && exitStatus == 0 && "0".equals(sentinel) && reported && failed == 0 && tests > 0;
	}

	String verdict() {
		if (exitStatus == null) {
			return "killed by the host after " + duration.toSeconds() + " s (a hang)";
		}
		if (scenario.axis() == Scenario.Axis.VM) {
			switch (exitStatus) {
				case 0:
					return "passed";
				case 1:
					return "the suite failed";
				case 124:
					return "the VM hung: QEMU was killed at its timeout";
				default:
					return "no verdict from the VM (kernel panic or guest error), exit status " + exitStatus;
			}
		}
		return exitStatus == 0 ? "passed" : "the suite failed, exit status " + exitStatus;
	}

	String summary() {
		return verdict() + " in " + duration.toSeconds() + " s; AUTO chose " + backend + "; " + passed() + " passed, "
				+ failed + " failed, " + skipped + " skipped";
	}

	/** Fails with the verdict and the console's last lines unless the scenario passed. */
	void assertGreen() throws IOException {
		if (!green()) {
			List<String> lines = Files.readAllLines(console, StandardCharsets.UTF_8);
			List<String> tail = lines.subList(Math.max(0, lines.size() - CONSOLE_TAIL_LINES), lines.size());
			fail(scenario + ": " + summary() + (reported ? "" : "; no JUnit report")
					+ (sentinel != null ? "" : "; no sentinel line from the suite") + "\nconsole (" + console + "), last "
					+ tail.size() + " lines:\n" + String.join("\n", tail));
		}
	}
}
