package dev.reactoraio.examples.fileserver;

import java.io.IOException;

import dev.reactoraio.spring.AioFileHandler;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * A Spring Boot WebFlux file server on reactor-aio: {@code GET/HEAD/PUT/DELETE /files/{path}} over
 * {@code fileserver.root}, with ranges, validators, an upload limit, and the reactor-aio meters under
 * {@code /actuator/metrics/reactor.aio.*}, all wired by reactor-aio's Spring Boot starter. Start it with
 * {@link FileServer} or the CLI's {@code serve}.
 */
@SpringBootApplication
@EnableConfigurationProperties(FileServerProperties.class)
public class FileServerApplication {

	/** The routes; the {@code AioFileHandler}, the resources and the meters come from the starter. */
	@Bean
	RouterFunction<ServerResponse> fileRoutes(FileServerProperties properties, AioFileHandler handler)
			throws IOException {
		return new FileEndpoint(new SafePaths(properties.root()), handler, properties).routes();
	}

	public static void main(String[] args) {
		SpringApplication.run(FileServerApplication.class, args);
	}
}
