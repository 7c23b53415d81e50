package dev.reactoraio;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The library under the JVM flags of JDK 24 and later (docs/guide.md, "Where it runs"), each case in a JVM
 * of its own ({@link JvmFlagsMain} on the test class path) run by a JDK 24+: this JVM's when it is one,
 * else {@code -Dreactoraio.test.jdk24=<JDK home>}, else the newest JDK 24+ found beside this one or in
 * the usual JDK folders. Skipped, with the reason, when there is none.
 * <ul>
 * <li>{@code --sun-misc-unsafe-memory-access=deny} (JEP 471): AUTO still chooses what it chooses here;
 * with {@code -Djffi.unsafe.disabled=false} on top, it falls back to NIO with a cause naming the property;</li>
 * <li>{@code --illegal-native-access=deny}: AUTO falls back to NIO, with a cause naming the flag to pass,
 * and the global resources work;</li>
 * <li>no flag at all: the only warnings are the JVM's native-access ones (none about sun.misc.Unsafe);
 * with {@code --enable-native-access=ALL-UNNAMED}, the flag the docs ask for, there are none;</li>
 * <li>{@code -Dreactoraio.backend=nio}: no native code is loaded at all (so no warning either).</li>
 * </ul>
 */
class JvmFlagsTest {

	static final String JDK_PROPERTY = "reactoraio.test.jdk24";
	private static final Pattern JAVA_VERSION = Pattern.compile("^JAVA_VERSION=\"(\\d+)", Pattern.MULTILINE);

	private static @Nullable Path java;
	private static String skipReason = "";

	@BeforeAll
	static void findJdk() throws IOException {
		Path home = jdk24();
		if (home == null) {
			skipReason = "no JDK 24 or later: this JVM is " + Runtime.version().feature() + ", -D" + JDK_PROPERTY
					+ " is not set and none was found beside it or in the usual JDK folders";
			return;
		}
		java = home.resolve("bin").resolve("java");
		System.out.println("JDK 24+ for the forked JVMs: " + home + " (" + release(home) + ")");
	}

	@Test
	void unsafeMemoryAccessDenied() throws Exception {
		Run run = run(List.of("--sun-misc-unsafe-memory-access=deny", "--enable-native-access=ALL-UNNAMED"));
		assertEquals(Aio.autoBackend().toString(), run.values.get("auto"), run.toString());
		assertEquals(Aio.autoBackend().toString(), run.values.get("global"), run.toString());
		assertEquals("true", run.values.get("works"), run.toString());
		assertEquals(List.of(), run.warnings, run.toString());
	}

	@Test
	void unsafeMemoryAccessDeniedToJffiNamesTheProperty() throws Exception {
		// jffi told to keep sun.misc.Unsafe, as it would be if another library had set it up first
		Run run = run(List.of("--sun-misc-unsafe-memory-access=deny", "--enable-native-access=ALL-UNNAMED",
				"-Djffi.unsafe.disabled=false"));
		assertEquals("NIO", run.values.get("auto"), run.toString());
		assertTrue(run.values.get("cause").contains("-Djffi.unsafe.disabled=true"), run.toString());
		assertEquals("true", run.values.get("works"), run.toString());
	}

	@Test
	void nativeAccessDenied() throws Exception {
		Run run = run(List.of("--illegal-native-access=deny"));
		assertEquals("NIO", run.values.get("auto"), run.toString());
		assertTrue(run.values.get("cause").contains("--enable-native-access=ALL-UNNAMED"), run.toString());
		assertEquals("NIO", run.values.get("global"), run.toString());
		assertEquals("true", run.values.get("works"), run.toString());
		assertEquals(List.of(), run.warnings, run.toString());
	}

	@Test
	void noFlagWarnsOnlyAboutNativeAccess() throws Exception {
		Run run = run(List.of());
		assertEquals(Aio.autoBackend().toString(), run.values.get("auto"), run.toString());
		assertEquals("true", run.values.get("works"), run.toString());
		assertTrue(run.warnings.stream().noneMatch(line -> line.contains("Unsafe")), run.toString());
		assertTrue(run.warnings.stream().anyMatch(line -> line.contains("--enable-native-access=ALL-UNNAMED")),
				run.toString());
		System.out.println("no flag: " + run.warnings.size() + " WARNING lines");
	}

	@Test
	void documentedFlagLeavesNoWarning() throws Exception {
		Run run = run(List.of("--enable-native-access=ALL-UNNAMED"));
		assertEquals(Aio.autoBackend().toString(), run.values.get("auto"), run.toString());
		assertEquals(Aio.autoBackend().toString(), run.values.get("global"), run.toString());
		assertEquals("true", run.values.get("works"), run.toString());
		assertEquals(List.of(), run.warnings, run.toString());
	}

