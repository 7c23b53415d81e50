package dev.reactoraio.examples.fileserver;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.netty.handler.codec.http.HttpHeaderNames;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Spring Boot file server over loopback: plain HTTP through {@link WebTestClient} and a raw Reactor
 * Netty client, TLS with a self-signed certificate, curl when the machine has it; path escapes of every
 * kind, ranges, validators, uploads (whole-file and multipart) and the upload limit, deletes, metrics.
 */
class FileServerTest {

	private static final Duration TIMEOUT = Duration.ofSeconds(30);
	private static final long LIMIT = 200_000;

	@TempDir
	static Path sandbox;

	private static Path root;
	private static Path outside;
	private static byte[] data;
	private static FileServer plain;
	private static FileServer tls;
	private static WebTestClient web;

	@BeforeAll
	static void start() throws IOException {
		root = Files.createDirectories(sandbox.resolve("root"));
		outside = Files.writeString(sandbox.resolve("secret.txt"), "outside the root");
		Files.createDirectories(sandbox.resolve("elsewhere"));
		Files.writeString(sandbox.resolve("elsewhere/other.txt"), "also outside");
		data = new byte[2_000_000];
		new Random(11).nextBytes(data);
		Files.write(root.resolve("data.bin"), data);
		Files.createDirectories(root.resolve("docs"));
		Files.writeString(root.resolve("docs/readme.txt"), "hello");
		Files.createSymbolicLink(root.resolve("link-out.txt"), outside);
		Files.createSymbolicLink(root.resolve("dir-out"), sandbox.resolve("elsewhere"));
		Files.createSymbolicLink(root.resolve("link-in.txt"), root.resolve("docs/readme.txt"));
		plain = FileServer.start(root, 0, null, FileServerProperties.Engine.REACTOR_AIO, LIMIT, true);
		tls = FileServer.start(root, 0, SelfSignedCertificate.create(Files.createDirectories(sandbox.resolve("tls"))),
				FileServerProperties.Engine.REACTOR_AIO, LIMIT, true);
		web = WebTestClient.bindToServer().baseUrl(plain.baseUrl()).responseTimeout(TIMEOUT)
				.codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(16 << 20)).build();
	}

	@AfterAll
	static void stop() {
		plain.close();
		tls.close();
	}

	@Test
	void servesFilesWithRangesAndValidators() {
		byte[] body = web.get().uri("/files/data.bin").exchange()
				.expectStatus().isOk()
				.expectHeader().contentLength(data.length)
				.expectHeader().exists(HttpHeaders.ETAG)
				.expectHeader().exists(HttpHeaders.LAST_MODIFIED)
				.expectHeader().valueEquals(HttpHeaders.ACCEPT_RANGES, "bytes")
				.expectBody(byte[].class).returnResult().getResponseBody();
		assertArrayEquals(data, body);

		byte[] part = web.get().uri("/files/data.bin").header(HttpHeaders.RANGE, "bytes=1000-1999").exchange()
				.expectStatus().isEqualTo(HttpStatus.PARTIAL_CONTENT)
				.expectHeader().valueEquals(HttpHeaders.CONTENT_RANGE, "bytes 1000-1999/" + data.length)
				.expectBody(byte[].class).returnResult().getResponseBody();
		assertArrayEquals(Arrays.copyOfRange(data, 1000, 2000), part);

		web.get().uri("/files/data.bin").header(HttpHeaders.RANGE, "bytes=0-9,100-109").exchange()
				.expectStatus().isEqualTo(HttpStatus.PARTIAL_CONTENT)
				.expectHeader().value(HttpHeaders.CONTENT_TYPE, type -> assertTrue(type.startsWith("multipart/byteranges")));
		web.get().uri("/files/data.bin").header(HttpHeaders.RANGE, "bytes=5000000-").exchange()
				.expectStatus().isEqualTo(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE);

		String etag = web.head().uri("/files/data.bin").exchange()
				.expectStatus().isOk()
				.expectHeader().contentLength(data.length)
				.expectBody().isEmpty()
				.getResponseHeaders().getETag();
		web.get().uri("/files/data.bin").header(HttpHeaders.IF_NONE_MATCH, etag).exchange()
				.expectStatus().isNotModified();
		web.get().uri("/files/link-in.txt").exchange().expectStatus().isOk().expectBody(String.class).isEqualTo("hello");
		web.get().uri("/files/nope.txt").exchange().expectStatus().isNotFound();
		web.get().uri("/files/docs").exchange().expectStatus().isNotFound();
	}

	@Test
	void pathsLeadingOutOfTheRootAreRefused() throws IOException {
		for (String path : List.of("/files/../secret.txt", "/files/%2e%2e/secret.txt", "/files/%2E%2E%2Fsecret.txt",
				"/files/docs/../../secret.txt", "/files/docs/%2e%2e/%2e%2e/secret.txt", "/files//etc/passwd",
				"/files/%2Fetc%2Fpasswd", "/files/docs%2F..%2F..%2Fsecret.txt", "/files/link-out.txt",
				"/files/dir-out/other.txt", "/files/.hidden", "/files/docs/%00x", "/files/..%5csecret.txt")) {
			for (String method : List.of("GET", "PUT", "DELETE")) {
				assertEquals(403, rawStatus(plain, method, path), method + " " + path);
			}
		}
		assertEquals("outside the root", Files.readString(outside), "the outside file was changed");
		assertEquals("also outside", Files.readString(sandbox.resolve("elsewhere/other.txt")));
		assertEquals(List.of("other.txt"), names(sandbox.resolve("elsewhere")), "a file was created outside");
		assertTrue(Files.isSymbolicLink(root.resolve("link-out.txt")));
	}

	@Test
	void uploadsAreAtomicAndLimited() throws IOException {
		byte[] upload = new byte[150_000];
		new Random(12).nextBytes(upload);
		web.put().uri("/files/new/dir/upload.bin").bodyValue(upload).exchange().expectStatus().isCreated();
		assertArrayEquals(upload, Files.readAllBytes(root.resolve("new/dir/upload.bin")));
		web.put().uri("/files/new/dir/upload.bin").bodyValue("replaced".getBytes(StandardCharsets.UTF_8)).exchange()
				.expectStatus().isNoContent();
		assertEquals("replaced", Files.readString(root.resolve("new/dir/upload.bin")));

		web.put().uri("/files/big.bin").bodyValue(new byte[(int) LIMIT + 1]).exchange()
				.expectStatus().isEqualTo(HttpStatus.CONTENT_TOO_LARGE);
		web.put().uri("/files/new/dir/upload.bin")
				.body(Flux.range(0, 5).map(i -> new byte[60_000]), byte[].class).exchange()
				.expectStatus().isEqualTo(HttpStatus.CONTENT_TOO_LARGE);
		assertFalse(Files.exists(root.resolve("big.bin")));
		assertEquals("replaced", Files.readString(root.resolve("new/dir/upload.bin")), "a refused upload replaced the file");
		assertNoTemporaries();

		web.delete().uri("/files/new/dir/upload.bin").exchange().expectStatus().isNoContent();
		web.get().uri("/files/new/dir/upload.bin").exchange().expectStatus().isNotFound();
		web.delete().uri("/files/new/dir/upload.bin").exchange().expectStatus().isNotFound();
		web.delete().uri("/files/new").exchange().expectStatus().isEqualTo(HttpStatus.CONFLICT);
		web.put().uri("/files/docs").bodyValue("x").exchange().expectStatus().isEqualTo(HttpStatus.CONFLICT);
	}

	@Test
	void multipartUploadsStoreEveryFilePartOrNone() throws IOException {
		byte[] first = new byte[90_000];
		byte[] second = new byte[50_000];
		new Random(13).nextBytes(first);
		new Random(14).nextBytes(second);
		Files.createDirectories(root.resolve("album"));
		Files.writeString(root.resolve("album/second.bin"), "an older version");
		MultipartBodyBuilder body = new MultipartBodyBuilder();
		body.part("caption", "two files");
		body.part("file", first).filename("first.bin").contentType(MediaType.APPLICATION_OCTET_STREAM);
		body.part("file", second).filename("second.bin").contentType(MediaType.APPLICATION_OCTET_STREAM);
		String stored = web.post().uri("/files/album").body(BodyInserters.fromMultipartData(body.build())).exchange()
				.expectStatus().isOk()
				.expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
				.expectBody(String.class).returnResult().getResponseBody();
		assertTrue(stored.contains("\"path\":\"/files/album/first.bin\",\"size\":90000,\"replaced\":false"), stored);
		assertTrue(stored.contains("\"path\":\"/files/album/second.bin\",\"size\":50000,\"replaced\":true"), stored);
		assertArrayEquals(first, Files.readAllBytes(root.resolve("album/first.bin")));
		assertArrayEquals(second, Files.readAllBytes(root.resolve("album/second.bin")));
		web.get().uri("/files/album/first.bin").exchange().expectStatus().isOk().expectBody(byte[].class).isEqualTo(first);

		// all or nothing: past the limit (the file parts together), a bad name, a directory in the way
		MultipartBodyBuilder tooLarge = new MultipartBodyBuilder();
		tooLarge.part("file", new byte[120_000]).filename("first.bin");
		tooLarge.part("file", new byte[120_000]).filename("third.bin");
		web.post().uri("/files/album").body(BodyInserters.fromMultipartData(tooLarge.build())).exchange()
				.expectStatus().isEqualTo(HttpStatus.CONTENT_TOO_LARGE);
		MultipartBodyBuilder badName = new MultipartBodyBuilder();
		badName.part("file", new byte[1000]).filename("first.bin");
		badName.part("file", new byte[1000]).filename("../escape.bin");
		web.post().uri("/files/album").body(BodyInserters.fromMultipartData(badName.build())).exchange()
				.expectStatus().isForbidden();
		MultipartBodyBuilder hidden = new MultipartBodyBuilder();
		hidden.part("file", new byte[1000]).filename(".upload");
		web.post().uri("/files/album").body(BodyInserters.fromMultipartData(hidden.build())).exchange()
				.expectStatus().isForbidden();
		MultipartBodyBuilder directory = new MultipartBodyBuilder();
		directory.part("file", new byte[1000]).filename("first.bin");
		directory.part("file", new byte[1000]).filename("docs");
		web.post().uri("/files/").body(BodyInserters.fromMultipartData(directory.build())).exchange()
				.expectStatus().isEqualTo(HttpStatus.CONFLICT);
		web.post().uri("/files/../outside").body(BodyInserters.fromMultipartData(directory.build())).exchange()
				.expectStatus().isForbidden();
		assertArrayEquals(first, Files.readAllBytes(root.resolve("album/first.bin")), "a refused upload replaced a file");
		assertFalse(Files.exists(root.resolve("album/third.bin")));
		assertFalse(Files.exists(root.resolve("first.bin")));
		assertFalse(Files.exists(sandbox.resolve("escape.bin")));
		assertTrue(Files.isDirectory(root.resolve("docs")));
		assertNoTemporaries();
	}

	@Test
	void servesOverTlsToReactorNettyAndWebTestClient() {
		FileClient client = new FileClient(tls);
		FileClient.Transfer whole = client.download("/files/data.bin", n -> { }).block(TIMEOUT);
		assertEquals(200, whole.status());
		assertEquals(data.length, whole.bytes());
		byte[] body = client.http().get().uri("/files/data.bin").responseContent().aggregate().asByteArray().block(TIMEOUT);
		assertArrayEquals(data, body);
		byte[] range = client.http().headers(h -> h.set(HttpHeaderNames.RANGE, "bytes=-10")).get().uri("/files/data.bin")
				.responseContent().aggregate().asByteArray().block(TIMEOUT);
		assertArrayEquals(Arrays.copyOfRange(data, data.length - 10, data.length), range);
		assertEquals(201, client.upload("/files/tls-upload.bin", 100_000).block(TIMEOUT).status());

		WebTestClient overTls = WebTestClient.bindToServer(new ReactorClientHttpConnector(client.http()))
				.baseUrl(tls.baseUrl()).responseTimeout(TIMEOUT).build();
		overTls.get().uri("/files/data.bin").header(HttpHeaders.RANGE, "bytes=0-99").exchange()
				.expectStatus().isEqualTo(HttpStatus.PARTIAL_CONTENT)
				.expectBody(byte[].class).isEqualTo(Arrays.copyOf(data, 100));
		overTls.get().uri(URI.create(tls.baseUrl() + "/files/%2e%2e/secret.txt")).exchange().expectStatus().isForbidden();
	}

	@Test
	void exposesTheReactorAioMeters() {
		web.get().uri("/files/data.bin").exchange().expectStatus().isOk();
		for (String meter : List.of("inflight", "queued", "completions", "errors", "latency")) {
			web.get().uri("/actuator/metrics/reactor.aio." + meter).exchange()
					.expectStatus().isOk()
					.expectBody(String.class).value(json -> assertTrue(json.contains("\"reactor.aio." + meter + "\""), json));
		}
	}

	@Test
	void curlAgreesWhenInstalled() throws Exception {
		assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is not installed");
		String cacert = tls.tls().certificate().toString();
		Path out = sandbox.resolve("curl.out");
		assertEquals("200", curl("-o", out.toString(), "--cacert", cacert, tls.baseUrl() + "/files/data.bin"));
		assertArrayEquals(data, Files.readAllBytes(out));
		assertEquals("206", curl("-o", out.toString(), "-r", "10-19", "--cacert", cacert, tls.baseUrl() + "/files/data.bin"));
		assertArrayEquals(Arrays.copyOfRange(data, 10, 20), Files.readAllBytes(out));
		assertEquals("403", curl("-o", out.toString(), "--path-as-is", "--cacert", cacert,
				tls.baseUrl() + "/files/../secret.txt"));
		assertEquals("403", curl("-o", out.toString(), "--path-as-is", plain.baseUrl() + "/files/docs/../../secret.txt"));
		Path upload = Files.write(sandbox.resolve("curl-upload.bin"), Arrays.copyOf(data, 50_000));
		assertEquals("201", curl("-o", out.toString(), "-T", upload.toString(), plain.baseUrl() + "/files/by-curl.bin"));
		assertArrayEquals(Arrays.copyOf(data, 50_000), Files.readAllBytes(root.resolve("by-curl.bin")));
	}

	/** Sends the path exactly as given, with no client-side normalization. */
	private static int rawStatus(FileServer server, String method, String path) {
		HttpClient client = HttpClient.create().baseUrl(server.baseUrl());
		HttpClient.ResponseReceiver<?> request = switch (method) {
			case "GET" -> client.get().uri(path);
			case "DELETE" -> client.delete().uri(path);
			default -> client.put().uri(path).send(Mono.just(io.netty.buffer.Unpooled.wrappedBuffer("x".getBytes())));
		};
		return request.responseSingle((response, body) -> body.then(Mono.just(response.status().code())))
				.block(TIMEOUT);
	}

	private static String curl(String... arguments) throws Exception {
		List<String> command = new ArrayList<>(List.of("curl", "-s", "-w", "%{http_code}"));
		command.addAll(List.of(arguments));
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertTrue(process.waitFor(30, TimeUnit.SECONDS));
		return output.trim();
	}

	private static void assertNoTemporaries() throws IOException {
		long deadline = System.nanoTime() + TIMEOUT.toNanos();
		while (true) {
			List<Path> temporaries;
			try (Stream<Path> walk = Files.walk(root)) {
				temporaries = walk.filter(p -> p.getFileName().toString().endsWith(".upload")).toList();
			}
			if (temporaries.isEmpty()) {
				return;
			}
			assertTrue(System.nanoTime() < deadline, "left behind: " + temporaries);
			try {
				Thread.sleep(20);
			}
			catch (InterruptedException e) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	private static List<String> names(Path dir) throws IOException {
		try (Stream<Path> list = Files.list(dir)) {
			return list.map(p -> p.getFileName().toString()).sorted().toList();
		}
	}
}
