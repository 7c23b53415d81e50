package dev.reactoraio.examples.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.reactoraio.AioResources;
import dev.reactoraio.examples.checksum.TreeChecksum;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code checksum DIR}: CRC32C of every file under a tree, with a fixed budget of reads in flight. */
@Command(name = "checksum", mixinStandardHelpOptions = true,
		description = "Print the CRC32C of every file under DIR as each completes, with at most N reads in flight "
				+ "overall however many files there are.")
public final class ChecksumCommand implements Callable<Integer> {

	@Parameters(description = "the directory")
	Path dir;

	@Option(names = {"-n", "--in-flight"}, defaultValue = "32", description = "reads in flight at most (default: ${DEFAULT-VALUE})")
	int inFlight;

	@Option(names = "--block", defaultValue = "64k", converter = Units.SizeConverter.class,
			description = "bytes per read (default: ${DEFAULT-VALUE})")
	long block;

	@Option(names = "--verify", description = "check every result against java.util.zip.CRC32C over a blocking read")
	boolean verify;

	@Override
	public Integer call() throws IOException {
		List<Path> files = TreeChecksum.files(dir);
		AioResources resources = AioResources.builder("checksum").build();
		try {
			long start = System.nanoTime();
			long[] totals = new long[2];
			int[] mismatches = {0};
			TreeChecksum.InFlight gauge = new TreeChecksum.InFlight();
			TreeChecksum.checksums(files, inFlight, Math.toIntExact(block), resources, bytes -> { }, gauge)
					.doOnNext(result -> {
						totals[0]++;
						totals[1] += result.size();
						boolean ok = !verify || TreeChecksum.reference(result.path()).equals(result);
						if (!ok) {
							mismatches[0]++;
						}
						System.out.printf(Locale.ROOT, "%08x  %12d  %s%s%n", result.crc32c(), result.size(),
								dir.relativize(result.path()), ok ? "" : "  MISMATCH");
					})
					.blockLast();
			Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
			System.out.printf(Locale.ROOT, "%d files, %s in %s (%s), %s, peak %d requests in flight (limit %d)%s%n",
					totals[0], Units.bytes(totals[1]), Units.seconds(elapsed), Units.rate(totals[1], elapsed),
					resources.backend(), gauge.peak(), inFlight,
					verify ? ", " + (mismatches[0] == 0 ? "all verified" : mismatches[0] + " MISMATCHES") : "");
			return mismatches[0] == 0 ? 0 : 1;
		}
		finally {
			resources.disposeLater().block();
		}
	}
}
