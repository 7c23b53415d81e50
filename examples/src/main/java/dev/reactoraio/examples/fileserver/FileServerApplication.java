package dev.reactoraio.examples.fileserver;

import java.io.IOException;

import dev.reactoraio.AioResources;
import dev.reactoraio.micrometer.AioMetrics;
import dev.reactoraio.spring.AioFileHandler;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * A Spring Boot WebFlux file server on reactor-aio: {@code GET/HEAD/PUT/DELETE /files/{path}} over
 * {@code fileserver.root}, with ranges, validators, an upload limit, and the reactor-aio meters under
 * {@code /actuator/metrics/reactor.aio.*}. Start it with {@link FileServer} or the CLI's {@code serve}.
 */
@SpringBootApplication
@EnableConfigurationProperties(FileServerProperties.class)
public class FileServerApplication {

	@Bean
	AioFileHandler aioFileHandler() {
		return new AioFileHandler();
	}

	@Bean
	RouterFunction<ServerResponse> fileRoutes(FileServerProperties properties, AioFileHandler handler)
			throws IOException {
		return new FileEndpoint(new SafePaths(properties.root()), handler, properties).routes();
	}

	/** The reactor-aio meters, only when Micrometer is there (Boot binds every MeterBinder bean). */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
	static class Metrics {

		@Bean
		AioMetrics aioMetrics() {
			return new AioMetrics(AioResources.global());
		}
	}

	public static void main(String[] args) {
		SpringApplication.run(FileServerApplication.class, args);
	}
}
