package dev.reactoraio.examples.fileserver;

import java.nio.file.Path;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Settings of the file server ({@code fileserver.*}).
 *
 * @param root the directory served under {@code /files/}
 * @param maxUploadSize the largest body a {@code PUT} may have; larger ones get 413
 * @param engine {@code reactor-aio} serves {@code GET} through reactor-aio; {@code spring} through Spring's
 * default {@code ResourceHttpMessageWriter}, for comparison (uploads always use reactor-aio)
 */
@ConfigurationProperties("fileserver")
public record FileServerProperties(Path root, DataSize maxUploadSize, Engine engine) {

	/** How {@code GET} responses are read. */
	public enum Engine {
		/** Through {@code AioFileHandler} and {@code AioResourceHttpMessageWriter}. */
		REACTOR_AIO,
		/** Through Spring's {@code BodyInserters.fromResource} and its default writer. */
		SPRING
	}

	public FileServerProperties {
		if (root == null) {
			throw new IllegalArgumentException("fileserver.root must be set");
		}
		if (maxUploadSize == null) {
			maxUploadSize = DataSize.ofGigabytes(1);
		}
		if (engine == null) {
			engine = Engine.REACTOR_AIO;
		}
	}
}
