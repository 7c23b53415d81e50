package dev.reactoraio.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

import dev.reactoraio.bench.Contender.Kind;

/**
 * Collects the runs, and prints and writes them: a Markdown table per workload (medians over the rounds,
 * the spread, and ratios to the best fio and the best Java peer of the same workload in the same run), the
 * targets of issue 6 with their measured ratios, {@code results.json} and {@code results.csv}.
 */
final class Report {

	/** The runs of one contender in one workload. */
	record Row(String workload, String unit, String contender, Kind kind, List<Run> runs) {

		double rate(Run run) {
			return unit.equals("MB/s") ? run.megabytesPerSecond() : run.opsPerSecond();
		}

		double median() {
			return Report.median(runs, this::rate);
		}

		double min() {
			return runs.stream().mapToDouble(this::rate).min().orElse(Double.NaN);
		}

		double max() {
			return runs.stream().mapToDouble(this::rate).max().orElse(Double.NaN);
		}

		double cpuMicrosPerOp() {
			return Report.median(runs, Run::cpuMicrosPerOp);
		}

		double p50Micros() {
			return Report.median(runs, Run::p50Nanos) / 1e3;
		}

		double p99Micros() {
			return Report.median(runs, Run::p99Nanos) / 1e3;
		}
	}

	/**
	 * A target of issue 6: {@code measured} against {@code bound}, {@code atLeast} or at most;
	 * {@code fio} is the same ratio with fio in the library's place, where that tells what the machine allows.
	 */
	record Target(String name, double measured, double bound, boolean atLeast, double fio) {

		Target(String name, double measured, double bound, boolean atLeast) {
			this(name, measured, bound, atLeast, Double.NaN);
		}

		boolean met() {
			return atLeast ? measured >= bound : measured <= bound;
		}

		String verdict() {
			return Double.isNaN(measured) ? "not measured" : met() ? "met" : "MISSED";
		}
	}

	private final Map<String, Map<String, Row>> workloads = new LinkedHashMap<>();
	private final Map<String, String> titles = new LinkedHashMap<>();
	private final List<Map<String, Object>> memory = new ArrayList<>();
	private final List<String> notes = new ArrayList<>();
	private final Map<String, Object> machine;
	private final Map<String, Object> settings;
	private double wallSeconds;

	Report(Map<String, Object> machine, Map<String, Object> settings) {
		this.machine = machine;
		this.settings = settings;
	}

	void title(String workload, String title) {
		titles.put(workload, title);
	}

	void add(String workload, String unit, Contender contender, Run run) {
		workloads.computeIfAbsent(workload, w -> new LinkedHashMap<>())
				.computeIfAbsent(contender.name(), c -> new Row(workload, unit, c, contender.kind(), new ArrayList<>()))
				.runs().add(run);
	}

	void finished(double seconds) {
		wallSeconds = seconds;
	}

	void memory(List<Map<String, Object>> results) {
		memory.addAll(results);
	}

	void note(String note) {
		notes.add(note);
		System.out.println("note: " + note);
	}

	static double median(List<Run> runs, ToDoubleFunction<Run> value) {
		double[] values = runs.stream().mapToDouble(value).filter(v -> !Double.isNaN(v)).sorted().toArray();
		if (values.length == 0) {
			return Double.NaN;
		}
		int mid = values.length / 2;
		return values.length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
	}

	private double best(String workload, Kind kind) {
		return workloads.getOrDefault(workload, Map.of()).values().stream().filter(r -> r.kind() == kind)
				.mapToDouble(Row::median).max().orElse(Double.NaN);
	}

	private double median(String workload, String contender) {
		Row row = workloads.getOrDefault(workload, Map.of()).get(contender);
		return row == null ? Double.NaN : row.median();
	}

	private double cpu(String workload, String contender) {
		Row row = workloads.getOrDefault(workload, Map.of()).get(contender);
		return row == null ? Double.NaN : row.cpuMicrosPerOp();
	}

