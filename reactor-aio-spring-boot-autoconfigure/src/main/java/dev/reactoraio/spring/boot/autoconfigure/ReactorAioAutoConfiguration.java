package dev.reactoraio.spring.boot.autoconfigure;

import java.time.Duration;

import dev.reactoraio.AioResources;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The {@link AioResources} of the application, from the {@code reactor.aio.*} properties, unless the
 * application defines its own. They are disposed when the context closes, after the web server has
 * stopped (destruction comes after every lifecycle bean, the server included, has stopped): open files
 * are closed once their operations complete, then the rings and threads are released, waiting at most
 * {@code reactor.aio.shutdown-timeout}.
 */
@AutoConfiguration
@EnableConfigurationProperties(ReactorAioProperties.class)
public final class ReactorAioAutoConfiguration {

	/** The resources this configuration makes, and their disposal. */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingBean(AioResources.class)
	static final class ResourcesConfiguration {

		@Bean(destroyMethod = "")
		AioResources aioResources(ReactorAioProperties properties) {
			return properties.toBuilder().build();
		}

		@Bean
		Disposal aioResourcesDisposal(AioResources aioResources, ReactorAioProperties properties) {
			return new Disposal(aioResources, properties.getShutdownTimeout());
		}
	}

	/** Disposes the resources this configuration made, waiting for the files to close and the loops to end. */
	static final class Disposal implements DisposableBean {

		private final AioResources resources;
		private final Duration timeout;

		Disposal(AioResources resources, Duration timeout) {
			this.resources = resources;
			this.timeout = timeout;
		}

		@Override
		public void destroy() {
			resources.disposeLater().block(timeout);
		}
	}
}
