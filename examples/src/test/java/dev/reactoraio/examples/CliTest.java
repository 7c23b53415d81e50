package dev.reactoraio.examples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line: help for every command, and the small commands doing their job. */
class CliTest {

	@TempDir
	Path dir;

	@Test
	void everyCommandHasHelp() {
		for (String command : List.of("demo", "probe", "copy", "checksum", "etl", "serve")) {
			StringWriter text = new StringWriter();
			CommandLine cli = Cli.commandLine().setOut(new PrintWriter(text));
			assertEquals(0, cli.execute(command, "--help"), command);
			assertTrue(text.toString().startsWith("Usage: reactor-aio-examples.jar " + command), text.toString());
		}
		StringWriter text = new StringWriter();
		assertEquals(0, Cli.commandLine().setOut(new PrintWriter(text)).execute());
		assertTrue(text.toString().contains("demo"));
	}

	@Test
	void badArgumentsAreUsageErrors() {
		CommandLine cli = Cli.commandLine().setErr(new PrintWriter(new StringWriter()));
		assertEquals(2, cli.execute("copy", "only-one-argument"));
		assertEquals(2, cli.execute("demo", "--csv-size", "lots"));
	}

	@Test
	void probeCopyChecksumAndEtlWork() throws IOException {
		assertTrue(run("probe").contains("reactor-aio diagnostics"));

		byte[] data = new byte[3_000_001];
		new Random(1).nextBytes(data);
		Path source = Files.write(dir.resolve("source.bin"), data);
		Path copy = dir.resolve("tree/copy.bin");
		Files.createDirectories(copy.getParent());
		run("copy", "--chunk", "64k", source.toString(), copy.toString());
		assertArrayEquals(data, Files.readAllBytes(copy));

		String checksums = run("checksum", "--verify", "-n", "2", dir.resolve("tree").toString());
		assertTrue(checksums.contains("copy.bin"), checksums);
		assertTrue(checksums.contains("1 files") && checksums.contains("all verified"), checksums);

		Path csv = dir.resolve("orders.csv");
		Path out = dir.resolve("orders-eur.csv");
		String etl = run("etl", "--generate", "2m", csv.toString(), out.toString());
		assertTrue(etl.contains("rows"), etl);
		assertTrue(Files.readString(out).startsWith("order_id,date,country,sku,quantity,total_eur\n"));
	}

	@Test
	void theDemoRunsOnASmallDataSet() throws IOException {
		String demo = run("demo", "--dir", dir.toString(), "--csv-size", "3m", "--files", "40", "--tree-size", "2m",
				"--upload-size", "100k", "-n", "4");
		assertTrue(demo.contains("reactor-aio demo: backend"), demo);
		assertTrue(demo.contains("outputs identical: yes"), demo);
		assertTrue(demo.contains("verified against java.util.zip.CRC32C: 40/40 files"), demo);
		assertTrue(demo.contains("GET 200") && demo.contains("PUT 100.0 KiB 201") && demo.contains("path escape 403"), demo);
		assertTrue(demo.contains("HTTPS GET of"), demo);
		try (var left = Files.list(dir)) {
			assertEquals(0, left.count(), "the data set was not deleted");
		}
	}

	/** Runs a command, expecting exit status 0, and returns what it printed. */
	private static String run(String... arguments) {
		PrintStream saved = System.out;
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
		try {
			assertEquals(0, Cli.commandLine().execute(arguments), String.join(" ", arguments));
		}
		finally {
			System.setOut(saved);
		}
		return bytes.toString(StandardCharsets.UTF_8);
	}
}