	List<Target> targets() {
		List<Target> targets = new ArrayList<>();
		String w1 = "W1 qd32";
		targets.add(new Target("W1 qd32: io_uring (flatMap) IOPS / FileChannel x32", median(w1, Bench.AIO_URING)
				/ median(w1, "FileChannel x32 threads"), 0.95, true,
				median(w1, "fio io_uring qd32") / median(w1, "FileChannel x32 threads")));
		targets.add(new Target("W1 qd128: io_uring (flatMap) IOPS / FileChannel x128", median("W1 qd128", Bench.AIO_URING)
				/ median("W1 qd128", "FileChannel x128 threads"), 1.0, true,
				median("W1 qd128", "fio io_uring qd128") / median("W1 qd128", "FileChannel x128 threads")));
		targets.add(new Target("W1 qd32: io_uring CPU/op / FileChannel x32 CPU/op", cpu(w1, Bench.AIO_URING)
				/ cpu(w1, "FileChannel x32 threads"), 0.4, false,
				cpu(w1, "fio io_uring qd32") / cpu(w1, "FileChannel x32 threads")));
		targets.add(new Target("W1 qd32: libaio IOPS / fio libaio", median(w1, Bench.AIO_LIBAIO)
				/ median(w1, "fio libaio qd32"), 0.95, true));
		String w2 = "W2 qd32";
		targets.add(new Target("W2 qd32: io_uring IOPS / AsynchronousFileChannel", median(w2, Bench.AIO_URING)
				/ median(w2, "AsynchronousFileChannel"), 2, true,
				median(w2, "fio io_uring qd32") / median(w2, "AsynchronousFileChannel")));
		targets.add(new Target("W2 qd32: io_uring IOPS / fio io_uring qd32", median(w2, Bench.AIO_URING)
				/ median(w2, "fio io_uring qd32"), 0.6, true));
		for (String variant : List.of(Bench.AIO_URING + " readChunks pooled", Bench.AIO_URING + " AioFiles.read")) {
			targets.add(new Target("W3: " + variant + " / best fio sequential read", median("W3", variant)
					/ best("W3", Kind.FIO), 0.9, true));
			targets.add(new Target("W3: " + variant + " / DataBufferUtils.read", median("W3", variant)
					/ median("W3", "DataBufferUtils.read"), 3, true,
					best("W3", Kind.FIO) / median("W3", "DataBufferUtils.read")));
		}
		targets.add(new Target("W3 (like for like): AioDataBufferUtils.read netty / DataBufferUtils.read netty",
				median("W3", Bench.AIO_URING + " AioDataBufferUtils.read netty")
						/ median("W3", "DataBufferUtils.read netty"),
				3, true));
		String readAll = Bench.AIO_URING + " readAllBytes";
		String peer = "Files.readAllBytes x64 threads";
		targets.add(new Target("W5: " + readAll + " files/s / " + peer, median("W5", readAll) / median("W5", peer), 1.5,
				true));
		targets.add(new Target("W5: " + readAll + " CPU/file / " + peer, cpu("W5", readAll) / cpu("W5", peer), 0.6,
				false));
		targets.add(new Target("W5: " + Bench.AIO_URING + " AioFiles.read files/s / " + peer,
				median("W5", Bench.AIO_URING + " AioFiles.read") / median("W5", peer), 1.0, true));
		targets.add(new Target("W4: io_uring write+force / best fio write", median("W4", Bench.AIO_URING)
				/ best("W4", Kind.FIO), 0.9, true));
		for (Map<String, Object> m : memory) {
			String contender = (String) m.get("contender");
			if (contender.startsWith("reactor-aio")) {
				targets.add(new Target("W6: " + contender + " peak native MiB (bound: readahead x chunk + 8 MiB)",
						Json.number(m, "peakNativeBytes") / (1 << 20), Json.number(m, "targetNativeBytes") / (1 << 20),
						false));
			}
		}
		return targets;
	}

	String markdown() {
		StringBuilder out = new StringBuilder();
		out.append("Machine: ").append(machine).append("\n\nSettings: ").append(settings);
		if (wallSeconds > 0) {
			out.append("; wall time ").append(Math.round(wallSeconds)).append(" s");
		}
		out.append('\n');
		for (Map.Entry<String, Map<String, Row>> workload : workloads.entrySet()) {
			String id = workload.getKey();
			String unit = workload.getValue().values().iterator().next().unit();
			double fio = best(id, Kind.FIO);
			double peer = best(id, Kind.JAVA_PEER);
			out.append("\n**").append(id).append("** ").append(titles.getOrDefault(id, "")).append("\n\n");
			out.append("| contender | ").append(unit)
					.append(" median | min–max | CPU µs/op | p50 µs | p99 µs | × best fio | × best Java peer |\n");
			out.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
			for (Row row : workload.getValue().values()) {
				double median = row.median();
				out.append("| ").append(row.contender()).append(" | ").append(number(median)).append(" | ")
						.append(number(row.min())).append("–").append(number(row.max())).append(" | ")
						.append(fixed(row.cpuMicrosPerOp(), 2)).append(" | ").append(fixed(row.p50Micros(), 1))
						.append(" | ").append(fixed(row.p99Micros(), 1)).append(" | ").append(fixed(median / fio, 2))
						.append(" | ").append(fixed(median / peer, 2)).append(" |\n");
			}
		}
		if (!memory.isEmpty()) {
			out.append("\n**W6** a subscriber requesting one 1 MiB chunk every 10 ms (readahead ")
					.append(SlowReader.READAHEAD).append("), own JVM with a fixed pre-touched heap\n\n");
			out.append("| contender | chunks | peak native MiB | 2nd-half peak native MiB | peak library buffers | "
					+ "RSS growth MiB (1st half / all) |\n|---|---:|---:|---:|---:|---:|\n");
			for (Map<String, Object> m : memory) {
				out.append("| ").append(m.get("contender")).append(" | ").append(number(Json.number(m, "chunks")))
						.append(" | ").append(mib(m, "peakNativeBytes")).append(" | ")
						.append(mib(m, "peakNativeBytesSecondHalf")).append(" | ")
						.append(number(Json.number(m, "peakOutstandingBuffers"))).append(" | ")
						.append(mib(m, "rssGrowthBytesFirstHalf")).append(" / ").append(mib(m, "rssGrowthBytes"))
						.append(" |\n");
			}
		}
		out.append("\n| target | measured | bound | verdict | fio, same ratio |\n|---|---:|---:|---|---:|\n");
		for (Target target : targets()) {
			out.append("| ").append(target.name()).append(" | ").append(fixed(target.measured(), 2)).append(" | ")
					.append(target.atLeast() ? "≥ " : "≤ ").append(fixed(target.bound(), 2)).append(" | ")
					.append(target.verdict()).append(" | ").append(fixed(target.fio(), 2)).append(" |\n");
		}
		for (String note : notes) {
			out.append("\nNote: ").append(note).append('\n');
		}
		return out.toString();
	}

