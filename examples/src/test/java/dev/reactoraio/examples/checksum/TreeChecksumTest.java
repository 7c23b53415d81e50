package dev.reactoraio.examples.checksum;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;

import dev.reactoraio.AioResources;
import dev.reactoraio.examples.checksum.TreeChecksum.FileChecksum;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checksums of a generated tree: right (against java.util.zip.CRC32C) and within the in-flight budget. */
class TreeChecksumTest {

	private static final Duration TIMEOUT = Duration.ofSeconds(60);

	@TempDir
	Path dir;

	@Test
	void everyFileIsRightAndTheBudgetHolds() throws IOException {
		AioResources writer = AioResources.global();
		long written = TreeChecksum.generateTree(dir, 150, 6L << 20, 5, writer, n -> { }).block(TIMEOUT);
		Files.write(dir.resolve("empty.bin"), new byte[0]);
		List<Path> files = TreeChecksum.files(dir);
		assertEquals(151, files.size());
		assertEquals(written, files.stream().mapToLong(TreeChecksumTest::size).sum());
		List<FileChecksum> expected = files.stream().map(TreeChecksum::reference).toList();
		for (int budget : new int[] {1, 4, 16}) {
			// one loop: its peak is the overall peak (AioStats sums the peaks of the loops)
			AioResources loops = AioResources.builder("checksum-" + budget).rings(1).build();
			try {
				long[] progress = {0};
				List<FileChecksum> results = TreeChecksum.checksums(files, budget, 16 * 1024, loops,
						n -> progress[0] += n).collectSortedList(Comparator.comparing(FileChecksum::path)).block(TIMEOUT);
				assertEquals(expected, results, "budget " + budget);
				assertEquals(written, progress[0]);
				int peak = loops.stats().peakInFlight();
				assertTrue(peak <= budget, "budget " + budget + ", peak " + peak + " requests in flight");
				assertTrue(peak >= Math.min(budget, 2), "budget " + budget + " was never used: peak " + peak);
				// the default loops (two here), counted by the job itself
				TreeChecksum.InFlight gauge = new TreeChecksum.InFlight();
				assertEquals(expected, TreeChecksum.checksums(files, budget, 16 * 1024, AioResources.global(), n -> { },
						gauge).collectSortedList(Comparator.comparing(FileChecksum::path)).block(TIMEOUT));
				// (how much of the budget is used depends on timing: operations on small cached files end fast)
				assertTrue(gauge.peak() >= 1 && gauge.peak() <= budget,
						"budget " + budget + ", the job counted a peak of " + gauge.peak());
			}
			finally {
				loops.disposeLater().block(TIMEOUT);
			}
		}
		assertEquals(expected, TreeChecksum.checksumsWithSpring(files, 8, 16 * 1024, n -> { })
				.collectSortedList(Comparator.comparing(FileChecksum::path)).block(TIMEOUT));
	}

	private static long size(Path file) {
		try {
			return Files.size(file);
		}
		catch (IOException e) {
			throw new java.io.UncheckedIOException(e);
		}
	}
}
