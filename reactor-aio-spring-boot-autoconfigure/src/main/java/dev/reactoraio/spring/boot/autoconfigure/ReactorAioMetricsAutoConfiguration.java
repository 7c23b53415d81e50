package dev.reactoraio.spring.boot.autoconfigure;

import dev.reactoraio.AioResources;
import dev.reactoraio.micrometer.AioMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * With Micrometer and reactor-aio-micrometer present: the loops' meters ({@code reactor.aio.*}), bound by
 * Spring Boot to every {@code MeterRegistry} (an {@link AioMetrics} is a {@code MeterBinder}). Off with
 * {@code reactor.aio.metrics.enabled=false}.
 */
@AutoConfiguration(after = ReactorAioAutoConfiguration.class)
@ConditionalOnClass({MeterRegistry.class, AioMetrics.class})
@ConditionalOnProperty(prefix = "reactor.aio.metrics", name = "enabled", matchIfMissing = true)
public final class ReactorAioMetricsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	AioMetrics aioMetrics(AioResources aioResources) {
		return new AioMetrics(aioResources);
	}
}
