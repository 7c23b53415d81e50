package dev.reactoraio.bench;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.WRITE;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import dev.reactoraio.AioBackend;
import dev.reactoraio.AioResources;
import dev.reactoraio.bench.Contender.Kind;
import dev.reactoraio.spring.AioDataBufferUtils;
import io.netty.buffer.PooledByteBufAllocator;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.core.io.buffer.NettyDataBufferFactory;

/**
 * The side-by-side harness of issue 6. For each workload it runs every contender on the same prepared
 * files, alternating contenders over several rounds (the starting contender rotates each round), and
 * prints Markdown tables and the targets, then writes {@code results.json}, {@code results.csv} and
 * {@code results.md}.
 *
 * <pre>
 * java -jar benchmarks/target/reactor-aio-benchmarks.jar [--quick] [--only W1,W3] [--contenders REGEX]
 *      [--rounds 5] [--seconds 1.5] [--file-mib 2048] [--small-files 10000] [--w6-seconds 60]
 *      [--upload-mib 200] [--dir bench-data] [--out bench-results] [--keep] [--no-fio]
 * java -jar benchmarks/target/reactor-aio-benchmarks.jar jmh [JMH options]
 * </pre>
 */
public final class Bench {

	static final String AIO_URING = "reactor-aio io_uring";
	static final String AIO_LIBAIO = "reactor-aio libaio";
	static final String AIO_NIO = "reactor-aio nio";
	/** The suffix of a hand-written lane: no Reactor operator between the operations, the library's floor. */
	static final String FLOOR = " floor (own subscriber)";
	/** Pooled direct buffers, as WebFlux on Reactor Netty allocates them. */
	static final DataBufferFactory NETTY = new NettyDataBufferFactory(PooledByteBufAllocator.DEFAULT);

	/** Command line settings. */
	record Options(boolean quick, Set<String> only, Pattern contenders, int rounds, Duration duration, Path dir,
			Path out, boolean keep, boolean noFio, long fileSize, int smallFiles, long memoryFileSize,
			Duration memoryLimit, List<Integer> depths, long uploadSize) {

		static Options parse(String... args) {
			List<String> list = Arrays.asList(args);
			boolean quick = list.contains("--quick");
			return new Options(quick,
					Set.of(value(list, "--only", "W1,W2,W3,W4,W5,W6,W7,W8").toUpperCase().split(",")),
					Pattern.compile(value(list, "--contenders", "")),
					Integer.parseInt(value(list, "--rounds", quick ? "1" : "5")),
					Duration.ofMillis(Math.round(1000 * Double.parseDouble(value(list, "--seconds",
							quick ? "0.3" : "1.5")))),
					Path.of(value(list, "--dir", "bench-data")), Path.of(value(list, "--out", "bench-results")),
					list.contains("--keep"), list.contains("--no-fio"),
					Long.parseLong(value(list, "--file-mib", quick ? "256" : "2048")) << 20,
					Integer.parseInt(value(list, "--small-files", quick ? "1000" : "10000")),
					4L << 30,
					Duration.ofSeconds(Long.parseLong(value(list, "--w6-seconds", quick ? "2" : "60"))),
					quick ? List.of(1, 32) : List.of(1, 32, 128),
					Long.parseLong(value(list, "--upload-mib", quick ? "50" : "200")) << 20);
		}

		private static String value(List<String> args, String name, String otherwise) {
			int at = args.indexOf(name);
			return at >= 0 && at + 1 < args.size() ? args.get(at + 1) : otherwise;
		}

		Map<String, Object> describe() {
			Map<String, Object> settings = new LinkedHashMap<>();
			settings.put("quick", quick);
			settings.put("rounds", rounds);
			settings.put("secondsPerRun", duration.toMillis() / 1e3);
			settings.put("fileBytes", fileSize);
			settings.put("smallFiles", smallFiles);
			settings.put("memoryFileBytes", memoryFileSize);
			settings.put("depths", depths);
			settings.put("uploadBytes", uploadSize);
			return settings;
		}
	}

