package dev.reactoraio.bench;

import static java.nio.file.StandardOpenOption.READ;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import dev.reactoraio.AioBackend;
import dev.reactoraio.AioFiles;
import dev.reactoraio.AioResources;
import dev.reactoraio.AsyncFile;
import dev.reactoraio.BufferProvider;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;

/**
 * W6: a subscriber that requests one 1 MiB chunk every 10 ms, in a JVM of its own (fixed, pre-touched
 * heap, so that RSS moves only with native memory). It samples the direct-buffer pool, the library's
 * outstanding buffers and RSS every 20 ms and prints one {@code W6 {json}} line.
 */
final class SlowReader {

	static final String[] CONTENDERS = {"reactor-aio io_uring AioFiles.read", "reactor-aio io_uring readChunks pooled",
			"reactor-aio nio readChunks pooled", "DataBufferUtils.read"};
	static final int READAHEAD = 4;
	static final int CHUNK = Streams.CHUNK;
	static final long REQUEST_EVERY_MILLIS = 10;

	private SlowReader() {
	}

	/** Starts one child JVM per contender, all at once (they are paced, not CPU-bound), and collects their lines. */
	static List<Map<String, Object>> runAll(Path file, Duration limit) throws Exception {
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		List<Process> children = new ArrayList<>();
		List<Path> logs = new ArrayList<>();
		for (String contender : CONTENDERS) {
			// -cp, not -jar: the jar manifest's Enable-Native-Access does not apply, the flag does (JDK 17 knows it)
			Path log = Files.createTempFile("w6-", ".log");
			logs.add(log);
			children.add(new ProcessBuilder(java, "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch",
					"--enable-native-access=ALL-UNNAMED", "-cp",
					System.getProperty("java.class.path"), Bench.class.getName(), "w6-child", contender, file.toString(),
					Long.toString(limit.toMillis())).redirectErrorStream(true).redirectOutput(log.toFile()).start());
		}
		List<Map<String, Object>> results = new ArrayList<>();
		for (int i = 0; i < children.size(); i++) {
			children.get(i).waitFor();
			results.add(parse(CONTENDERS[i], Files.readString(logs.get(i))));
			Files.delete(logs.get(i));
		}
		return results;
	}

	private static Map<String, Object> parse(String contender, String output) {
		for (String line : output.split("\n")) {
			if (line.startsWith("W6 ")) {
				return Json.parseObject(line.substring(3));
			}
		}
		throw new IllegalStateException("W6 child for " + contender + " printed no result:\n" + output);
	}

	/** The child: runs one contender and prints its line. */
	static void child(String contender, Path file, long limitMillis) throws Exception {
		AioBackend backend = contender.contains(" nio ") ? AioBackend.NIO : AioBackend.IO_URING;
		AioResources resources = AioResources.builder("w6").backend(backend).readahead(READAHEAD).build();
		BufferProvider<ByteBuffer> pool = BufferProvider.pooledDirectByteBuffers(16L * CHUNK);
		Sampler sampler = new Sampler(resources);
		Publisher<?> chunks;
		Consumer<Object> release;
		long size = Files.size(file);
		if (contender.endsWith("AioFiles.read")) {
			chunks = AioFiles.read(file, CHUNK, resources);
			release = b -> { };
		}
		else if (contender.endsWith("readChunks pooled")) {
			chunks = Flux.usingWhen(AsyncFile.open(file, Set.of(READ), resources),
					f -> f.readChunks(0, size, CHUNK, pool), AsyncFile::close);
			release = b -> pool.release((ByteBuffer) b);
		}
		else {
			chunks = DataBufferUtils.read(file, DefaultDataBufferFactory.sharedInstance, CHUNK);
			release = b -> DataBufferUtils.release((DataBuffer) b);
		}
		sampler.baseline();
		Paced paced = new Paced(release);
		long start = System.nanoTime();
		Flux.from(chunks).subscribe(paced);
		paced.done.await(limitMillis, TimeUnit.MILLISECONDS);
		paced.dispose();
		double seconds = (System.nanoTime() - start) / 1e9;
		sampler.stop();
		Map<String, Object> result = new LinkedHashMap<>(sampler.result());
		result.put("contender", contender);
		result.put("chunks", paced.chunks);
		result.put("seconds", seconds);
		result.put("completed", paced.done.getCount() == 0);
		result.put("readahead", READAHEAD);
		result.put("chunkBytes", CHUNK);
		result.put("targetNativeBytes", (long) READAHEAD * CHUNK + (8L << 20));
		System.out.println("W6 " + Json.write(result).replace('\n', ' '));
		resources.disposeLater().block();
		System.exit(0);
	}

	/** Requests one element, and the next one 10 ms after each arrives. */
	static final class Paced extends BaseSubscriber<Object> {
		private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
		private final Consumer<Object> release;
		final CountDownLatch done = new CountDownLatch(1);
		volatile long chunks;

		Paced(Consumer<Object> release) {
			this.release = release;
		}

		@Override
		protected void hookOnSubscribe(Subscription subscription) {
			request(1);
		}

		@Override
		protected void hookOnNext(Object chunk) {
			release.accept(chunk);
			chunks++;
			timer.schedule(() -> request(1), REQUEST_EVERY_MILLIS, TimeUnit.MILLISECONDS);
		}

		@Override
		protected void hookFinally(reactor.core.publisher.SignalType type) {
			done.countDown();
			timer.shutdown();
		}
	}

	/** Peaks of direct memory, the library's outstanding buffers and RSS, overall and over the second half. */
	static final class Sampler {
		private final AioResources resources;
		private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
		private final List<long[]> samples = new ArrayList<>();
		private long direct0;
		private long rss0;

		Sampler(AioResources resources) {
			this.resources = resources;
		}

		void baseline() {
			System.gc();
			direct0 = Meter.directBytes();
			rss0 = Meter.rssBytes();
			timer.scheduleAtFixedRate(this::sample, 0, 20, TimeUnit.MILLISECONDS);
		}

		private synchronized void sample() {
			samples.add(new long[] {Meter.directBytes() - direct0, resources.stats().outstandingBuffers(),
					Meter.rssBytes() - rss0});
		}

		void stop() throws InterruptedException {
			timer.shutdown();
			timer.awaitTermination(1, TimeUnit.SECONDS);
		}

		synchronized Map<String, Object> result() {
			Map<String, Object> result = new LinkedHashMap<>();
			int half = samples.size() / 2;
			result.put("samples", samples.size());
			result.put("peakNativeBytes", peak(0, 0));
			result.put("peakNativeBytesSecondHalf", peak(half, 0));
			result.put("peakOutstandingBuffers", peak(0, 1));
			result.put("rssGrowthBytes", peak(0, 2));
			result.put("rssGrowthBytesFirstHalf", peak(0, 2, half));
			return result;
		}

		private long peak(int from, int column) {
			return peak(from, column, samples.size());
		}

		private long peak(int from, int column, int to) {
			long max = 0;
			for (int i = from; i < to; i++) {
				max = Math.max(max, samples.get(i)[column]);
			}
			return max;
		}
	}
}
