package dev.reactoraio.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * fio as a contender: runs {@code fio --output-format=json} and reads IOPS, bytes, latency percentiles
 * and the CPU time fio reports for its jobs ({@code usr_cpu + sys_cpu}, percentages of the summed job
 * runtimes).
 */
final class Fio extends Contender {

	private final String direction;
	private final Function<Duration, List<String>> arguments;

	/**
	 * @param name row name
	 * @param direction {@code read} or {@code write}: the section of fio's report to read
	 * @param arguments fio job options for a run of the given duration
	 */
	Fio(String name, String direction, Function<Duration, List<String>> arguments) {
		super(name, Kind.FIO);
		this.direction = direction;
		this.arguments = arguments;
	}

	/** Options of a time-based job: it loops over its file for {@code duration}. */
	static List<String> timeBased(Duration duration, String... options) {
		List<String> all = new ArrayList<>(List.of(options));
		all.add("--time_based");
		all.add("--runtime=" + Math.max(1, duration.toMillis()) + "ms");
		return all;
	}


	@Override
	Run run(Duration duration) throws IOException, InterruptedException {
		List<String> command = new ArrayList<>(List.of("fio", "--name=bench", "--output-format=json",
				"--lat_percentiles=1", "--randrepeat=0", "--norandommap"));
		command.addAll(arguments.apply(duration));
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		if (process.waitFor() != 0) {
			throw new IOException(String.join(" ", command) + " failed:\n" + output);
		}
		Map<String, Object> report = Json.parseObject(output);
		Object job = Json.at(report, "jobs", 0);
		Object io = Json.at(job, direction);
		double cpuPercent = Json.number(job, "usr_cpu") + Json.number(job, "sys_cpu");
		double jobMillis = Json.number(job, "job_runtime");
		return new Run((long) Json.number(io, "total_ios"), (long) Json.number(io, "io_bytes"),
				(long) (Json.number(io, "runtime") * 1e6), (long) (cpuPercent / 100 * jobMillis * 1e6),
				Json.number(io, "lat_ns", "percentile", "50.000000"),
				Json.number(io, "lat_ns", "percentile", "99.000000"));
	}

	/** Whether fio runs here; installs Debian's package when it is missing and we are root. */
	static String ensureInstalled() {
		if (version() != null) {
			return version();
		}
		System.out.println("fio not found: installing Debian's fio package");
		try {
			for (List<String> step : List.of(List.of("apt-get", "update", "-q"),
					List.of("apt-get", "install", "-y", "-q", "fio"))) {
				ProcessBuilder builder = new ProcessBuilder(step).inheritIO();
				builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
				builder.start().waitFor();
			}
		}
		catch (IOException e) {
			System.out.println("could not install fio: " + e.getMessage());
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
		return version();
	}

	private static String version() {
		try {
			Process process = new ProcessBuilder("fio", "--version").redirectErrorStream(true).start();
			String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
			return process.waitFor() == 0 ? out : null;
		}
		catch (IOException e) {
			return null;
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			return null;
		}
	}
}
