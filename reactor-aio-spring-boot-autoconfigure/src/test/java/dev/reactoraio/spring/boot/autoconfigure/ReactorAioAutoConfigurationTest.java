package dev.reactoraio.spring.boot.autoconfigure;

import java.util.Map;

import dev.reactoraio.AioBackend;
import dev.reactoraio.AioResources;
import dev.reactoraio.micrometer.AioMetrics;
import dev.reactoraio.spring.AioFileHandler;
import dev.reactoraio.spring.AioResourceHttpMessageWriter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.http.codec.CodecCustomizer;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/** Each condition of the auto-configuration, with and without the libraries it depends on. */
class ReactorAioAutoConfigurationTest {

	private static final AutoConfigurations ALL = AutoConfigurations.of(ReactorAioAutoConfiguration.class,
			ReactorAioWebFluxAutoConfiguration.class, ReactorAioMetricsAutoConfiguration.class,
			ReactorAioHealthAutoConfiguration.class);

	private final ApplicationContextRunner plain = new ApplicationContextRunner().withConfiguration(ALL);

	private final ReactiveWebApplicationContextRunner web = new ReactiveWebApplicationContextRunner().withConfiguration(ALL);

	@Test
	void resourcesFromPropertiesDisposedWithTheContext() {
		AioResources[] made = new AioResources[1];
		plain.withPropertyValues("reactor.aio.name=props", "reactor.aio.backend=nio", "reactor.aio.rings=1",
				"reactor.aio.readahead=8", "reactor.aio.ring-entries=32").run(context -> {
					assertThat(context).hasSingleBean(AioResources.class);
					AioResources resources = context.getBean(AioResources.class);
					made[0] = resources;
					assertThat(resources.name()).isEqualTo("props");
					assertThat(resources.backend()).isEqualTo(AioBackend.NIO);
					assertThat(resources.readahead()).isEqualTo(8);
					assertThat(resources.loopStats()).hasSize(1);
					assertThat(resources.stats().capacity()).isEqualTo(64);
				});
		assertThat(made[0].isDisposed()).as("disposed when the context closed").isTrue();
	}

	@Test
	void theApplicationsOwnResourcesWin() {
		plain.withUserConfiguration(OwnResources.class).run(context -> {
			assertThat(context).hasSingleBean(AioResources.class);
			assertThat(context.getBean(AioResources.class).name()).isEqualTo("own");
			assertThat(context).doesNotHaveBean(ReactorAioAutoConfiguration.Disposal.class);
		});
	}

	@Test
	void aBadSettingFailsAtStartupWithItsReason() {
		plain.withPropertyValues("reactor.aio.rings=0").run(context -> assertThat(context).hasFailed()
				.getFailure().rootCause().hasMessageContaining("rings"));
	}

	@Test
	void webFluxGetsTheWriterTheCodecAndTheFileHandler() {
		web.run(context -> {
			assertThat(context).hasSingleBean(AioResourceHttpMessageWriter.class);
			assertThat(context).hasSingleBean(AioFileHandler.class);
			assertThat(context.getBeansOfType(CodecCustomizer.class)).containsKey("aioResourceCodecCustomizer");
		});
		web.withPropertyValues("reactor.aio.webflux.enabled=false").run(context -> {
			assertThat(context).doesNotHaveBean("aioResourceCodecCustomizer");
			assertThat(context).doesNotHaveBean("aioStaticResourceWriter");
			assertThat(context).hasSingleBean(AioFileHandler.class);
		});
		web.withClassLoader(new FilteredClassLoader(AioResourceHttpMessageWriter.class)).run(context -> {
			assertThat(context).hasNotFailed();
			assertThat(context).doesNotHaveBean("aioResourceCodecCustomizer");
		});
		plain.run(context -> assertThat(context).doesNotHaveBean(AioResourceHttpMessageWriter.class));
	}

	@Test
	void metersOnlyWithMicrometer() {
		plain.run(context -> assertThat(context).hasSingleBean(AioMetrics.class));
		plain.withPropertyValues("reactor.aio.metrics.enabled=false")
				.run(context -> assertThat(context).doesNotHaveBean(AioMetrics.class));
		plain.withClassLoader(new FilteredClassLoader(MeterRegistry.class)).run(context -> {
			assertThat(context).hasNotFailed();
			assertThat(context).doesNotHaveBean("aioMetrics");
		});
	}

	@Test
	void healthNamesTheBackendAndWhyIoUringIsNotUsed() {
		plain.withPropertyValues("reactor.aio.backend=nio").run(context -> {
			HealthIndicator indicator = context.getBean("reactorAioHealthIndicator", HealthIndicator.class);
			Health health = indicator.health(true);
			assertThat(health.getStatus().getCode()).isEqualTo("UP");
			Map<String, Object> details = health.getDetails();
			assertThat(details).containsEntry("backend", "NIO").containsKey("ioUringUnavailable");
		});
		plain.withPropertyValues("management.health.reactoraio.enabled=false")
				.run(context -> assertThat(context).doesNotHaveBean("reactorAioHealthIndicator"));
		plain.withClassLoader(new FilteredClassLoader(HealthIndicator.class)).run(context -> {
			assertThat(context).hasNotFailed();
			assertThat(context).doesNotHaveBean("reactorAioHealthIndicator");
		});
	}

	@Test
	void nothingButTheResourcesWithoutTheOptionalLibraries() {
		plain.withClassLoader(new FilteredClassLoader(MeterRegistry.class, HealthIndicator.class,
				AioResourceHttpMessageWriter.class)).run(context -> {
					assertThat(context).hasNotFailed();
					assertThat(context).hasSingleBean(AioResources.class);
					assertThat(context).doesNotHaveBean("aioMetrics");
					assertThat(context).doesNotHaveBean("reactorAioHealthIndicator");
				});
	}

	/** IDE completion: the processor's metadata names every property, with its description. */
	@Test
	void configurationMetadataDescribesEveryProperty() throws java.io.IOException {
		String metadata;
		try (java.io.InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
			assertThat(in).as("META-INF/spring-configuration-metadata.json").isNotNull();
			metadata = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
		}
		for (String name : new String[] {"backend", "rings", "ring-entries", "readahead", "blocking-threads",
				"iowq-max-workers", "defer-taskrun", "shutdown-timeout", "webflux.enabled", "webflux.zero-copy",
				"webflux.buffer-size", "metrics.enabled"}) {
			assertThat(metadata).contains("\"name\": \"reactor.aio." + name + "\"");
		}
	}

	/** An application that makes its own resources. */
	@Configuration(proxyBeanMethods = false)
	static class OwnResources {
		@Bean(destroyMethod = "dispose")
		AioResources ownResources() {
			return AioResources.builder("own").backend(AioBackend.NIO).rings(1).build();
		}
	}
}
