package dev.reactoraio.examples.fileserver;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Starts {@link FileServerApplication} from code (the CLI, the demo, tests), bound to loopback.
 *
 * @param context the running application; close it to stop the server
 * @param port the port it listens on
 * @param tls the certificate when it speaks TLS, else null
 */
public record FileServer(ConfigurableApplicationContext context, int port, @Nullable SelfSignedCertificate tls)
		implements AutoCloseable {

	/**
	 * Starts a server.
	 *
	 * @param root the directory served under {@code /files/}
	 * @param port the port, 0 for any free one
	 * @param tls a certificate to speak TLS with, or null for plain HTTP
	 * @param engine how {@code GET} responses are read
	 * @param maxUploadBytes the upload limit
	 * @param quiet log warnings only, no banner
	 * @return the running server
	 */
	public static FileServer start(Path root, int port, @Nullable SelfSignedCertificate tls,
			FileServerProperties.Engine engine, long maxUploadBytes, boolean quiet) {
		Map<String, Object> properties = new HashMap<>();
		properties.put("server.address", "127.0.0.1");
		properties.put("server.port", port);
		properties.put("fileserver.root", root.toString());
		properties.put("fileserver.engine", engine.name());
		// the comparison engine leaves Resource responses to Spring's own writer (uploads stay on reactor-aio)
		properties.put("reactor.aio.webflux.enabled", engine == FileServerProperties.Engine.REACTOR_AIO);
		properties.put("fileserver.max-upload-size", maxUploadBytes + "B");
		properties.put("management.endpoints.web.exposure.include", "health,metrics");
		if (tls != null) {
			properties.put("server.ssl.enabled", "true");
			properties.put("server.ssl.certificate", "file:" + tls.certificate());
			properties.put("server.ssl.certificate-private-key", "file:" + tls.privateKey());
		}
		if (quiet) {
			properties.put("spring.main.banner-mode", "off");
			properties.put("logging.level.root", "WARN");
			properties.put("spring.main.log-startup-info", "false");
		}
		ConfigurableApplicationContext context = new SpringApplicationBuilder(FileServerApplication.class)
				.properties(properties)
				.run();
		int actual = Integer.parseInt(context.getEnvironment().getRequiredProperty("local.server.port"));
		return new FileServer(context, actual, tls);
	}

	/** {@return the base URL, e.g. {@code https://127.0.0.1:8443}} */
	public String baseUrl() {
		return (tls != null ? "https" : "http") + "://127.0.0.1:" + port;
	}

	@Override
	public void close() {
		context.close();
	}
}
