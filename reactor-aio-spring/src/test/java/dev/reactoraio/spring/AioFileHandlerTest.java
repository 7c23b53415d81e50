package dev.reactoraio.spring;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** {@link AioFileHandler} behind a real Reactor Netty server on loopback, driven by a real HTTP client. */
class AioFileHandlerTest {

	private static final Duration TIMEOUT = Duration.ofSeconds(20);
	private static final long LIMIT = 100_000;

	@TempDir
	Path dir;

	private DisposableServer server;
	private HttpClient client;
	private byte[] data;

	@BeforeEach
	void start() throws IOException {
		data = new byte[300_000];
		new Random(3).nextBytes(data);
		Files.write(dir.resolve("data.bin"), data);
		AioFileHandler handler = new AioFileHandler();
		RouterFunction<ServerResponse> routes = RouterFunctions.route()
				.GET("/{name}", request -> handler.serve(request, dir.resolve(request.pathVariable("name"))))
				.HEAD("/{name}", request -> handler.serve(request, dir.resolve(request.pathVariable("name"))))
				.PUT("/{name}", request -> handler.receive(request, dir.resolve(request.pathVariable("name")), LIMIT))
				.build();
		server = HttpServer.create().host("127.0.0.1").port(0)
				.handle(new ReactorHttpHandlerAdapter(RouterFunctions.toHttpHandler(routes)))
				.bindNow(TIMEOUT);
		client = HttpClient.create().baseUrl("http://127.0.0.1:" + server.port());
	}

	@AfterEach
	void stop() {
		server.disposeNow(TIMEOUT);
	}

	@Test
	void servesAFileWithValidators() {
		Response response = get("/data.bin", null);
		assertEquals(200, response.status);
		assertArrayEquals(data, response.body);
		assertNotNull(response.headers.get(HttpHeaderNames.ETAG));
		assertNotNull(response.headers.get(HttpHeaderNames.LAST_MODIFIED));
		assertEquals(String.valueOf(data.length), response.headers.get(HttpHeaderNames.CONTENT_LENGTH));
	}

	@Test
	void aCurrentCopyGets304AndAStaleOneTheFile() {
		String etag = get("/data.bin", null).headers.get(HttpHeaderNames.ETAG);
		Response current = get("/data.bin", headers -> headers.set(HttpHeaderNames.IF_NONE_MATCH, etag));
		assertEquals(304, current.status);
		assertEquals(0, current.body.length);
		Response stale = get("/data.bin", headers -> headers.set(HttpHeaderNames.IF_NONE_MATCH, "\"other\""));
		assertEquals(200, stale.status);
		assertArrayEquals(data, stale.body);
	}

	@Test
	void rangesAndHead() {
		Response range = get("/data.bin", headers -> headers.set(HttpHeaderNames.RANGE, "bytes=100-199"));
		assertEquals(206, range.status);
		assertArrayEquals(Arrays.copyOfRange(data, 100, 200), range.body);
		Response head = client.head().uri("/data.bin")
				.responseSingle((r, body) -> body.asByteArray().defaultIfEmpty(new byte[0])
						.map(bytes -> new Response(r.status().code(), r.responseHeaders(), bytes)))
				.block(TIMEOUT);
		assertEquals(200, head.status);
		assertEquals(String.valueOf(data.length), head.headers.get(HttpHeaderNames.CONTENT_LENGTH));
		assertEquals(0, head.body.length);
		assertEquals(404, get("/missing.bin", null).status);
	}

	/**
	 * The cases of the issue, over the wire: a resumed download of a file that changed meanwhile gets
	 * the whole new file (not the new file's bytes spliced onto the old one's), {@code If-None-Match: *}
	 * is 304, a mismatched {@code If-Match} 412, and a conditional PUT answers with the new ETag.
	 */
	@Test
	void conditionalRequestsOverTheWire() throws IOException {
		Response first = get("/data.bin", null);
		String etag = first.headers.get(HttpHeaderNames.ETAG);
		assertEquals("bytes", first.headers.get(HttpHeaderNames.ACCEPT_RANGES));
		byte[] changed = Arrays.copyOf(data, data.length);
		changed[0] ^= 1;
		Files.write(dir.resolve("data.bin"), changed);
		Response resumed = get("/data.bin", headers -> headers.set(HttpHeaderNames.RANGE, "bytes=0-4")
				.set(HttpHeaderNames.IF_RANGE, etag));
		assertEquals(200, resumed.status);
		assertArrayEquals(changed, resumed.body);
		String current = resumed.headers.get(HttpHeaderNames.ETAG);
		Response range = get("/data.bin", headers -> headers.set(HttpHeaderNames.RANGE, "bytes=0-4")
				.set(HttpHeaderNames.IF_RANGE, current));
		assertEquals(206, range.status);
		assertArrayEquals(Arrays.copyOf(changed, 5), range.body);

		Response star = get("/data.bin", headers -> headers.set(HttpHeaderNames.IF_NONE_MATCH, "*"));
		assertEquals(304, star.status);
		assertEquals(current, star.headers.get(HttpHeaderNames.ETAG));
		Response mismatch = get("/data.bin", headers -> headers.set(HttpHeaderNames.IF_MATCH, etag));
		assertEquals(412, mismatch.status);
		assertEquals(0, mismatch.body.length);

		byte[] upload = "replaced".getBytes(StandardCharsets.UTF_8);
		assertEquals(412, client.headers(h -> h.set(HttpHeaderNames.IF_MATCH, etag)).put().uri("/data.bin")
				.send(ByteBufFlux.fromInbound(Mono.just(Unpooled.wrappedBuffer(upload))))
				.responseSingle((r, body) -> body.then(Mono.just(r.status().code()))).block(TIMEOUT));
		assertArrayEquals(changed, Files.readAllBytes(dir.resolve("data.bin")));
		String stored = client.headers(h -> h.set(HttpHeaderNames.IF_MATCH, current)).put().uri("/data.bin")
				.send(ByteBufFlux.fromInbound(Mono.just(Unpooled.wrappedBuffer(upload))))
				.responseSingle((r, body) -> body.then(Mono.just(r.status().code() + " " + r.responseHeaders()
						.get(HttpHeaderNames.ETAG)))).block(TIMEOUT);
		assertEquals("204 " + ConditionalRequestsTest.etag(dir.resolve("data.bin")), stored);
		assertOnlyFiles("data.bin");
	}

