package dev.reactoraio.spring;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.reactoraio.AioResources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static dev.reactoraio.spring.BufferFactories.assertNoLeak;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The preconditions of RFC 9110 §13.2.2, one named row each, through {@link AioFileHandler#serve}
 * ({@code GET}, {@code HEAD}) and {@link AioFileHandler#receive} ({@code PUT}): each row asserts the
 * status, the body (the whole file, the range, or nothing), the validators sent, what a {@code PUT}
 * left on disk, and that every buffer was released (request and response buffers come from the
 * leak-detecting factories of {@link BufferFactories}).
 * <p>
 * Header values use placeholders: {@code {etag}} is the file's current strong entity tag,
 * {@code {weak}} the same tag marked weak, {@code {lm}} its {@code Last-Modified} as an HTTP-date,
 * {@code {lm-1}} and {@code {lm+1}} one second before and after.
 */
class ConditionalRequestsTest {

	private static final Duration TIMEOUT = Duration.ofSeconds(20);
	/** The file's modification time: with milliseconds, which HTTP-dates drop. */
	private static final Instant MODIFIED = Instant.parse("2024-05-01T10:00:00.400Z");
	private static final byte[] UPLOAD = "the new version".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

	private static AioResources resources;

	@TempDir
	Path dir;

	private byte[] data;
	private Path file;
	private AioFileHandler handler;

	/** What the body of a response must be. */
	enum Body {
		/** The whole file. */
		WHOLE,
		/** {@code Range: bytes=0-4} served: the first five bytes, {@code Content-Range} set. */
		RANGE,
		/** No body. */
		EMPTY
	}

	/** What a {@code PUT} leaves on disk. */
	enum Disk {
		/** Not a PUT. */
		NONE,
		/** The file has the uploaded bytes. */
		NEW,
		/** The file is as before. */
		OLD,
		/** There is no file. */
		ABSENT
	}

	/**
	 * One row: the request (method, whether the file exists, headers) and what must come of it.
	 */
	record Row(String name, HttpMethod method, boolean exists, Map<String, String> headers, int status, Body body,
			Disk disk) {

		@Override
		public String toString() {
			return name;
		}
	}

	@BeforeAll
	static void startLoops() {
		resources = AioResources.builder("conditional-test").build();
	}

	@AfterAll
	static void stopLoops() {
		resources.disposeLater().block(TIMEOUT);
	}

	@BeforeEach
	void createFile() throws IOException {
		data = new byte[100_000];
		new Random(9110).nextBytes(data);
		file = Files.write(dir.resolve("data.bin"), data);
		Files.setLastModifiedTime(file, FileTime.from(MODIFIED));
		handler = new AioFileHandler(new AioResourceHttpMessageWriter(16 * 1024,
				AioResourceHttpMessageWriter.ZeroCopyPolicy.NEVER, resources), resources);
	}

	static Stream<Row> rows() {
		return Stream.of(
				// GET: step 1, If-Match (strong comparison)
				get("no precondition: 200, the file", h(), 200, Body.WHOLE),
				get("step 1: If-Match the current tag: 200", h("If-Match", "{etag}"), 200, Body.WHOLE),
				get("step 1: If-Match another tag: 412", h("If-Match", "\"other\""), 412, Body.EMPTY),
				get("step 1: If-Match * on an existing file: 200", h("If-Match", "*"), 200, Body.WHOLE),
				get("step 1: If-Match the weak form of the tag (strong comparison): 412", h("If-Match", "{weak}"),
						412, Body.EMPTY),
				get("step 1: If-Match a list holding the tag: 200", h("If-Match", "\"a\", {etag}"), 200, Body.WHOLE),
				get("step 1: If-Match that does not parse matches nothing: 412", h("If-Match", "no-quotes"), 412,
						Body.EMPTY),
				// step 2, If-Unmodified-Since, only without If-Match
				get("step 2: If-Unmodified-Since the Last-Modified: 200", h("If-Unmodified-Since", "{lm}"), 200,
						Body.WHOLE),
				get("step 2: If-Unmodified-Since a second earlier: 412", h("If-Unmodified-Since", "{lm-1}"), 412,
						Body.EMPTY),
				get("step 2: If-Unmodified-Since not a date is ignored: 200", h("If-Unmodified-Since", "yesterday"),
						200, Body.WHOLE),
				get("step 2: If-Unmodified-Since is ignored after If-Match: 200",
						h("If-Match", "{etag}", "If-Unmodified-Since", "{lm-1}"), 200, Body.WHOLE),
				get("step 1 before step 3: If-Match fails, If-None-Match would pass: 412",
						h("If-Match", "\"other\"", "If-None-Match", "\"other\""), 412, Body.EMPTY),
				// step 3, If-None-Match (weak comparison)
				get("step 3: If-None-Match the current tag: 304", h("If-None-Match", "{etag}"), 304, Body.EMPTY),
				get("step 3: If-None-Match the weak form (weak comparison): 304", h("If-None-Match", "{weak}"), 304,
						Body.EMPTY),
				get("step 3: If-None-Match another tag: 200", h("If-None-Match", "\"other\""), 200, Body.WHOLE),
				get("step 3: If-None-Match * on an existing file: 304", h("If-None-Match", "*"), 304, Body.EMPTY),
				get("step 3: If-None-Match a list holding the tag: 304", h("If-None-Match", "\"a\", W/\"b\", {etag}"),
						304, Body.EMPTY),
				get("steps 1 and 3: If-Match passes, then If-None-Match matches: 304",
						h("If-Match", "{etag}", "If-None-Match", "{etag}"), 304, Body.EMPTY),
				get("steps 2 and 3: If-Unmodified-Since passes, then If-None-Match matches: 304",
						h("If-Unmodified-Since", "{lm}", "If-None-Match", "{etag}"), 304, Body.EMPTY),
				// step 4, If-Modified-Since, only without If-None-Match
				get("step 4: If-Modified-Since is ignored after If-None-Match: 200",
						h("If-None-Match", "\"other\"", "If-Modified-Since", "{lm}"), 200, Body.WHOLE),
				get("step 4: If-None-Match decides over a stale If-Modified-Since: 304",
						h("If-None-Match", "{etag}", "If-Modified-Since", "{lm-1}"), 304, Body.EMPTY),
				get("step 4: If-Modified-Since the Last-Modified: 304", h("If-Modified-Since", "{lm}"), 304,
						Body.EMPTY),
				get("step 4: If-Modified-Since a second later: 304", h("If-Modified-Since", "{lm+1}"), 304,
						Body.EMPTY),
				get("step 4: If-Modified-Since a second earlier: 200", h("If-Modified-Since", "{lm-1}"), 200,
						Body.WHOLE),
				get("step 4: If-Modified-Since not a date is ignored: 200", h("If-Modified-Since", "soon"), 200,
						Body.WHOLE),
				// step 5, Range and If-Range (strong comparison, or an exact date)
				get("step 5: Range: 206", h("Range", "bytes=0-4"), 206, Body.RANGE),
				get("step 5: If-Range the current tag: 206", h("Range", "bytes=0-4", "If-Range", "{etag}"), 206,
						Body.RANGE),
				get("step 5: If-Range an old tag: 200, the whole file", h("Range", "bytes=0-4", "If-Range", "\"old\""),
						200, Body.WHOLE),
				get("step 5: If-Range the weak form (strong comparison): 200",
						h("Range", "bytes=0-4", "If-Range", "{weak}"), 200, Body.WHOLE),
				get("step 5: If-Range the Last-Modified date: 206", h("Range", "bytes=0-4", "If-Range", "{lm}"), 206,
						Body.RANGE),
				get("step 5: If-Range another date: 200", h("Range", "bytes=0-4", "If-Range", "{lm-1}"), 200,
						Body.WHOLE),
				get("step 5: If-Range that does not parse: 200", h("Range", "bytes=0-4", "If-Range", "nonsense"), 200,
						Body.WHOLE),
				get("step 5: If-Range without Range is ignored: 200", h("If-Range", "\"old\""), 200, Body.WHOLE),
				get("step 5: Range past the end: 416", h("Range", "bytes=200000-"), 416, Body.EMPTY),
				get("step 5: Range past the end with a stale If-Range is ignored: 200",
						h("Range", "bytes=200000-", "If-Range", "\"old\""), 200, Body.WHOLE),
				get("steps 3 before 5: If-None-Match matches a ranged request: 304",
						h("Range", "bytes=0-4", "If-Range", "{etag}", "If-None-Match", "{etag}"), 304, Body.EMPTY),
				get("steps 1 before 5: If-Match fails a ranged request: 412",
						h("Range", "bytes=0-4", "If-Match", "\"other\""), 412, Body.EMPTY),
				get("steps 1 and 5: If-Match and If-Range both current: 206",
						h("Range", "bytes=0-4", "If-Match", "{etag}", "If-Range", "{etag}"), 206, Body.RANGE),
				// HEAD: the same preconditions, no Range (RFC 9110 §14.2: GET only)
				row("HEAD: 200, the headers of the whole file", HttpMethod.HEAD, true, h(), 200, Body.EMPTY, Disk.NONE),
				row("HEAD: If-None-Match the current tag: 304", HttpMethod.HEAD, true, h("If-None-Match", "{etag}"),
						304, Body.EMPTY, Disk.NONE),
				row("HEAD: If-Modified-Since the Last-Modified: 304", HttpMethod.HEAD, true,
						h("If-Modified-Since", "{lm}"), 304, Body.EMPTY, Disk.NONE),
				row("HEAD: If-Match another tag: 412", HttpMethod.HEAD, true, h("If-Match", "\"other\""), 412,
						Body.EMPTY, Disk.NONE),
				row("HEAD: Range is ignored: 200", HttpMethod.HEAD, true, h("Range", "bytes=0-4"), 200, Body.EMPTY,
						Disk.NONE),
				// a missing file: preconditions are ignored when the answer would not be 2xx (§13.2.1)
				row("missing file: If-Match * is not evaluated: 404", HttpMethod.GET, false, h("If-Match", "*"), 404,
						Body.EMPTY, Disk.NONE),
				row("missing file: If-None-Match * is not evaluated: 404", HttpMethod.GET, false,
						h("If-None-Match", "*"), 404, Body.EMPTY, Disk.NONE),
				// PUT over an existing file
				put("PUT: no precondition: 204, replaced", true, h(), 204, Disk.NEW),
				put("PUT step 1: If-Match the current tag: 204", true, h("If-Match", "{etag}"), 204, Disk.NEW),
				put("PUT step 1: If-Match an old tag: 412, untouched", true, h("If-Match", "\"old\""), 412, Disk.OLD),
				put("PUT step 1: If-Match *: 204", true, h("If-Match", "*"), 204, Disk.NEW),
				put("PUT step 1: If-Match the weak form (strong comparison): 412", true, h("If-Match", "{weak}"), 412,
						Disk.OLD),
				put("PUT step 2: If-Unmodified-Since a second earlier: 412", true, h("If-Unmodified-Since", "{lm-1}"),
						412, Disk.OLD),
				put("PUT step 2: If-Unmodified-Since the Last-Modified: 204", true, h("If-Unmodified-Since", "{lm}"),
						204, Disk.NEW),
				put("PUT step 2: If-Unmodified-Since is ignored after If-Match: 204", true,
						h("If-Match", "{etag}", "If-Unmodified-Since", "{lm-1}"), 204, Disk.NEW),
				put("PUT step 3: If-None-Match *: 412, not replaced", true, h("If-None-Match", "*"), 412, Disk.OLD),
				put("PUT step 3: If-None-Match the current tag: 412 (304 is for GET and HEAD)", true,
						h("If-None-Match", "{etag}"), 412, Disk.OLD),
				put("PUT step 3: If-None-Match the weak form (weak comparison): 412", true,
						h("If-None-Match", "{weak}"), 412, Disk.OLD),
				put("PUT step 3: If-None-Match another tag: 204", true, h("If-None-Match", "\"other\""), 204, Disk.NEW),
				put("PUT step 4: If-Modified-Since is for GET and HEAD only: 204", true,
						h("If-Modified-Since", "{lm}"), 204, Disk.NEW),
				put("PUT step 5: Range and If-Range are for GET only: 204", true,
						h("Range", "bytes=0-4", "If-Range", "\"old\""), 204, Disk.NEW),
				// PUT of a new file
				put("PUT new: no precondition: 201", false, h(), 201, Disk.NEW),
				put("PUT new step 1: If-Match * with no file: 412, nothing created", false, h("If-Match", "*"), 412,
						Disk.ABSENT),
				put("PUT new step 1: If-Match a tag with no file: 412", false, h("If-Match", "\"old\""), 412,
						Disk.ABSENT),
				put("PUT new step 2: If-Unmodified-Since with no file is ignored: 201", false,
						h("If-Unmodified-Since", "{lm}"), 201, Disk.NEW),
				put("PUT new step 3: If-None-Match * with no file: 201", false, h("If-None-Match", "*"), 201, Disk.NEW));
	}

	static Stream<Arguments> rowsAndFactories() {
		return rows().flatMap(row -> BufferFactories.all()
				.map(factory -> Arguments.of(Named.of(row.name(), row), factory.get()[0])));
	}

	@ParameterizedTest(name = "{0} [{1}]")
	@MethodSource("rowsAndFactories")
	void rfc9110Row(Row row, DataBufferFactory factory) throws IOException {
		if (!row.exists()) {
			Files.delete(file);
		}
		Map<String, String> values = placeholders();
		MockServerHttpRequest.BodyBuilder request = MockServerHttpRequest.method(row.method(), "/data.bin");
		row.headers().forEach((name, value) -> request.header(name, substitute(value, values)));
		Exchanges.Result result;
		if (row.method() == HttpMethod.PUT) {
			Flux<DataBuffer> body = Flux.defer(() -> Flux.just(copy(factory, UPLOAD, 0, 6),
					copy(factory, UPLOAD, 6, UPLOAD.length)));
			result = Exchanges.run(request.body(body), factory, r -> handler.receive(r, file, 1 << 20));
		}
		else {
			result = Exchanges.run(request.build(), factory, r -> handler.serve(r, file));
		}
		HttpHeaders headers = result.headers();
		assertAll(row.name(),
				() -> assertEquals(row.status(), result.status().value(), "status"),
				() -> assertArrayEquals(expectedBody(row.body()), result.body(), "body"),
				() -> assertNull(headers.getFirst(HttpHeaders.VARY), "Vary is left alone"),
				() -> assertValidators(row, headers, values));
		if (row.body() == Body.RANGE) {
			assertEquals("bytes 0-4/" + data.length, headers.getFirst(HttpHeaders.CONTENT_RANGE));
		}
		if (row.method() == HttpMethod.HEAD && row.status() == 200) {
			assertEquals(data.length, headers.getContentLength(), "HEAD: the length of the whole file");
			assertNull(headers.getFirst(HttpHeaders.CONTENT_RANGE));
		}
		assertDisk(row.disk());
		assertNoLeak(factory);
	}

	private void assertValidators(Row row, HttpHeaders headers, Map<String, String> values) throws IOException {
		if (row.method() == HttpMethod.PUT) {
			if (row.status() < 300) {
				assertEquals(etag(file), headers.getETag(), "the stored file's ETag");
			}
			return;
		}
		if (row.status() == 200 || row.status() == 206 || row.status() == 304) {
			assertEquals(values.get("{etag}"), headers.getETag(), "ETag");
			assertEquals(MODIFIED.toEpochMilli() / 1000 * 1000, headers.getLastModified(), "Last-Modified");
		}
		if (row.status() == 200 || row.status() == 206) {
			assertEquals("bytes", headers.getFirst(HttpHeaders.ACCEPT_RANGES), "Accept-Ranges");
		}
	}

	private void assertDisk(Disk disk) throws IOException {
		switch (disk) {
			case NEW -> assertArrayEquals(UPLOAD, Files.readAllBytes(file));
			case OLD -> assertArrayEquals(data, Files.readAllBytes(file));
			case ABSENT -> assertFalse(Files.exists(file));
			case NONE -> {
			}
		}
		try (Stream<Path> files = Files.list(dir)) {
			assertEquals(List.of(), files.filter(p -> p.getFileName().toString().endsWith(".upload")).toList(),
					"temporary files left behind");
		}
	}

	/**
	 * The precondition is checked again just before the rename: a PUT with {@code If-Match} of the
	 * version that was current when it started, over a file another writer replaced while the body was
	 * arriving, gets 412 and leaves the other writer's file.
	 */
	@ParameterizedTest
	@MethodSource("dev.reactoraio.spring.BufferFactories#all")
	void aReplacementDuringTheUploadFailsIfMatch(DataBufferFactory factory) throws IOException {
		String etag = etag(file);
		byte[] other = "another writer's version".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
		Flux<DataBuffer> body = Flux.concat(Mono.fromCallable(() -> copy(factory, UPLOAD, 0, 6)),
				Mono.fromCallable(() -> {
					Path temp = Files.write(dir.resolve("other.tmp"), other);
					Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
							java.nio.file.StandardCopyOption.REPLACE_EXISTING);
					return copy(factory, UPLOAD, 6, UPLOAD.length);
				}));
		Exchanges.Result result = Exchanges.run(MockServerHttpRequest.put("/data.bin").header("If-Match", etag)
				.body(body), factory, r -> handler.receive(r, file, 1 << 20));
		assertEquals(412, result.status().value());
		assertArrayEquals(other, Files.readAllBytes(file));
		assertDisk(Disk.NONE);
		assertNoLeak(factory);
	}

	/**
	 * A Last-Modified date is a strong validator only once its second has passed (RFC 9110 §8.8.2.2): a
	 * file whose modification time is not yet a second old (here, in the future, as a clock step or a
	 * file being written can leave it) cannot satisfy a date If-Range.
	 */
	@Test
	void aDateIfRangeIsNotStrongUntilItsSecondHasPassed() throws IOException {
		Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(30)));
		String lm = DateTimeFormatter.RFC_1123_DATE_TIME.format(
				Files.getLastModifiedTime(file).toInstant().atOffset(ZoneOffset.UTC));
		Exchanges.Result result = Exchanges.run(MockServerHttpRequest.get("/data.bin").header("Range", "bytes=0-4")
				.header("If-Range", lm).build(), BufferFactories.pooled(true), r -> handler.serve(r, file));
		assertEquals(200, result.status().value());
		assertArrayEquals(data, result.body());
	}

	private byte[] expectedBody(Body body) {
		return switch (body) {
			case WHOLE -> data;
			case RANGE -> Arrays.copyOf(data, 5);
			case EMPTY -> new byte[0];
		};
	}

	private Map<String, String> placeholders() throws IOException {
		Map<String, String> values = new LinkedHashMap<>();
		String etag = Files.exists(file) ? etag(file) : "\"none\"";
		values.put("{etag}", etag);
		values.put("{weak}", "W/" + etag);
		values.put("{lm-1}", httpDate(MODIFIED.minusSeconds(1)));
		values.put("{lm+1}", httpDate(MODIFIED.plusSeconds(1)));
		values.put("{lm}", httpDate(MODIFIED));
		return values;
	}

	private static String substitute(String value, Map<String, String> values) {
		String result = value;
		for (Map.Entry<String, String> entry : values.entrySet()) {
			result = result.replace(entry.getKey(), entry.getValue());
		}
		return result;
	}

	private static String httpDate(Instant instant) {
		return DateTimeFormatter.RFC_1123_DATE_TIME.format(instant.atOffset(ZoneOffset.UTC));
	}

	/** The tag {@link AioFileHandler} gives: size and modification time in nanoseconds. */
	static String etag(Path file) throws IOException {
		BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
		return "\"" + Long.toHexString(attributes.size()) + "-"
				+ Long.toHexString(attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS)) + "\"";
	}

	private static DataBuffer copy(DataBufferFactory factory, byte[] bytes, int from, int to) {
		DataBuffer buffer = factory.allocateBuffer(to - from);
		buffer.write(bytes, from, to - from);
		return buffer;
	}

	private static Map<String, String> h(String... pairs) {
		Map<String, String> headers = new LinkedHashMap<>();
		for (int i = 0; i < pairs.length; i += 2) {
			headers.put(pairs[i], pairs[i + 1]);
		}
		return headers;
	}

	private static Row get(String name, Map<String, String> headers, int status, Body body) {
		return row("GET " + name, HttpMethod.GET, true, headers, status, body, Disk.NONE);
	}

	private static Row put(String name, boolean exists, Map<String, String> headers, int status, Disk disk) {
		return row(name, HttpMethod.PUT, exists, headers, status, Body.EMPTY, disk);
	}

	private static Row row(String name, HttpMethod method, boolean exists, Map<String, String> headers, int status,
			Body body, Disk disk) {
		return new Row(name, method, exists, headers, status, body, disk);
	}
}
