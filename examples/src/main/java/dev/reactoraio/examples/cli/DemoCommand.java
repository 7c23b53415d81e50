package dev.reactoraio.examples.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.reactoraio.AioResources;
import dev.reactoraio.examples.checksum.TreeChecksum;
import dev.reactoraio.examples.checksum.TreeChecksum.FileChecksum;
import dev.reactoraio.examples.etl.CsvEtl;
import dev.reactoraio.examples.etl.CsvGenerator;
import dev.reactoraio.examples.fileserver.FileClient;
import dev.reactoraio.examples.fileserver.FileServer;
import dev.reactoraio.examples.fileserver.FileServerProperties.Engine;
import dev.reactoraio.examples.fileserver.SelfSignedCertificate;
import io.netty.handler.codec.http.HttpHeaderNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import reactor.core.publisher.Mono;

/**
 * {@code demo}: generates a data set in a temporary directory, runs the three examples on it with
 * live progress, and runs the same jobs the JDK/Spring way ({@code AsynchronousFileChannel} through
 * {@code DataBufferUtils}, Spring's default resource writer) for comparison.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
		description = {"Run the three examples on a generated data set and the same jobs with "
				+ "AsynchronousFileChannel/DataBufferUtils, printing the backend, times and throughput.",
				"The examples:",
				"  1. reactive ETL of a CSV (bounded memory, lines split across chunks, fsync),",
				"  2. CRC32C of every file of a tree with a fixed budget of reads in flight,",
				"  3. the Spring Boot WebFlux file server over TLS on loopback (GET, Range, PUT, metrics).",
				"The data set is deleted afterwards unless --keep."})
public final class DemoCommand implements Callable<Integer> {

	/** Each job first runs once on this much data with both engines, so neither is timed with a cold JIT. */
	private static final long WARM_UP_BYTES = 32L << 20;

	private static final Pattern METER_VALUE = Pattern.compile("\"value\"\\s*:\\s*([0-9.Ee+-]+)");

	@Option(names = "--csv-size", defaultValue = "1g", converter = Units.SizeConverter.class,
			description = "size of the generated CSV (default: ${DEFAULT-VALUE})")
	long csvSize;

	@Option(names = "--files", defaultValue = "2000", description = "files in the generated tree (default: ${DEFAULT-VALUE})")
	int files;

	@Option(names = "--tree-size", defaultValue = "256m", converter = Units.SizeConverter.class,
			description = "bytes in the generated tree (default: ${DEFAULT-VALUE})")
	long treeSize;

	@Option(names = {"-n", "--in-flight"}, defaultValue = "32",
			description = "reads in flight for the checksums (default: ${DEFAULT-VALUE})")
	int inFlight;

	@Option(names = "--chunk", defaultValue = "1m", converter = Units.SizeConverter.class,
			description = "ETL chunk size (default: ${DEFAULT-VALUE})")
	long chunk;

	@Option(names = "--upload-size", defaultValue = "64m", converter = Units.SizeConverter.class,
			description = "size of the demo upload (default: ${DEFAULT-VALUE})")
	long uploadSize;

	@Option(names = "--dir", description = "where to create the data set's temporary directory (default: the system's)")
	Path parent;

	@Option(names = "--keep", description = "keep the data set")
	boolean keep;

	private final PrintStream out = System.out;
	private final List<String[]> summary = new ArrayList<>();

	@Override
	public Integer call() throws Exception {
		AioResources resources = AioResources.global();
		out.printf(Locale.ROOT, "reactor-aio demo: backend %s, Linux %s, %d CPUs, Java %s%n", resources.backend(),
				System.getProperty("os.version"), Runtime.getRuntime().availableProcessors(),
				System.getProperty("java.version"));
		Path data = parent != null ? Files.createTempDirectory(parent, "reactor-aio-demo")
				: Files.createTempDirectory("reactor-aio-demo");
		out.println("data set in " + data + (keep ? " (kept)" : " (deleted at the end)"));
		boolean ok;
		try {
			Path csv = data.resolve("orders.csv");
			Path tree = data.resolve("tree");
			try (Progress progress = new Progress(out, "  orders.csv      ", csvSize)) {
				CsvGenerator.generate(csv, csvSize, 42, resources, progress).block();
			}
			try (Progress progress = new Progress(out, "  tree/ " + files + " files", treeSize)) {
				TreeChecksum.generateTree(tree, files, treeSize, 7, resources, progress).block();
			}
			ok = etl(csv, data, resources) & checksums(tree) & serve(data, csv);
			printSummary();
		}
		finally {
			if (!keep) {
				delete(data);
			}
		}
		return ok ? 0 : 1;
	}

	private boolean etl(Path csv, Path data, AioResources resources) throws IOException {
		long size = Files.size(csv);
		out.println();
		out.printf(Locale.ROOT, "1/3 Reactive ETL: %s of CSV orders -> euros, %s chunks, fsync at the end%n",
				Units.bytes(size), Units.bytes(chunk));
		Path aioOut = data.resolve("orders-eur.csv");
		Path springOut = data.resolve("orders-eur-spring.csv");
		Path warmUp = data.resolve("warm-up.csv");
		CsvGenerator.generate(warmUp, Math.min(WARM_UP_BYTES, csvSize), 1, resources, n -> { }).block();
		CsvEtl.run(warmUp, aioOut, Math.toIntExact(chunk), resources, n -> { }).block();
		CsvEtl.runWithSpring(warmUp, springOut, Math.toIntExact(chunk), n -> { }).block();
		Files.delete(warmUp);
		CsvEtl.Result aio;
		try (Progress progress = new Progress(out, "  reactor-aio    ", size)) {
			aio = CsvEtl.run(csv, aioOut, Math.toIntExact(chunk), resources, progress).block();
			progress.suffix(etlSummary(aio, chunk));
		}
		CsvEtl.Result spring;
		try (Progress progress = new Progress(out, "  DataBufferUtils", size)) {
			spring = CsvEtl.runWithSpring(csv, springOut, Math.toIntExact(chunk), progress).block();
		}
		List<FileChecksum> outputs = TreeChecksum.checksums(List.of(aioOut, springOut), 2, 1 << 20, resources, n -> { })
				.collectSortedList(Comparator.comparing(FileChecksum::path)).block();
		boolean same = outputs.get(0).crc32c() == outputs.get(1).crc32c() && outputs.get(0).size() == outputs.get(1).size();
		out.printf(Locale.ROOT, "  outputs identical: %s (%s, CRC32C %08x)%n", same ? "yes" : "NO",
				Units.bytes(outputs.get(0).size()), outputs.get(0).crc32c());
		Files.delete(springOut);
		row("ETL " + Units.bytes(size) + " CSV (read, transform, write, fsync)", size, aio.elapsed(), spring.elapsed());
		return same;
	}

	/** The ETL result in one line: rows, and the most input chunks held at once. */
	static String etlSummary(CsvEtl.Result result, long chunk) {
		return String.format(Locale.ROOT, "rows %,d in, %,d out, %d malformed; peak %d chunks held (%s)",
				result.rowsIn(), result.rowsOut(), result.rejected(), result.peakChunksHeld(),
				Units.bytes(result.peakChunksHeld() * chunk));
	}

	private boolean checksums(Path tree) throws IOException {
		List<Path> paths = TreeChecksum.files(tree);
		long size = 0;
		for (Path path : paths) {
			size += Files.size(path);
		}
		out.println();
		out.printf(Locale.ROOT, "2/3 Backpressured bulk reads: CRC32C of %d files (%s), at most %d reads in flight%n",
				paths.size(), Units.bytes(size), inFlight);
		List<Path> warmUp = paths.subList(0, Math.min(paths.size(), 200));
		AioResources loops = AioResources.builder("checksum").build();
		TreeChecksum.checksums(warmUp, inFlight, 64 * 1024, AioResources.global(), n -> { }).blockLast();
		TreeChecksum.checksumsWithSpring(warmUp, inFlight, 64 * 1024, n -> { }).blockLast();
		List<FileChecksum> aio;
		Duration aioTime;
		try (Progress progress = new Progress(out, "  reactor-aio    ", size)) {
			TreeChecksum.InFlight gauge = new TreeChecksum.InFlight();
			aio = TreeChecksum.checksums(paths, inFlight, 64 * 1024, loops, progress, gauge).collectList().block();
			aioTime = progress.elapsed();
			progress.suffix(String.format(Locale.ROOT, "peak %d requests in flight", gauge.peak()));
		}
		finally {
			loops.disposeLater().block();
		}
		Duration springTime;
		try (Progress progress = new Progress(out, "  DataBufferUtils", size)) {
			TreeChecksum.checksumsWithSpring(paths, inFlight, 64 * 1024, progress).blockLast();
			springTime = progress.elapsed();
		}
		long verified = aio.parallelStream().filter(result -> TreeChecksum.reference(result.path()).equals(result)).count();
		out.printf(Locale.ROOT, "  verified against java.util.zip.CRC32C: %d/%d files%n", verified, paths.size());
		row("CRC32C of " + paths.size() + " files, <= " + inFlight + " reads in flight", size, aioTime, springTime);
		return verified == paths.size() && aio.size() == paths.size();
	}

	private boolean serve(Path root, Path csv) throws IOException {
		long size = Files.size(csv);
		out.println();
		out.printf(Locale.ROOT, "3/3 Spring Boot WebFlux file server over TLS on 127.0.0.1: GET /files/%s (%s)%n",
				csv.getFileName(), Units.bytes(size));
		SelfSignedCertificate certificate = SelfSignedCertificate.create(Files.createDirectory(root.resolve(".tls")));
		String uri = "/files/" + csv.getFileName();
		Duration aioTime;
		Duration springTime;
		boolean ok;
		try (FileServer aioServer = FileServer.start(root, 0, certificate, Engine.REACTOR_AIO, 1L << 30, true);
				FileServer springServer = FileServer.start(root, 0, certificate, Engine.SPRING, 1L << 30, true)) {
			FileClient client = new FileClient(aioServer);
			FileClient springClient = new FileClient(springServer);
			warmUp(client, uri);
			warmUp(springClient, uri);
			FileClient.Transfer get;
			try (Progress progress = new Progress(out, "  reactor-aio    ", size)) {
				get = client.download(uri, progress).block();
				aioTime = progress.elapsed();
			}
			FileClient.Transfer spring;
			try (Progress progress = new Progress(out, "  Spring default ", size)) {
				spring = springClient.download(uri, progress).block();
				springTime = progress.elapsed();
			}
			FileClient.Transfer range = client.http().headers(h -> h.set(HttpHeaderNames.RANGE, "bytes=0-99,-100"))
					.get().uri(uri)
					.responseSingle((response, body) -> body.asByteArray()
							.map(bytes -> new FileClient.Transfer(response.status().code(), bytes.length)))
					.block();
			FileClient.Transfer upload = client.upload("/files/uploads/upload.bin", uploadSize).block();
			FileClient.Transfer escape = client.download("/files/%2e%2e/%2e%2e/etc/passwd", n -> { }).block();
			out.printf(Locale.ROOT, "  reactor-aio server: GET %d (%s), Range of two parts %d (multipart, %d bytes), "
							+ "PUT %s %d, path escape %d, reactor.aio.completions = %s%n",
					get.status(), Units.bytes(get.bytes()), range.status(), range.bytes(), Units.bytes(upload.bytes()),
					upload.status(), escape.status(), meter(client, "reactor.aio.completions"));
			ok = get.status() == 200 && get.bytes() == size && spring.status() == 200 && spring.bytes() == size
					&& range.status() == 206 && upload.status() == 201 && escape.status() == 403;
		}
		row("HTTPS GET of " + Units.bytes(size) + " (Spring Boot, loopback)", size, aioTime, springTime);
		return ok;
	}

	/** Fetches the start of the file, so that TLS and the response path are compiled before timing. */
	private static void warmUp(FileClient client, String uri) {
		for (int i = 0; i < 2; i++) {
			client.http().headers(h -> h.set(HttpHeaderNames.RANGE, "bytes=0-" + (WARM_UP_BYTES * 2 - 1)))
					.get().uri(uri).responseContent().then().block();
		}
	}

	private static String meter(FileClient client, String name) {
		String json = client.http().get().uri("/actuator/metrics/" + name).responseContent().aggregate().asString()
				.onErrorResume(e -> Mono.just("")).block();
		Matcher value = METER_VALUE.matcher(json == null ? "" : json);
		return value.find() ? String.format(Locale.ROOT, "%.0f", Double.parseDouble(value.group(1))) : "n/a";
	}

	private void row(String job, long bytes, Duration aio, Duration baseline) {
		summary.add(new String[] {job, Units.seconds(aio) + "  " + Units.rate(bytes, aio),
				Units.seconds(baseline) + "  " + Units.rate(bytes, baseline),
				String.format(Locale.ROOT, "%.2fx", (double) baseline.toNanos() / Math.max(1, aio.toNanos()))});
	}

	private void printSummary() {
		out.println();
		String format = "%-58s %-20s %-20s %s%n";
		out.printf(Locale.ROOT, format, "same job, same data, same run", "reactor-aio", "JDK / Spring", "speed-up");
		for (String[] row : summary) {
			out.printf(Locale.ROOT, format, (Object[]) row);
		}
		out.println("(each job ran once on a smaller input with both engines before being timed; JDK / Spring: DataBufferUtils on AsynchronousFileChannel; Spring's default ResourceHttpMessageWriter, "
				+ "which under TLS sends files in blocking 1 KiB chunks)");
	}

	private static void delete(Path dir) {
		try (Stream<Path> walk = Files.walk(dir)) {
			walk.sorted(Comparator.reverseOrder()).forEach(path -> {
				try {
					Files.delete(path);
				}
				catch (IOException e) {
					throw new UncheckedIOException(e);
				}
			});
		}
		catch (IOException | UncheckedIOException e) {
			System.err.println("could not delete " + dir + ": " + e.getMessage());
		}
	}

}
