package dev.reactoraio.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness end to end on tiny data (a second or two), and the parts whose numbers it reports. */
class BenchSmokeTest {

	@Test
	void runsTwoWorkloadsAndWritesTheirRows(@TempDir Path dir) throws Exception {
		Path out = dir.resolve("out");
		Report report = Bench.run(Bench.Options.parse("--only", "W2,W3", "--file-mib", "8", "--seconds", "0.1",
				"--rounds", "1", "--contenders", "^reactor-aio nio|^FileChannel", "--dir", dir.resolve("data").toString(),
				"--out", out.toString(), "--no-fio"));
		String csv = Files.readString(out.resolve("results.csv"));
		assertTrue(csv.contains("W2 qd32,reactor-aio nio,LIBRARY,IOPS,"), csv);
		assertTrue(csv.contains("W3,FileChannel loop,JAVA_PEER,MB/s,"), csv);
		assertTrue(report.markdown().contains("| W2 qd32: io_uring IOPS / fio io_uring qd32 | – | ≥ 0.60 | not measured |"));
		assertTrue(Files.notExists(dir.resolve("data")), "data deleted without --keep");
		Map<String, Object> json = Json.parseObject(Files.readString(out.resolve("results.json")));
		assertEquals(4, ((List<?>) json.get("rows")).size());
		assertTrue(Json.number(json, "rows", 0, "median") > 0);
	}

	/**
	 * Lanes of one run draw unrelated blocks, and so do two runs: seeds a multiple of SplittableRandom's
	 * gamma apart made lane k draw lane 0's blocks shifted by k draws.
	 */
	@Test
	void lanesAndRunsReadTheirOwnBlocks() {
		long blocks = 2L << 30 >> 12;
		int lanes = 32;
		int draws = 2_000;
		Set<Long> seen = new HashSet<>();
		int repeats = 0;
		for (long base : new long[] {RandomReads.runBase(), RandomReads.runBase()}) {
			for (int lane = 0; lane < lanes; lane++) {
				SplittableRandom random = RandomReads.laneRandom(base, lane);
				for (int i = 0; i < draws; i++) {
					if (!seen.add(random.nextLong(blocks))) {
						repeats++;
					}
				}
			}
		}
		// 128,000 uniform draws of 524,288 blocks repeat about 14,400 times (n - N(1 - e^(-n/N)))
		assertTrue(repeats > 12_000 && repeats < 17_000, "blocks drawn again: " + repeats);
	}

	@Test
	void percentilesAreWithinTheBucketPrecision() {
		Latency latency = new Latency();
		for (long v = 1; v <= 100_000; v++) {
			latency.record(v * 1000);
		}
		assertEquals(50_000_000, latency.percentile(0.50), 50_000_000 * 0.016);
		assertEquals(99_000_000, latency.percentile(0.99), 99_000_000 * 0.016);
	}

	@Test
	void readsFiosReport() {
		String report = "fio: warning\n{\"jobs\": [{\"read\": {\"total_ios\": 10, \"iops\": 1.5e3, "
				+ "\"lat_ns\": {\"percentile\": {\"50.000000\": 2048}}}, \"usr_cpu\": 1.0, \"x\": [true, null, \"a\\\"b\"]}]}";
		Map<String, Object> json = Json.parseObject(report);
		assertEquals(1500, Json.number(json, "jobs", 0, "read", "iops"));
		assertEquals(2048, Json.number(json, "jobs", 0, "read", "lat_ns", "percentile", "50.000000"));
		assertEquals("a\"b", Json.at(json, "jobs", 0, "x", 2));
	}
}
