package dev.reactoraio.examples.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import dev.reactoraio.examples.fileserver.FileServer;
import dev.reactoraio.examples.fileserver.FileServerProperties;
import dev.reactoraio.examples.fileserver.SelfSignedCertificate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code serve DIR}: the Spring WebFlux file server example, on loopback. */
@Command(name = "serve", mixinStandardHelpOptions = true,
		description = {"Serve DIR with the Spring Boot WebFlux example on 127.0.0.1: GET/HEAD/PUT/DELETE "
				+ "/files/{path}, ranges, ETag/Last-Modified, an upload limit, and the reactor-aio meters at "
				+ "/actuator/metrics/reactor.aio.inflight (and .queued, .completions, .errors, .latency).",
				// %% because picocli formats descriptions (String.format): a lone % starts a format specifier
				"Paths outside DIR (.., %%2e%%2e, absolute, symbolic links leading out) are refused. Stop with Ctrl-C."})
public final class ServeCommand implements Callable<Integer> {

	@Parameters(description = "the directory to serve")
	Path dir;

	@Option(names = {"-p", "--port"}, defaultValue = "8080", description = "port on 127.0.0.1 (default: ${DEFAULT-VALUE})")
	int port;

	@Option(names = "--tls", description = "speak HTTPS with a fresh self-signed certificate (where reactor-aio "
			+ "replaces Netty's blocking chunked file reads)")
	boolean tls;

	@Option(names = "--max-upload", defaultValue = "1g", converter = Units.SizeConverter.class,
			description = "largest PUT body; larger ones get 413 (default: ${DEFAULT-VALUE})")
	long maxUpload;

	@Option(names = "--engine", defaultValue = "REACTOR_AIO",
			description = "how GET reads files: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}; SPRING is "
					+ "Spring's default writer, for comparison; any case)")
	FileServerProperties.Engine engine;

	@Override
	public Integer call() throws Exception {
		if (!Files.isDirectory(dir)) {
			System.err.println(dir + " is not a directory");
			return 2;
		}
		SelfSignedCertificate certificate = tls
				? SelfSignedCertificate.create(Files.createTempDirectory("reactor-aio-tls")) : null;
		FileServer server = FileServer.start(dir, port, certificate, engine, maxUpload, false);
		System.out.println("Serving " + dir.toAbsolutePath() + " at " + server.baseUrl() + "/files/ (engine "
				+ engine + ")");
		System.out.println("  curl " + (certificate != null ? "--cacert " + certificate.certificate() + " " : "")
				+ server.baseUrl() + "/files/<name>");
		System.out.println("  curl -T <file> " + (certificate != null ? "--cacert " + certificate.certificate() + " " : "")
				+ server.baseUrl() + "/files/<name>");
		System.out.println("  curl " + (certificate != null ? "--cacert " + certificate.certificate() + " " : "")
				+ server.baseUrl() + "/actuator/metrics/reactor.aio.completions");
		new CountDownLatch(1).await();
		return 0;
	}
}
