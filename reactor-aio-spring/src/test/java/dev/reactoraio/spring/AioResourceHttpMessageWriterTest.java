package dev.reactoraio.spring;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import dev.reactoraio.AioResources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.ResolvableType;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.PathContainer;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.http.server.reactive.MockServerHttpResponse;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.resource.ResourceWebHandler;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.util.pattern.PathPatternParser;
import reactor.core.publisher.Mono;

import static dev.reactoraio.spring.BufferFactories.assertNoLeak;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Responses written by {@link AioResourceHttpMessageWriter}: whole files, ranges, HEAD, and buffer hygiene. */
class AioResourceHttpMessageWriterTest {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);
	private static final ResolvableType RESOURCE = ResolvableType.forClass(Resource.class);

	private static AioResources resources;

	@TempDir
	Path dir;

	private byte[] data;
	private Path file;
	private AioResourceHttpMessageWriter writer;

	@BeforeAll
	static void startLoops() {
		resources = AioResources.builder("writer-test").build();
	}

	@AfterAll
	static void stopLoops() {
		resources.disposeLater().block(TIMEOUT);
	}

	@BeforeEach
	void createFile() throws IOException {
		data = new byte[1_000_000];
		new Random(7).nextBytes(data);
		file = Files.write(dir.resolve("page.html"), data);
		writer = new AioResourceHttpMessageWriter(16 * 1024, AioResourceHttpMessageWriter.ZeroCopyPolicy.NEVER,
				resources);
	}

	@Test
	void writesTheWholeFileWithItsHeaders() {
		MockServerHttpResponse response = write(MockServerHttpRequest.get("/page.html"), null);
		HttpHeaders headers = response.getHeaders();
		assertNull(response.getStatusCode());
		assertEquals(data.length, headers.getContentLength());
		assertEquals(MediaType.TEXT_HTML, headers.getContentType());
		assertEquals("bytes", headers.getFirst(HttpHeaders.ACCEPT_RANGES));
		assertArrayEquals(data, body(response));
	}

	@Test
	void aSingleRangeIsAPartialResponseWithExactlyItsBytes() {
		MockServerHttpResponse response = write(MockServerHttpRequest.get("/").header("Range", "bytes=10-19"), null);
		assertEquals(HttpStatus.PARTIAL_CONTENT, response.getStatusCode());
		assertEquals("bytes 10-19/" + data.length, response.getHeaders().getFirst(HttpHeaders.CONTENT_RANGE));
		assertEquals(10, response.getHeaders().getContentLength());
		assertArrayEquals(Arrays.copyOfRange(data, 10, 20), body(response));

		MockServerHttpResponse suffix = write(MockServerHttpRequest.get("/").header("Range", "bytes=-5"), null);
		assertArrayEquals(Arrays.copyOfRange(data, data.length - 5, data.length), body(suffix));

		MockServerHttpResponse tail = write(MockServerHttpRequest.get("/").header("Range", "bytes=999000-"), null);
		assertEquals("bytes 999000-999999/" + data.length, tail.getHeaders().getFirst(HttpHeaders.CONTENT_RANGE));
		assertArrayEquals(Arrays.copyOfRange(data, 999_000, data.length), body(tail));
	}

	@Test
	void severalRangesAreAMultipartBodyOfExactLength() {
		MockServerHttpResponse response = write(
				MockServerHttpRequest.get("/").header("Range", "bytes=0-9, 500000-500099, -3"), null);
		assertEquals(HttpStatus.PARTIAL_CONTENT, response.getStatusCode());
		MediaType type = response.getHeaders().getContentType();
		assertEquals("multipart/byteranges", type.getType() + "/" + type.getSubtype());
		String boundary = type.getParameter("boundary");
		byte[] body = body(response);
		assertEquals(body.length, response.getHeaders().getContentLength());
		String text = new String(body, StandardCharsets.ISO_8859_1);
		String[] parts = text.split("\r\n--" + boundary);
		assertEquals(5, parts.length, "empty preamble, three parts, closing delimiter");
		assertEquals("--", parts[4]);
		assertPart(parts[1], 0, 10);
		assertPart(parts[2], 500_000, 100);
		assertPart(parts[3], data.length - 3, 3);
	}

	private void assertPart(String part, int position, int count) {
		String head = "\r\nContent-Type: text/html\r\nContent-Range: bytes " + position + "-" + (position + count - 1)
				+ "/" + data.length + "\r\n\r\n";
		assertTrue(part.startsWith(head), part.substring(0, Math.min(120, part.length())));
		assertArrayEquals(Arrays.copyOfRange(data, position, position + count),
				part.substring(head.length()).getBytes(StandardCharsets.ISO_8859_1));
	}

	@Test
	void anUnsatisfiableRangeIs416WithTheLength() {
		MockServerHttpResponse past = write(MockServerHttpRequest.get("/").header("Range", "bytes=1000000-"), null);
		assertEquals(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE, past.getStatusCode());
		assertEquals("bytes */" + data.length, past.getHeaders().getFirst(HttpHeaders.CONTENT_RANGE));

		MockServerHttpResponse garbage = write(MockServerHttpRequest.get("/").header("Range", "bytes=z-"), null);
		assertEquals(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE, garbage.getStatusCode());

		MockServerHttpResponse whole = write(MockServerHttpRequest.get("/").header("Range", "bytes=0-99,100-"), null);
		assertEquals(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE, whole.getStatusCode(),
				"ranges adding up to the whole file are refused, as Spring refuses them");
	}

	@Test
	void headSendsTheHeadersAndReadsNothing() {
		long before = resources.stats().submitted();
		MockServerHttpResponse response = write(MockServerHttpRequest.head("/page.html"), null);
		long operations = resources.stats().submitted() - before;
		assertEquals(data.length, response.getHeaders().getContentLength());
		assertEquals(0, body(response).length);
		assertTrue(operations < 8, operations + " operations for a HEAD: the file was read");
	}

	@Test
	void ifRangeServesTheRangeOnlyForTheVersionTheResponseCarries() {
		String lastModified = "Wed, 01 May 2024 10:00:00 GMT";
		for (String[] row : new String[][] {
				// If-Range, the response's ETag, its Last-Modified, expected status
				{"\"v1\"", "\"v1\"", null, "206"},
				{"\"v0\"", "\"v1\"", null, "200"},
				{"W/\"v1\"", "\"v1\"", null, "200"},
				{"\"v1\"", "W/\"v1\"", null, "200"},
				{lastModified, null, lastModified, "206"},
				{"Tue, 30 Apr 2024 10:00:00 GMT", null, lastModified, "200"},
				{"\"v1\"", null, null, "200"},
				{lastModified, null, null, "200"}}) {
			MockServerHttpResponse response = new MockServerHttpResponse();
			if (row[1] != null) {
				response.getHeaders().set(HttpHeaders.ETAG, row[1]);
			}
			if (row[2] != null) {
				response.getHeaders().set(HttpHeaders.LAST_MODIFIED, row[2]);
			}
			writer.write(Mono.just(new FileSystemResource(file)), null, RESOURCE, null,
					MockServerHttpRequest.get("/").header("Range", "bytes=10-19").header("If-Range", row[0]).build(),
					response, Map.of()).block(TIMEOUT);
			String name = "If-Range " + row[0] + " against ETag " + row[1] + ", Last-Modified " + row[2];
			Exchanges.Result result = Exchanges.result(response);
			assertEquals(Integer.parseInt(row[3]), result.status().value(), name);
			assertArrayEquals(row[3].equals("206") ? Arrays.copyOfRange(data, 10, 20) : data, result.body(), name);
		}
	}

	@Test
	void headIgnoresRange() {
		MockServerHttpResponse response = write(MockServerHttpRequest.head("/").header("Range", "bytes=10-19"), null);
		assertNull(response.getStatusCode());
		assertEquals(data.length, response.getHeaders().getContentLength());
		assertNull(response.getHeaders().getFirst(HttpHeaders.CONTENT_RANGE));
		assertEquals("bytes", response.getHeaders().getFirst(HttpHeaders.ACCEPT_RANGES));
		assertEquals(0, body(response).length);
	}

	/**
	 * Static resources: {@code ResourceWebHandler} decides the preconditions through Spring's
	 * {@code checkNotModified} (which sets the validators on the response), the writer {@code If-Range}.
	 * The last rows pin down what Spring's check does differently from RFC 9110, as docs/spring.md
	 * states it: it ignores {@code If-Match} on {@code GET} and {@code If-None-Match: *}, and after an
	 * {@code If-Unmodified-Since} it does not look at {@code If-None-Match}.
	 */
	@Test
	void staticResourcesGetIfRangeFromTheWriterAndTheRestFromSpring() throws Exception {
		Instant modified = Instant.parse("2024-05-01T10:00:00Z");
		Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(modified));
		String date = "Wed, 01 May 2024 10:00:00 GMT";
		ResourceWebHandler handler = new ResourceWebHandler();
		handler.setLocations(List.of(new FileSystemResource(dir.toString() + "/")));
		handler.setEtagGenerator(resource -> "v1");
		handler.setResourceHttpMessageWriter(writer);
		handler.afterPropertiesSet();
		for (String[] row : new String[][] {
				// request header, value, another header, its value, expected status, expected body
				{"Range", "bytes=10-19", "If-Range", "\"v1\"", "206", "range"},
				{"Range", "bytes=10-19", "If-Range", "\"v0\"", "200", "whole"},
				{"Range", "bytes=10-19", "If-Range", date, "206", "range"},
				{"Range", "bytes=10-19", "If-Range", "Tue, 30 Apr 2024 10:00:00 GMT", "200", "whole"},
				{"If-None-Match", "\"v1\"", "X-None", "", "304", "empty"},
				{"If-Modified-Since", date, "X-None", "", "304", "empty"},
				{"If-Match", "\"other\"", "X-None", "", "200", "whole"},
				{"If-None-Match", "*", "X-None", "", "200", "whole"},
				{"If-Unmodified-Since", date, "If-None-Match", "\"v1\"", "200", "whole"}}) {
			DataBufferFactory factory = BufferFactories.pooled(true);
			MockServerHttpRequest request = MockServerHttpRequest.get("/page.html").header(row[0], row[1])
					.header(row[2], row[3]).build();
			ServerWebExchange exchange = Exchanges.exchange(request, factory);
			exchange.getAttributes().put(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE,
					PathPatternParser.defaultInstance.parse("/**"));
			exchange.getAttributes().put(HandlerMapping.PATH_WITHIN_HANDLER_MAPPING_ATTRIBUTE,
					PathContainer.parsePath("page.html"));
			handler.handle(exchange).then(Mono.defer(exchange.getResponse()::setComplete)).block(TIMEOUT);
			Exchanges.Result result = Exchanges.result((MockServerHttpResponse) exchange.getResponse());
			String name = String.join(" ", row);
			assertEquals(Integer.parseInt(row[4]), result.status().value(), name);
			byte[] expected = switch (row[5]) {
				case "range" -> Arrays.copyOfRange(data, 10, 20);
				case "whole" -> data;
				default -> new byte[0];
			};
			assertArrayEquals(expected, result.body(), name);
			assertNoLeak(factory);
		}
	}

	@Test
	void resourcesThatAreNotFilesAreLeftToSpring() {
		MockServerHttpResponse response = new MockServerHttpResponse();
		writer.write(Mono.just(new ByteArrayResource("not a file".getBytes())), null, RESOURCE, null,
				MockServerHttpRequest.get("/").build(), response, Map.of()).block(TIMEOUT);
		assertEquals("not a file", response.getBodyAsString().block(TIMEOUT));
	}

	@Test
	void pooledBuffersAreAllReleased() {
		DataBufferFactory factory = BufferFactories.pooled(true);
		for (String range : new String[] {null, "bytes=5-100000", "bytes=1-2,7-9"}) {
			MockServerHttpRequest.BaseBuilder<?> request = MockServerHttpRequest.get("/");
			if (range != null) {
				request.header("Range", range);
			}
			body(write(request, factory));
		}
		MockServerHttpResponse response = write(MockServerHttpRequest.get("/"), factory);
		response.getBody().take(1).doOnNext(DataBufferUtils::release).blockLast(TIMEOUT);
		response.getBody().doOnNext(DataBufferUtils::release).blockLast(TIMEOUT);
		assertNoLeak(factory);
	}

	private MockServerHttpResponse write(MockServerHttpRequest.BaseBuilder<?> request, DataBufferFactory factory) {
		MockServerHttpResponse response = factory != null ? new MockServerHttpResponse(factory) : new MockServerHttpResponse();
		writer.write(Mono.just(new FileSystemResource(file)), null, RESOURCE, null, request.build(), response, Map.of())
				.block(TIMEOUT);
		return response;
	}

	private static byte[] body(MockServerHttpResponse response) {
		DataBuffer joined = DataBufferUtils.join(response.getBody()).block(TIMEOUT);
		if (joined == null) {
			return new byte[0];
		}
		byte[] bytes = AioDataBufferUtilsTest.bytes(joined);
		DataBufferUtils.release(joined);
		return bytes;
	}
}
