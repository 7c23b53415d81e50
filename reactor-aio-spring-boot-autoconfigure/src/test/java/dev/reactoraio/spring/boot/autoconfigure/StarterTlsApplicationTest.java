package dev.reactoraio.spring.boot.autoconfigure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import dev.reactoraio.AioResources;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.netty.http.client.HttpClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A plain Spring Boot WebFlux application with the starter and nothing configured but TLS: a functional
 * endpoint returning a file {@code Resource} and Boot's static resources both go through reactor-aio (its
 * counters move by the file's reads), the health endpoint names the backend, and the meters count.
 */
class StarterTlsApplicationTest {

	private static final Duration TIMEOUT = Duration.ofSeconds(30);

	@TempDir
	static Path dir;

	private static ConfigurableApplicationContext context;
	private static HttpClient client;
	private static byte[] data;

	@BeforeAll
	static void start() throws Exception {
		data = new byte[3_000_000];
		new Random(5).nextBytes(data);
		Path statics = Files.createDirectories(dir.resolve("static"));
		Files.write(statics.resolve("static.bin"), data);
		Files.write(dir.resolve("data.bin"), data);
		Path keystore = selfSigned(dir.resolve("tls.p12"));
		SpringApplication application = new SpringApplication(FileApplication.class);
		application.setWebApplicationType(WebApplicationType.REACTIVE);
		context = application.run("--server.port=0", "--server.ssl.key-store=" + keystore.toUri(),
				"--server.ssl.key-store-password=changeit", "--server.ssl.key-store-type=PKCS12",
				"--spring.web.resources.static-locations=" + statics.toUri(), "--files.dir=" + dir,
				"--management.endpoints.web.exposure.include=health,metrics",
				"--management.endpoint.health.show-details=always", "--spring.main.banner-mode=off");
		int port = ((WebServerApplicationContext) context).getWebServer().getPort();
		SslContext insecure = SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
		client = HttpClient.create().baseUrl("https://localhost:" + port).secure(spec -> spec.sslContext(insecure));
	}

	@AfterAll
	static void stop() {
		if (context != null) {
			context.close();
		}
	}

	/** A keystore with a self-signed certificate, made by the JDK's keytool. */
	private static Path selfSigned(Path keystore) throws IOException, InterruptedException {
		Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
		Process process = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", "test", "-keyalg", "EC",
				"-dname", "CN=localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
				"-storepass", "changeit", "-keypass", "changeit")).redirectErrorStream(true).start();
		String output = new String(process.getInputStream().readAllBytes());
		assertThat(process.waitFor()).as(output).isZero();
		return keystore;
	}

	private static byte[] get(String path) {
		return client.get().uri(path).responseSingle((response, body) -> {
			assertThat(response.status().code()).as(path).isEqualTo(200);
			return body.asByteArray();
		}).block(TIMEOUT);
	}

	private long completions() {
		return context.getBean(AioResources.class).stats().completed();
	}

	@Test
	void aFileResourceGoesThroughReactorAio() {
		long before = completions();
		assertThat(get("/file")).isEqualTo(data);
		assertThat(completions() - before).as("reads of the file through reactor-aio").isGreaterThan(3);
	}

	@Test
	void staticResourcesGoThroughReactorAio() {
		long before = completions();
		assertThat(get("/static.bin")).isEqualTo(data);
		assertThat(completions() - before).as("reads of the file through reactor-aio").isGreaterThan(3);
	}

	@Test
	void healthNamesTheBackendAndTheMetersCount() {
		get("/file");
		String health = new String(get("/actuator/health"));
		assertThat(health).contains("\"reactorAio\"").contains("\"backend\":\"" + context.getBean(AioResources.class)
				.backend().name() + "\"");
		String meter = new String(get("/actuator/metrics/reactor.aio.completions"));
		assertThat(meter).contains("\"name\":\"reactor.aio.completions\"");
	}

	/** The application: a functional endpoint returning a file; everything else is Boot's. */
	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class FileApplication {
		@Bean
		RouterFunction<ServerResponse> file(org.springframework.core.env.Environment environment) {
			Resource resource = new FileSystemResource(Path.of(environment.getRequiredProperty("files.dir"), "data.bin"));
			return RouterFunctions.route().GET("/file", request -> ServerResponse.ok().bodyValue(resource)).build();
		}
	}
}