	private final Options options;
	private final Report report;
	private final boolean fio;

	private Bench(Options options, Report report, boolean fio) {
		this.options = options;
		this.report = report;
		this.fio = fio;
	}

	public static void main(String[] args) throws Exception {
		if (args.length > 0 && args[0].equals("jmh")) {
			org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
			return;
		}
		if (args.length > 0 && args[0].equals("w6-child")) {
			SlowReader.child(args[1], Path.of(args[2]), Long.parseLong(args[3]));
			return;
		}
		run(Options.parse(args));
		System.exit(0);
	}

	/** Runs the selected workloads, prints the tables and writes the result files. */
	static Report run(Options options) throws Exception {
		long start = System.nanoTime();
		String fioVersion = options.noFio() ? null : Fio.ensureInstalled();
		Files.createDirectories(options.dir());
		Map<String, Object> machine = Machine.describe(options.dir(), fioVersion);
		System.out.println("machine: " + machine);
		System.out.println("settings: " + options.describe());
		Report report = new Report(machine, options.describe());
		if (fioVersion == null) {
			report.note("fio is " + (options.noFio() ? "disabled (--no-fio)" : "missing and could not be installed")
					+ ": no fio rows, no ratios to fio");
		}
		Bench bench = new Bench(options, report, fioVersion != null);
		try {
			bench.runAll();
		}
		finally {
			if (!options.keep()) {
				bench.deleteData();
			}
		}
		double wall = (System.nanoTime() - start) / 1e9;
		machine.put("loadAverageAtEnd", Machine.loadAverage());
		report.finished(wall);
		System.out.println(report.markdown());
		System.out.printf("wall time %.0f s; results in %s%n", wall, options.out().toAbsolutePath());
		report.write(options.out());
		return report;
	}

	private void runAll() throws Exception {
		Path data = options.dir().resolve("data");
		if (Stream.of("W1", "W2", "W3", "W7").anyMatch(options.only()::contains)) {
			Machine.prepare(data, options.fileSize());
			Machine.checkDirect(data);
		}
		if (options.only().contains("W1")) {
			for (int depth : options.depths()) {
				Machine.dropCaches();
				randomReads("W1 qd" + depth, "4 KiB random reads, O_DIRECT, queue depth " + depth, data, true, depth);
			}
		}
		if (options.only().contains("W2")) {
			Machine.warm(List.of(data));
			randomReads("W2 qd32", "4 KiB random reads, page-cached file, queue depth 32", data, false, 32);
		}
		if (options.only().contains("W3")) {
			Machine.warm(List.of(data));
			streamingRead(data);
		}
		if (options.only().contains("W4")) {
			streamingWrite(options.dir().resolve("written"));
		}
		if (options.only().contains("W5")) {
			smallFiles(options.dir().resolve("small"));
		}
		if (options.only().contains("W7")) {
			Machine.warm(List.of(data));
			rangeReads("W7 cached", "a columnar reader's shopping list (" + RangeReads.ROW_GROUPS + " row groups x "
					+ RangeReads.COLUMNS + " column chunks of 8 KiB-1 MiB, two in three wanted), page-cached", data, false);
			Machine.dropCaches();
			rangeReads("W7 O_DIRECT", "the same shopping lists, O_DIRECT", data, true);
		}
		if (options.only().contains("W6")) {
			Path sparse = options.dir().resolve("sparse-4g");
			Machine.sparse(sparse, options.memoryFileSize());
			System.out.println("W6: " + SlowReader.CONTENDERS.length + " paced readers in child JVMs, up to "
					+ options.memoryLimit().toSeconds() + " s");
			report.memory(SlowReader.runAll(sparse, options.memoryLimit()));
		}
		if (options.only().contains("W8")) {
			uploads(options.dir().resolve("uploads"));
		}
	}

