package dev.reactoraio.micrometer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.reactoraio.AioFiles;
import dev.reactoraio.AioResources;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The meters follow the loops' counters: one set per ring, values moving with real I/O. */
class AioMetricsTest {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	@TempDir
	Path dir;

	@Test
	void metersFollowTheRings() throws IOException {
		AioResources resources = AioResources.builder("metered").rings(2).build();
		try {
			SimpleMeterRegistry registry = new SimpleMeterRegistry();
			new AioMetrics(resources).bindTo(registry);
			assertTrue(AioMeters.isMicrometerAvailable());
			for (AioMeters meter : AioMeters.values()) {
				assertEquals(2, registry.find(meter.meterName()).meters().size(), meter.meterName());
			}
			Gauge capacity = registry.get(AioMeters.CAPACITY.meterName()).tag("ring", "0").gauge();
			assertEquals(resources.loopStats().get(0).capacity(), (long) capacity.value());

			Path file = Files.write(dir.resolve("data.bin"), new byte[1 << 20]);
			for (int i = 0; i < 4; i++) {
				AioFiles.read(file, 64 * 1024, resources).blockLast(TIMEOUT);
			}
			assertThrows(RuntimeException.class, () -> AioFiles.read(dir.resolve("missing"), 4096, resources)
					.blockLast(TIMEOUT), NoSuchFileException.class.getName());

			double completions = registry.find(AioMeters.COMPLETIONS.meterName()).functionCounters().stream()
					.mapToDouble(FunctionCounter::count).sum();
			assertTrue(completions >= resources.stats().completed() - 16 && completions >= 64,
					"completions " + completions + " vs " + resources.stats());
			FunctionTimer latency = registry.get(AioMeters.LATENCY.meterName()).tag("ring", "0").functionTimer();
			FunctionTimer latency1 = registry.get(AioMeters.LATENCY.meterName()).tag("ring", "1").functionTimer();
			assertTrue(latency.count() + latency1.count() >= 64);
			assertTrue(latency.totalTime(TimeUnit.NANOSECONDS) + latency1.totalTime(TimeUnit.NANOSECONDS) > 0);
			assertEquals(resources.backend().name().toLowerCase(java.util.Locale.ROOT),
					latency.getId().getTag("backend"));
			assertEquals("metered", latency.getId().getTag("resources"));
		}
		finally {
			resources.disposeLater().block(TIMEOUT);
		}
	}
}
