package dev.reactoraio.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * The results table of the matrix, {@code results.md} in the matrix folder: one row per scenario
 * that ran (kept as {@code results/<scenario>/row.tsv}), in the order of {@link Scenarios}, and the
 * wall time from the first scenario's start to the last one's end.
 */
final class ResultsTable {

	static final String FILE = "results.md";

	private ResultsTable() {
	}

	static synchronized void record(Outcome outcome) throws IOException {
		Instant end = Instant.now();
		String row = String.join("\t", outcome.scenario().name(), outcome.scenario().describe(), outcome.kernel(),
				outcome.backend(), String.valueOf(outcome.passed()), String.valueOf(outcome.failed()),
				String.valueOf(outcome.skipped()), String.valueOf(outcome.duration().toSeconds()),
				outcome.green() ? "" : outcome.verdict(), String.valueOf(end.minus(outcome.duration()).toEpochMilli()),
				String.valueOf(end.toEpochMilli()));
		Files.writeString(Matrix.get().results(outcome.scenario()).resolve("row.tsv"), row + "\n");
		Files.writeString(Matrix.get().dir.resolve(FILE), render());
	}

	/** The table of the rows recorded so far. */
	static String render() throws IOException {
		return render(Matrix.get().dir.resolve("results"));
	}

	private static String render(Path results) throws IOException {
		StringBuilder table = new StringBuilder()
				.append("| scenario | how | kernel | AUTO chose | passed | failed | skipped | duration |\n")
				.append("|---|---|---|---|---:|---:|---:|---:|\n");
		long first = Long.MAX_VALUE;
		long last = Long.MIN_VALUE;
		for (Scenario scenario : (Iterable<Scenario>) Scenarios.all()::iterator) {
			Path file = results.resolve(scenario.name()).resolve("row.tsv");
			if (!Files.exists(file)) {
				continue;
			}
			String[] f = Files.readString(file, StandardCharsets.UTF_8).strip().split("\t", -1);
			table.append("| ").append(String.join(" | ", List.of(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7] + " s")))
					.append(f[8].isEmpty() ? "" : " **" + f[8] + "**").append(" |\n");
			first = Math.min(first, Long.parseLong(f[9]));
			last = Math.max(last, Long.parseLong(f[10]));
		}
		if (first <= last) {
			table.append("\nWall time of the scenarios: ").append((last - first + 500) / 1000).append(" s\n");
		}
		return table.toString();
	}
}