	/** W8: one multipart upload per run, to a WebFlux endpoint on loopback; see {@link Uploads}. */
	private void uploads(Path dir) throws Exception {
		long size = options.uploadSize();
		Files.createDirectories(dir);
		Path body = Uploads.prepareBody(options.dir().resolve("multipart-body"), size);
		try (Uploads.Server server = new Uploads.Server(dir)) {
			List<Callable<Contender>> contenders = new ArrayList<>();
			for (String[] route : Uploads.routes()) {
				contenders.add(() -> Uploads.contender(route[0], Kind.valueOf(route[1]), server, route[2], body, size));
			}
			measure("W8", (size >> 20) + " MiB multipart upload (one file part) over loopback to a WebFlux endpoint",
					"MB/s", contenders, Uploads.cleanUp(server), true);
		}
	}

	private void randomReads(String workload, String title, Path data, boolean direct, int depth) throws Exception {
		List<Callable<Contender>> contenders = new ArrayList<>();
		contenders.add(() -> new RandomReads.Idiom(AIO_URING, AioBackend.IO_URING, data, direct, depth));
		contenders.add(() -> new RandomReads.Aio(AIO_URING + FLOOR, AioBackend.IO_URING, data, direct, depth));
		contenders.add(() -> new RandomReads.Ranges(AIO_URING + " readRanges x256", AioBackend.IO_URING, data, direct,
				depth, 256));
		if (direct) {
			contenders.add(() -> new RandomReads.Idiom(AIO_LIBAIO, AioBackend.LIBAIO, data, direct, depth));
		}
		contenders.add(() -> new RandomReads.Idiom(AIO_NIO, AioBackend.NIO, data, direct, depth));
		contenders.add(() -> new RandomReads.Threads("FileChannel x" + depth + " threads", data, direct, depth));
		contenders.add(() -> new RandomReads.Channel("AsynchronousFileChannel", data, direct, depth));
		String[] common = {"--filename=" + data, "--rw=randread", "--bs=4k", "--direct=" + (direct ? 1 : 0),
				"--invalidate=0", "--size=" + options.fileSize()};
		List<String> engines = direct ? List.of("io_uring", "libaio") : List.of("io_uring");
		for (String engine : engines) {
			contenders.add(() -> new Fio("fio " + engine + " qd" + depth, "read", d -> Fio.timeBased(d,
					concat(common, "--ioengine=" + engine, "--iodepth=" + depth))));
		}
		contenders.add(() -> new Fio("fio psync x" + depth, "read", d -> Fio.timeBased(d,
				concat(common, "--ioengine=psync", "--numjobs=" + depth, "--thread", "--group_reporting"))));
		if (!direct) {
			contenders.add(() -> new Fio("fio psync x1", "read", d -> Fio.timeBased(d,
					concat(common, "--ioengine=psync"))));
		}
		measure(workload, title, "IOPS", contenders, null, true);
	}

	/** W7: readRanges with 16 merged reads in flight, against per-range AsynchronousFileChannel and 16 threads. */
	private void rangeReads(String workload, String title, Path data, boolean direct) throws Exception {
		int window = 16;
		measure(workload, title, "MB/s", List.of(
				() -> new RangeReads.Aio(AIO_URING + " readRanges", AioBackend.IO_URING, data, direct, window),
				() -> new RangeReads.Aio(AIO_NIO + " readRanges", AioBackend.NIO, data, direct, window),
				() -> new RangeReads.Channel("AsynchronousFileChannel per range", data, direct),
				() -> new RangeReads.Threads("FileChannel x" + window + " threads", data, direct, window)),
				null, true);
	}