	@Test
	void nioBackendLoadsNoNativeCode() throws Exception {
		Run run = run(List.of("-D" + AioProperties.BACKEND + "=nio"), "nio");
		assertEquals("NIO", run.values.get("global"), run.toString());
		assertEquals("true", run.values.get("works"), run.toString());
		// loading jffi's library (System.load) would have drawn JDK 24's native-access warning
		assertEquals(List.of(), run.warnings, run.toString());
	}

	/** What one forked JVM printed: its key=value lines, and its stderr lines starting with WARNING:. */
	static final class Run {
		final List<String> flags;
		final Map<String, String> values = new LinkedHashMap<>();
		final List<String> warnings;
		final String stdout;
		final String stderr;

		Run(List<String> flags, String stdout, String stderr) {
			this.flags = flags;
			this.stdout = stdout;
			this.stderr = stderr;
			for (String line : stdout.split("\n")) {
				int eq = line.indexOf('=');
				if (eq > 0 && line.substring(0, eq).matches("[a-z]+")) {
					values.put(line.substring(0, eq), line.substring(eq + 1));
				}
			}
			this.warnings = Arrays.stream(stderr.split("\n")).filter(line -> line.startsWith("WARNING:"))
					.collect(Collectors.toList());
		}

		@Override
		public String toString() {
			return "flags " + flags + "\n--- stdout\n" + stdout
					+ "--- stderr\n" + stderr;
		}
	}

	private static Run run(List<String> flags, String... args) throws Exception {
		assumeTrue(java != null, skipReason);
		Path out = Files.createTempFile("jvm-flags-", ".out");
		Path err = Files.createTempFile("jvm-flags-", ".err");
		try {
			List<String> command = new ArrayList<>();
			command.add(java.toString());
			command.addAll(flags);
			command.add("-cp");
			command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
			command.add(JvmFlagsMain.class.getName());
			command.addAll(Arrays.asList(args));
			ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
			for (String variable : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")) {
				builder.environment().remove(variable);
			}
			Process process = builder.start();
			if (!process.waitFor(2, TimeUnit.MINUTES)) {
				process.destroyForcibly();
				throw new AssertionError("timed out: " + command);
			}
			Run run = new Run(flags, Files.readString(out), Files.readString(err));
			assertEquals(0, process.exitValue(), run.toString());
			return run;
		}
		finally {
			Files.deleteIfExists(out);
			Files.deleteIfExists(err);
		}
	}

	/** This JVM's home if it is a JDK 24+, the one named by the property, or the newest found. */
	static @Nullable Path jdk24() throws IOException {
		Path current = Path.of(System.getProperty("java.home"));
		if (Runtime.version().feature() >= 24) {
			return current;
		}
		String configured = System.getProperty(JDK_PROPERTY);
		if (configured != null && !configured.isBlank()) {
			Path home = Path.of(configured);
			if (feature(home) < 24) {
				throw new IllegalStateException("-D" + JDK_PROPERTY + "=" + configured + " is not a JDK 24 or later");
			}
			return home;
		}
		List<Path> folders = new ArrayList<>();
		if (current.getParent() != null) {
			folders.add(current.getParent());
		}
		for (String folder : List.of("/usr/lib/jvm", "/usr/java", "/opt/java", "/opt")) {
			folders.add(Path.of(folder));
		}
		Path best = null;
		int bestFeature = 23;
		for (Path folder : folders) {
			if (!Files.isDirectory(folder)) {
				continue;
			}
			try (DirectoryStream<Path> homes = Files.newDirectoryStream(folder)) {
				for (Path home : homes) {
					int feature = feature(home);
					if (feature > bestFeature) {
						best = home;
						bestFeature = feature;
					}
				}
			}
		}
		return best;
	}

	/** The feature release of the JDK at {@code home} (its {@code release} file), 0 if it is none. */
	private static int feature(Path home) throws IOException {
		if (!Files.isExecutable(home.resolve("bin").resolve("java")) || !Files.isRegularFile(home.resolve("release"))) {
			return 0;
		}
		Matcher m = JAVA_VERSION.matcher(Files.readString(home.resolve("release"), StandardCharsets.UTF_8));
		return m.find() ? Integer.parseInt(m.group(1)) : 0;
	}

	private static String release(Path home) throws IOException {
		return "JDK " + feature(home);
	}
}
