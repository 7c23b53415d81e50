package dev.reactoraio.micrometer;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

import dev.reactoraio.AioResources;
import dev.reactoraio.AioStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Binds the {@link AioMeters} of an {@link AioResources} to a Micrometer registry: per loop (ring), the
 * operations in flight, queued for capacity, the ring's capacity, completions, errors, offloaded
 * operations, latency and open files. Values are read from {@link AioResources#loopStats()} when the
 * registry polls: nothing is added to the I/O path. The registry holds the resources weakly, as
 * Micrometer does for gauges.
 * <p>
 * In Spring Boot, declare it as a bean ({@code @Bean AioMetrics aioMetrics() { return new
 * AioMetrics(AioResources.global()); }}): Boot binds every {@code MeterBinder} bean. Elsewhere:
 * {@code new AioMetrics(resources).bindTo(registry)}.
 */
public final class AioMetrics implements MeterBinder {

	private final AioResources resources;
	private final Tags tags;

	/**
	 * Meters for {@code resources}.
	 *
	 * @param resources the resources to observe
	 */
	public AioMetrics(AioResources resources) {
		this(resources, Tags.empty());
	}

	/**
	 * Meters for {@code resources} with extra tags.
	 *
	 * @param resources the resources to observe
	 * @param tags tags added to every meter
	 */
	public AioMetrics(AioResources resources, Iterable<io.micrometer.core.instrument.Tag> tags) {
		if (resources == null) {
			throw new NullPointerException("resources");
		}
		this.resources = resources;
		this.tags = Tags.of(tags).and("resources", resources.name(),
				"backend", resources.backend().name().toLowerCase(Locale.ROOT));
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		int loops = resources.loopStats().size();
		for (int i = 0; i < loops; i++) {
			int ring = i;
			Tags ringTags = tags.and("ring", Integer.toString(ring));
			gauge(registry, AioMeters.IN_FLIGHT, ringTags, ring, AioStats::inFlight);
			gauge(registry, AioMeters.QUEUED, ringTags, ring, AioStats::queued);
			gauge(registry, AioMeters.CAPACITY, ringTags, ring, AioStats::capacity);
			gauge(registry, AioMeters.OPEN_FILES, ringTags, ring, AioStats::openFiles);
			counter(registry, AioMeters.COMPLETIONS, ringTags, ring, AioStats::completed);
			counter(registry, AioMeters.ERRORS, ringTags, ring, AioStats::failed);
			counter(registry, AioMeters.OFFLOADED, ringTags, ring, AioStats::offloaded);
			FunctionTimer.builder(AioMeters.LATENCY.meterName(), resources,
							r -> stats(r, ring, AioStats::completed), r -> stats(r, ring, AioStats::latencyNanos),
							TimeUnit.NANOSECONDS)
					.description(AioMeters.LATENCY.description())
					.tags(ringTags)
					.register(registry);
		}
	}

	private void gauge(MeterRegistry registry, AioMeters meter, Tags ringTags, int ring, ToLongFunction<AioStats> value) {
		ToDoubleFunction<AioResources> read = r -> stats(r, ring, value);
		Gauge.builder(meter.meterName(), resources, read)
				.description(meter.description())
				.tags(ringTags)
				.register(registry);
	}

	private void counter(MeterRegistry registry, AioMeters meter, Tags ringTags, int ring, ToLongFunction<AioStats> value) {
		FunctionCounter.builder(meter.meterName(), resources, r -> stats(r, ring, value))
				.description(meter.description())
				.tags(ringTags)
				.register(registry);
	}

	private static long stats(AioResources resources, int ring, ToLongFunction<AioStats> value) {
		List<AioStats> loops = resources.loopStats();
		return ring < loops.size() ? value.applyAsLong(loops.get(ring)) : 0;
	}
}
