package dev.reactoraio.spring.boot.autoconfigure;

import dev.reactoraio.AioResources;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * With Spring Boot's health support present (Actuator): a {@code reactorAio} health contributor naming the
 * backend, and why io_uring is not used when it is not. Off with
 * {@code management.health.reactoraio.enabled=false}.
 */
@AutoConfiguration(after = ReactorAioAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnEnabledHealthIndicator("reactoraio")
public final class ReactorAioHealthAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "reactorAioHealthIndicator")
	HealthIndicator reactorAioHealthIndicator(AioResources aioResources) {
		return new AioHealthIndicator(aioResources);
	}
}