	/**
	 * A file response ends on the server after the client has all of it, so the client's next request
	 * on the same connection can arrive while the server is still finishing: the server must go on
	 * reading that connection. Reactor Netty before 1.3.8 stopped reading it now and then
	 * (reactor-netty#4361), and a client waited forever for its answer; this asks a few hundred times.
	 */
	@Test
	void aConnectionKeepsBeingReadAfterFileResponses() {
		ConnectionProvider one = ConnectionProvider.create("one-connection", 1);
		try {
			HttpClient single = HttpClient.create(one).baseUrl("http://127.0.0.1:" + server.port());
			String etag = get(single, "/data.bin", null).headers.get(HttpHeaderNames.ETAG);
			for (int i = 0; i < 300; i++) {
				int at = i % 1000;
				Response range = get(single, "/data.bin", headers -> headers.set(HttpHeaderNames.RANGE,
						"bytes=" + at + "-" + (at + 4)));
				assertEquals(206, range.status, "request " + i);
				assertArrayEquals(Arrays.copyOfRange(data, at, at + 5), range.body, "request " + i);
				assertEquals(304, get(single, "/data.bin", headers -> headers.set(HttpHeaderNames.IF_NONE_MATCH, etag))
						.status, "request " + i);
				assertEquals(412, get(single, "/data.bin", headers -> headers.set(HttpHeaderNames.IF_MATCH, "\"other\""))
						.status, "request " + i);
			}
		}
		finally {
			one.disposeLater().block(TIMEOUT);
		}
	}

	@Test
	void uploadsCreateThenReplaceAFile() throws IOException {
		byte[] first = "first version".getBytes(StandardCharsets.UTF_8);
		assertEquals(201, put("/upload.txt", Flux.just(first), true));
		assertArrayEquals(first, Files.readAllBytes(dir.resolve("upload.txt")));
		byte[] second = new byte[LIMIT_FITTING];
		new Random(5).nextBytes(second);
		assertEquals(204, put("/upload.txt", Flux.just(Arrays.copyOf(second, 40_000),
				Arrays.copyOfRange(second, 40_000, second.length)), false));
		assertArrayEquals(second, Files.readAllBytes(dir.resolve("upload.txt")));
		assertOnlyFiles("data.bin", "upload.txt");
	}

	private static final int LIMIT_FITTING = (int) LIMIT;

	@Test
	void tooLargeUploadsAre413AndLeaveNothingBehind() throws IOException {
		byte[] big = new byte[(int) LIMIT + 1];
		assertEquals(413, put("/big.bin", Flux.just(big), true), "declared by Content-Length");
		assertEquals(413, put("/big.bin", Flux.just(Arrays.copyOf(big, 60_000), Arrays.copyOf(big, 60_000)), false),
				"counted while streaming");
		assertOnlyFiles("data.bin");
		assertEquals(413, put("/data.bin", Flux.just(Arrays.copyOf(big, 60_000), Arrays.copyOf(big, 60_000)), false));
		assertArrayEquals(data, Files.readAllBytes(dir.resolve("data.bin")), "the old file is untouched");
	}

	private void assertOnlyFiles(String... names) throws IOException {
		long deadline = System.nanoTime() + TIMEOUT.toNanos();
		List<String> expected = Arrays.stream(names).sorted().toList();
		List<String> actual;
		while (!(actual = list()).equals(expected)) {
			assertFalse(System.nanoTime() > deadline, "files: " + actual);
			AioDataBufferUtilsTest.sleep(20);
		}
	}

	private List<String> list() throws IOException {
		try (Stream<Path> files = Files.list(dir)) {
			return files.map(p -> p.getFileName().toString()).sorted().toList();
		}
	}

	private Response get(String uri, java.util.function.Consumer<HttpHeaders> headers) {
		return get(client, uri, headers);
	}

	private static Response get(HttpClient client, String uri, java.util.function.Consumer<HttpHeaders> headers) {
		return client.headers(h -> {
					if (headers != null) {
						headers.accept(h);
					}
				})
				.get().uri(uri)
				.responseSingle((r, body) -> body.asByteArray().defaultIfEmpty(new byte[0])
						.map(bytes -> new Response(r.status().code(), r.responseHeaders(), bytes)))
				.block(TIMEOUT);
	}

	/** PUTs {@code parts}, with a Content-Length or chunked, and returns the status. */
	private int put(String uri, Flux<byte[]> parts, boolean declareLength) {
		long length = parts.map(p -> (long) p.length).reduce(0L, Long::sum).block(TIMEOUT);
		Flux<ByteBuf> body = parts.map(Unpooled::wrappedBuffer);
		return client.headers(h -> {
					if (declareLength) {
						h.set(HttpHeaderNames.CONTENT_LENGTH, length);
					}
					else {
						h.set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
					}
				})
				.put().uri(uri)
				.send(ByteBufFlux.fromInbound(body))
				.responseSingle((r, content) -> content.then(Mono.just(r.status().code())))
				.block(TIMEOUT);
	}

	private record Response(int status, HttpHeaders headers, byte[] body) {
	}
}
