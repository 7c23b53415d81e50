package dev.reactoraio.examples.etl;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.reactoraio.AioResources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ETL against a plain, line-by-line reference (String split, BigDecimal): every chunk size must
 * give the reference's bytes, lines cut anywhere by chunk boundaries included.
 */
class CsvEtlTest {

	private static final Duration TIMEOUT = Duration.ofSeconds(60);
	private static final Map<String, String> RATES = Map.of("EUR", "1", "USD", "0.92", "GBP", "1.17", "CHF", "1.05",
			"JPY", "0.0062", "SEK", "0.088");

	@TempDir
	Path dir;

	@Test
	void everyChunkSizeGivesTheReferenceOutput() throws IOException {
		String csv = OrderTransform.INPUT_HEADER + "\r\n"
				+ "1,2026-01-02T03:04:05Z,C100000,DE,SKU-10000,3,19.99,EUR\r\n"
				+ "2,2026-02-03T00:00:00Z,C100001,US,SKU-10001,0,5.00,USD\n"
				+ "3,2026-02-03T00:00:00Z,C100002,JP,SKU-10002,7,1234.56,JPY\n"
				+ "broken line without enough fields\n"
				+ "\n"
				+ "4,2026-12-31T23:59:59Z,C100003,GB,SKU-10003,9,999.99,GBP\n"
				+ "5,2026-12-31T23:59:59Z,C100003,XX,SKU-10003,1,1.00,XXX\n"
				+ "6,2026-07-07T07:07:07Z," + "C".repeat(5000) + ",SE,SKU-1,2,0.05,SEK\n"
				+ "7,2026-07-07T07:07:07Z,C1,CH,SKU-2,1,0.01,CHF";
		Path input = Files.writeString(dir.resolve("in.csv"), csv);
		String expected = reference(csv);
		for (int chunk : new int[] {1, 2, 7, 61, 1000, 4096, 1 << 20}) {
			Path output = dir.resolve("out-" + chunk + ".csv");
			CsvEtl.Result result = CsvEtl.run(input, output, chunk, AioResources.global(), n -> { }).block(TIMEOUT);
			assertEquals(expected, Files.readString(output), "chunk size " + chunk);
			assertEquals(8, result.rowsIn());
			assertEquals(5, result.rowsOut());
			assertEquals(2, result.rejected());
			Path spring = dir.resolve("spring-" + chunk + ".csv");
			CsvEtl.runWithSpring(input, spring, chunk, n -> { }).block(TIMEOUT);
			assertEquals(expected, Files.readString(spring), "Spring baseline, chunk size " + chunk);
		}
	}

	@Test
	void aGeneratedFileStreamsWithABoundedNumberOfChunks() throws IOException {
		AioResources resources = AioResources.builder("etl-test").readahead(4).build();
		try {
			Path input = dir.resolve("orders.csv");
			long size = CsvGenerator.generate(input, 24L << 20, 99, resources, n -> { }).block(TIMEOUT);
			assertTrue(size >= 24L << 20);
			assertEquals(size, Files.size(input));
			Path output = dir.resolve("orders-eur.csv");
			long[] progress = {0};
			CsvEtl.Result result = CsvEtl.run(input, output, 64 * 1024, resources, n -> progress[0] += n).block(TIMEOUT);
			assertEquals(size, result.bytesIn());
			assertEquals(size, progress[0]);
			assertEquals(Files.size(output), result.bytesOut());
			assertTrue(result.peakChunksHeld() <= resources.readahead() + CsvEtl.PREFETCH + 2,
					"held " + result.peakChunksHeld() + " chunks of 64 KiB for a " + size + " byte file");
			assertEquals(reference(Files.readString(input, StandardCharsets.US_ASCII)),
					Files.readString(output, StandardCharsets.US_ASCII));
			assertTrue(result.rejected() > 0 && result.rowsOut() < result.rowsIn());
		}
		finally {
			resources.disposeLater().block(TIMEOUT);
		}
	}

	/** The transform, one line and one String at a time. */
	private static String reference(String csv) {
		StringBuilder out = new StringBuilder(OrderTransform.OUTPUT_HEADER).append('\n');
		List<String> lines = csv.lines().toList();
		for (String line : lines.subList(1, lines.size())) {
			String[] f = line.split(",", -1);
			if (line.isEmpty() || f.length != 8 || !RATES.containsKey(f[7])) {
				continue;
			}
			int quantity = Integer.parseInt(f[5]);
			if (quantity == 0) {
				continue;
			}
			BigDecimal total = new BigDecimal(f[6]).multiply(BigDecimal.valueOf(quantity))
					.multiply(new BigDecimal(RATES.get(f[7]))).setScale(2, RoundingMode.HALF_UP);
			out.append(f[0]).append(',').append(f[1], 0, 10).append(',').append(f[3]).append(',').append(f[4])
					.append(',').append(f[5]).append(',').append(total.toPlainString()).append('\n');
		}
		return out.toString();
	}
}