	private void streamingRead(Path data) throws Exception {
		measure("W3", "streaming read of a page-cached file in 1 MiB chunks", "MB/s", List.of(
				() -> Streams.readChunksPooled(AIO_URING + " readChunks pooled", AioBackend.IO_URING, data),
				() -> Streams.aioFilesRead(AIO_URING + " AioFiles.read", AioBackend.IO_URING, data),
				() -> Streams.readChunksPooled(AIO_NIO + " readChunks pooled", AioBackend.NIO, data),
				() -> Streams.dataBufferRead("DataBufferUtils.read", Kind.JAVA_PEER, Streams.springRead(),
						DefaultDataBufferFactory.sharedInstance, data, null),
				() -> Streams.dataBufferRead("DataBufferUtils.read netty", Kind.JAVA_PEER, Streams.springRead(),
						NETTY, data, null),
				() -> aioDataBuffers(AIO_URING + " AioDataBufferUtils.read", resources -> Streams.dataBufferRead(
						AIO_URING + " AioDataBufferUtils.read", Kind.LIBRARY, Streams.aioRead(resources),
						DefaultDataBufferFactory.sharedInstance, data, () -> resources.disposeLater().block())),
				() -> aioDataBuffers(AIO_URING + " AioDataBufferUtils.read netty", resources -> Streams.dataBufferRead(
						AIO_URING + " AioDataBufferUtils.read netty", Kind.LIBRARY, Streams.aioRead(resources),
						NETTY, data, () -> resources.disposeLater().block())),
				() -> Streams.fileChannelRead(data),
				() -> Streams.fioRead("psync", 1, data),
				() -> Streams.fioRead("io_uring", 4, data)), null, true);
	}

	/**
	 * W4 overwrites a prepared file in place: no unlink or truncate between runs, whose block freeing
	 * (and discards, on a file system mounted with {@code discard}) would land in the next run.
	 */
	private void streamingWrite(Path target) throws Exception {
		long size = options.fileSize();
		Machine.prepare(target, size);
		measure("W4", "streaming write in 1 MiB chunks over a file, then force (fsync)", "MB/s", List.of(
				() -> Streams.aioWrite(AIO_URING, AioBackend.IO_URING, target, size),
				() -> Streams.aioWrite(AIO_NIO, AioBackend.NIO, target, size),
				() -> Streams.fileChannelWrite(target, size),
				() -> Streams.dataBufferWrite("DataBufferUtils.write", Kind.JAVA_PEER,
						(buffers, path) -> DataBufferUtils.write(buffers, path, CREATE, WRITE), target, size, null),
				() -> aioDataBuffers(AIO_URING + " AioDataBufferUtils.write", resources -> Streams.dataBufferWrite(
						AIO_URING + " AioDataBufferUtils.write", Kind.LIBRARY,
						(buffers, path) -> AioDataBufferUtils.write(buffers, path, resources, CREATE, WRITE),
						target, size, () -> resources.disposeLater().block())),
				() -> Streams.fioWrite("psync", 1, target, size),
				() -> Streams.fioWrite("io_uring", 4, target, size)), Machine::sync, true);
		Files.deleteIfExists(target);
	}

	private void smallFiles(Path dir) throws Exception {
		int count = options.smallFiles();
		Files.createDirectories(dir);
		List<Path> files = IntStream.range(0, count).mapToObj(i -> SmallFiles.file(dir, i)).toList();
		for (Path file : files) {
			Machine.prepare(file, SmallFiles.FILE_SIZE);
		}
		Machine.warm(files);
		int depth = 64;
		measure("W5", count + " files of 16 KiB, each opened, read and closed, 64 in flight, page-cached", "files/s",
				List.of(() -> SmallFiles.readAllBytes(AIO_URING + " readAllBytes", AioBackend.IO_URING, dir, count, depth),
						() -> SmallFiles.readAllBytesFloor(AIO_URING + " readAllBytes" + FLOOR, AioBackend.IO_URING, dir,
								count, depth),
						() -> SmallFiles.aio(AIO_URING + " AioFiles.read", AioBackend.IO_URING, dir, count, depth),
						() -> SmallFiles.readAllBytes(AIO_NIO + " readAllBytes", AioBackend.NIO, dir, count, depth),
						() -> SmallFiles.aio(AIO_NIO + " AioFiles.read", AioBackend.NIO, dir, count, depth),
						() -> SmallFiles.filesReadAllBytes(dir, count, depth),
						() -> SmallFiles.threads(dir, count, depth),
						() -> SmallFiles.channels(dir, count, depth),
						() -> SmallFiles.dataBuffers("DataBufferUtils.read", Kind.JAVA_PEER, Streams.springRead(), dir,
								count, depth, null),
						() -> aioDataBuffers(AIO_URING + " AioDataBufferUtils.read", resources -> SmallFiles.dataBuffers(
								AIO_URING + " AioDataBufferUtils.read", Kind.LIBRARY, Streams.aioRead(resources), dir,
								count, depth, () -> resources.disposeLater().block())),
						() -> SmallFiles.fio("io_uring", dir, count, depth)), null, true);
	}