	void write(Path dir) throws IOException {
		Files.createDirectories(dir);
		List<Object> rows = new ArrayList<>();
		StringBuilder csv = new StringBuilder("workload,contender,kind,unit,median,min,max,rounds,cpu_us_per_op,"
				+ "p50_us,p99_us,ratio_best_fio,ratio_best_java_peer\n");
		for (Map<String, Row> workload : workloads.values()) {
			for (Row row : workload.values()) {
				double fio = row.median() / best(row.workload(), Kind.FIO);
				double peer = row.median() / best(row.workload(), Kind.JAVA_PEER);
				Map<String, Object> json = new LinkedHashMap<>();
				json.put("workload", row.workload());
				json.put("contender", row.contender());
				json.put("kind", row.kind().name());
				json.put("unit", row.unit());
				json.put("median", row.median());
				json.put("min", row.min());
				json.put("max", row.max());
				json.put("rounds", row.runs().stream().map(row::rate).toList());
				json.put("cpuMicrosPerOp", row.cpuMicrosPerOp());
				json.put("p50Micros", row.p50Micros());
				json.put("p99Micros", row.p99Micros());
				json.put("ratioToBestFio", fio);
				json.put("ratioToBestJavaPeer", peer);
				rows.add(json);
				csv.append(String.join(",", Arrays.asList(row.workload(), row.contender(), row.kind().name(),
						row.unit(), fixed(row.median(), 1), fixed(row.min(), 1), fixed(row.max(), 1),
						Integer.toString(row.runs().size()), fixed(row.cpuMicrosPerOp(), 3), fixed(row.p50Micros(), 2),
						fixed(row.p99Micros(), 2), fixed(fio, 3), fixed(peer, 3)))).append('\n');
			}
		}
		List<Object> targets = new ArrayList<>();
		for (Target target : targets()) {
			Map<String, Object> json = new LinkedHashMap<>();
			json.put("target", target.name());
			json.put("measured", target.measured());
			json.put("bound", target.bound());
			json.put("verdict", target.verdict());
			json.put("fioSameRatio", target.fio());
			targets.add(json);
		}
		Map<String, Object> root = new LinkedHashMap<>();
		root.put("machine", machine);
		root.put("settings", settings);
		root.put("wallSeconds", wallSeconds);
		root.put("rows", rows);
		root.put("memory", memory);
		root.put("targets", targets);
		root.put("notes", notes);
		Files.writeString(dir.resolve("results.json"), Json.write(root) + "\n");
		Files.writeString(dir.resolve("results.csv"), csv.toString());
		Files.writeString(dir.resolve("results.md"), markdown());
	}

	private static String mib(Map<String, Object> m, String key) {
		return fixed(Json.number(m, key) / (1 << 20), 1);
	}

	static String number(double value) {
		if (Double.isNaN(value)) {
			return "–";
		}
		return value >= 100 ? String.format(Locale.ROOT, "%,.0f", value) : fixed(value, 1);
	}

	static String fixed(double value, int decimals) {
		return Double.isNaN(value) || Double.isInfinite(value) ? "–"
				: String.format(Locale.ROOT, "%." + decimals + "f", value);
	}
}