	/**
	 * Runs a workload: every contender once to warm up (JIT; fio needs none), then {@code rounds} rounds in
	 * which each contender runs once, the first contender of a round rotating.
	 */
	private void measure(String workload, String title, String unit, List<Callable<Contender>> factories,
			Runnable beforeEach, boolean warmUp) throws Exception {
		System.out.println("\n== " + workload + ": " + title);
		report.title(workload, title);
		List<Contender> contenders = new ArrayList<>();
		for (Callable<Contender> factory : factories) {
			try {
				Contender contender = factory.call();
				if ((contender.kind() != Contender.Kind.FIO || fio)
						&& options.contenders().matcher(contender.name()).find()) {
					contenders.add(contender);
				}
				else {
					contender.close();
				}
			}
			catch (Exception | LinkageError e) {
				report.note(workload + ": a contender could not start: " + e);
			}
		}
		try {
			if (warmUp) {
				Duration warm = Duration.ofMillis(Math.max(200, options.duration().toMillis() / 2));
				for (Contender contender : contenders) {
					if (contender.kind() != Contender.Kind.FIO) {
						run(contender, warm, beforeEach);
					}
				}
			}
			for (int round = 0; round < options.rounds(); round++) {
				for (int i = 0; i < contenders.size(); i++) {
					Contender contender = contenders.get((i + round) % contenders.size());
					Run run = run(contender, options.duration(), beforeEach);
					if (run != null) {
						report.add(workload, unit, contender, run);
						System.out.printf("  round %d  %-42s %12s %s  cpu %.2f µs/op  p50 %s µs  p99 %s µs%n", round + 1,
								contender.name(), Report.number(unit.equals("MB/s") ? run.megabytesPerSecond()
										: run.opsPerSecond()), unit, run.cpuMicrosPerOp(),
								Report.fixed(run.p50Nanos() / 1e3, 1), Report.fixed(run.p99Nanos() / 1e3, 1));
					}
				}
			}
		}
		finally {
			for (Contender contender : contenders) {
				try {
					contender.close();
				}
				catch (Exception | LinkageError e) {
					report.note(workload + ": closing " + contender.name() + " failed: " + e);
				}
			}
		}
	}

	private Run run(Contender contender, Duration duration, Runnable beforeEach) {
		if (beforeEach != null) {
			beforeEach.run();
		}
		try {
			return contender.run(duration);
		}
		catch (Exception e) {
			report.note(contender.name() + " failed: " + e);
			e.printStackTrace(System.out);
			return null;
		}
	}

	/** A contender of reactor-aio's Spring drop-in, with io_uring resources of its own. */
	private static Contender aioDataBuffers(String name, Function<AioResources, Contender> contender) {
		return contender.apply(Streams.resources(name, AioBackend.IO_URING));
	}

	private static String[] concat(String[] common, String... more) {
		return Stream.concat(Arrays.stream(common), Arrays.stream(more)).toArray(String[]::new);
	}

	private void deleteData() throws java.io.IOException {
		if (!Files.exists(options.dir())) {
			return;
		}
		try (Stream<Path> paths = Files.walk(options.dir())) {
			for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
				Files.delete(path);
			}
		}
	}
}
