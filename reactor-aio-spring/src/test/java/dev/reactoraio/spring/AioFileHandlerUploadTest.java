package dev.reactoraio.spring;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import dev.reactoraio.AioResources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.core.ResolvableType;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.NettyDataBuffer;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.codec.multipart.DefaultPartHttpMessageReader;
import org.springframework.http.codec.multipart.FilePart;
import org.springframework.http.codec.multipart.FilePartEvent;
import org.springframework.http.codec.multipart.Part;
import org.springframework.http.codec.multipart.PartEvent;
import org.springframework.http.codec.multipart.PartEventHttpMessageReader;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.web.server.ContentTooLargeException;
import org.springframework.web.server.ResponseStatusException;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static dev.reactoraio.spring.BufferFactories.assertNoLeak;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link AioFileHandler#storeParts} and {@link AioFileHandler#store} on multipart bodies parsed by
 * Spring's own readers from buffers of the leak-detecting factories: what lands on disk, that a failed
 * or cancelled upload leaves nothing (no target touched, no temporary file), and that every buffer
 * (the request's, the parser's slices of them, the parts') is released whatever happens.
 */
class AioFileHandlerUploadTest {

	private static final String FACTORIES = "dev.reactoraio.spring.BufferFactories#all";
	private static final Duration TIMEOUT = Duration.ofSeconds(20);
	private static final String BOUNDARY = "aio-boundary-7d1f";
	private static final int CHUNK = 8192;

	private static AioResources resources;

	@TempDir
	Path dir;

	private AioFileHandler handler;
	private final Random random = new Random(34651);

	@BeforeAll
	static void startLoops() {
		resources = AioResources.builder("upload-test").build();
	}

	@AfterAll
	static void stopLoops() {
		resources.disposeLater().block(TIMEOUT);
	}

	@BeforeEach
	void createHandler() {
		handler = new AioFileHandler(new AioResourceHttpMessageWriter(), resources);
	}

	@ParameterizedTest
	@MethodSource(FACTORIES)
	void storesEveryFilePartAndSkipsTheRest(DataBufferFactory factory) throws IOException {
		byte[] first = bytes(300_001);
		byte[] second = bytes(70_000);
		Files.writeString(dir.resolve("b.bin"), "an older version");
		Body body = new Body()
				.field("description", "two files")
				.file("upload", "a.bin", first)
				.part("raw", new byte[] {1, 2, 3})
				.file("upload", "b.bin", second)
				.file("empty", "empty.bin", new byte[0]);
		List<AioFileHandler.StoredFile> stored = handler.storeParts(events(body, factory, CHUNK),
				event -> Mono.just(dir.resolve(event.filename())), 1 << 20).block(TIMEOUT);
		assertEquals(3, stored.size());
		assertEquals(new AioFileHandler.StoredFile("upload", "a.bin", dir.resolve("a.bin"), first.length, false),
				stored.get(0));
		assertEquals(new AioFileHandler.StoredFile("upload", "b.bin", dir.resolve("b.bin"), second.length, true),
				stored.get(1));
		assertEquals(0, stored.get(2).size());
		assertArrayEquals(first, Files.readAllBytes(dir.resolve("a.bin")));
		assertArrayEquals(second, Files.readAllBytes(dir.resolve("b.bin")));
		assertEquals(0, Files.size(dir.resolve("empty.bin")));
		assertOnlyFiles("a.bin", "b.bin", "empty.bin");
		assertNoLeak(factory);
	}

	@ParameterizedTest
	@MethodSource(FACTORIES)
	void anEmptyTargetSkipsThePartAndTargetsMayBeNested(DataBufferFactory factory) throws IOException {
		byte[] kept = bytes(20_000);
		Body body = new Body().file("f", "skip.bin", bytes(50_000)).file("f", "keep.bin", kept);
		List<AioFileHandler.StoredFile> stored = handler.storeParts(events(body, factory, 1000),
				event -> event.filename().startsWith("skip") ? Mono.empty()
						: Mono.just(dir.resolve("new/dir").resolve(event.filename())), 1 << 20).block(TIMEOUT);
		assertEquals(1, stored.size());
		assertArrayEquals(kept, Files.readAllBytes(dir.resolve("new/dir/keep.bin")));
		assertFalse(Files.exists(dir.resolve("skip.bin")));
		assertNoLeak(factory);
	}

	/** The limit covers the file parts together; past it, nothing of the upload stays: all or nothing. */
	@ParameterizedTest
	@MethodSource(FACTORIES)
	void pastTheLimitNothingIsStored(DataBufferFactory factory) throws IOException {
		Files.writeString(dir.resolve("a.bin"), "old a");
		Body body = new Body().file("f", "a.bin", bytes(60_000)).file("f", "b.bin", bytes(60_000));
		StepVerifier.create(handler.storeParts(events(body, factory, CHUNK),
						event -> Mono.just(dir.resolve(event.filename())), 100_000))
				.expectErrorSatisfies(error -> {
					assertInstanceOf(ContentTooLargeException.class, error);
					assertEquals(HttpStatus.CONTENT_TOO_LARGE, ((ResponseStatusException) error).getStatusCode());
				})
				.verify(TIMEOUT);
		assertEquals("old a", Files.readString(dir.resolve("a.bin")), "the first part replaced its target");
		assertOnlyFiles("a.bin");
		assertNoLeak(factory);
	}

	/**
	 * The 413 comes as the limit passes, not at the end of the body: here the body never ends. (Events
	 * of the test's own: Spring's reader, cancelled in the middle of parsing, can lose a buffer of its
	 * own, whoever subscribes.)
	 */
	@ParameterizedTest
	@MethodSource(FACTORIES)
	void theLimitFailsTheUploadBeforeTheBodyEnds(DataBufferFactory factory) throws IOException {
		Flux<PartEvent> events = Flux.concat(Flux.range(0, 30).map(i -> (PartEvent) new FileEvent(
				headers("f", "a.bin"), copy(factory, bytes(CHUNK), 0, CHUNK), false)), Flux.never());
		StepVerifier.create(handler.storeParts(events, event -> Mono.just(dir.resolve(event.filename())), 100_000))
				.expectError(ContentTooLargeException.class)
				.verify(TIMEOUT);
		assertOnlyFiles();
		assertNoLeak(factory);
	}

	/**
	 * The body is parsed whole before the upload starts, and the upload releases the events it does not
	 * take: the 409 comes as soon as the second part begins, and Spring's reader, cancelled in the middle
	 * of parsing, can lose a buffer of its own (its boundary matcher holds it), whoever subscribes. That
	 * failed this test once in a few hundred runs.
	 */
	@ParameterizedTest
	@MethodSource(FACTORIES)
	void aDirectoryTargetIs409AndLeavesNothing(DataBufferFactory factory) throws IOException {
		Files.createDirectories(dir.resolve("taken"));
		Body body = new Body().file("f", "a.bin", bytes(30_000)).file("f", "taken", bytes(30_000));
		List<PartEvent> parsed = events(body, factory, CHUNK).collectList().block(TIMEOUT);
		StepVerifier.create(handler.storeParts(Flux.fromIterable(parsed),
						event -> Mono.just(dir.resolve(event.filename())), 1 << 20))
				.expectErrorSatisfies(error -> assertEquals(HttpStatus.CONFLICT,
						((ResponseStatusException) error).getStatusCode()))
				.verify(TIMEOUT);
		assertTrue(Files.isDirectory(dir.resolve("taken")));
		assertOnlyFiles();
		assertNoLeak(factory);
	}

	/**
	 * The target function refuses the second part (on a thread of its own, as a real check does, by
	 * when Spring's reader has parsed the whole body: cancelled in the middle of parsing, it can lose a
	 * buffer of its own, whoever subscribes).
	 */
	@ParameterizedTest
	@MethodSource(FACTORIES)
	void aFailingTargetFunctionFailsTheUpload(DataBufferFactory factory) throws IOException {
		Body body = new Body().file("f", "a.bin", bytes(30_000)).file("f", "../escape.bin", bytes(30_000));
		StepVerifier.create(handler.storeParts(events(body, factory, CHUNK), event -> event.filename().contains("..")
						? Mono.delay(Duration.ofMillis(20)).then(Mono.error(new IllegalArgumentException("refused")))
						: Mono.just(dir.resolve(event.filename())), 1 << 20))
				.expectErrorMessage("refused")
				.verify(TIMEOUT);
		assertOnlyFiles();
		assertNoLeak(factory);
	}

	/** A body that ends before its closing boundary: the parser's error, and nothing left. */
	@ParameterizedTest
	@MethodSource(FACTORIES)
	void aTruncatedBodyFailsAndLeavesNothing(DataBufferFactory factory) throws IOException {
		byte[] whole = new Body().file("f", "a.bin", bytes(40_000)).file("f", "b.bin", bytes(40_000)).bytes();
		Flux<PartEvent> events = events(Arrays.copyOf(whole, whole.length - 30_000), factory, CHUNK);
		StepVerifier.create(handler.storeParts(events, event -> Mono.just(dir.resolve(event.filename())), 1 << 20))
				.expectError()
				.verify(TIMEOUT);
		assertOnlyFiles();
		assertNoLeak(factory);
	}

	/**
	 * The client goes away mid-upload, while blocks are being written: events arrive one every two
	 * milliseconds (each buffer made as it is emitted, as a server's are), and the upload is cancelled at
	 * a different moment each round. Nothing is left, and every buffer is released exactly once, those
	 * the kernel was writing included. The events come through a {@code concatMap} of scalars, as
	 * Spring's reader emits them: cancelled, it discards the last event again after emitting it. Each
	 * buffer carries one reference of the test's own, so that a second release shows (as a count of
	 * zero).
	 */
	@ParameterizedTest
	@MethodSource(FACTORIES)
	void aCancelledUploadReleasesEveryBufferOnceAndLeavesNothing(DataBufferFactory factory) throws IOException {
		for (int round = 0; round < 10; round++) {
			List<DataBuffer> made = new CopyOnWriteArrayList<>();
			Flux<PartEvent> events = Flux.interval(Duration.ofMillis(2)).onBackpressureDrop().take(200)
					.concatMap(i -> {
						DataBuffer buffer = copy(factory, bytes(CHUNK), 0, CHUNK);
						DataBufferUtils.retain(buffer);
						made.add(buffer);
						return Mono.just((PartEvent) new FileEvent(headers("f", i < 100 ? "a.bin" : "b.bin"), buffer,
								i == 99 || i == 199));
					});
			List<Object> outcome = new CopyOnWriteArrayList<>();
			Disposable upload = handler.storeParts(events, event -> Mono.just(dir.resolve(event.filename())), 1 << 30)
					.subscribe(outcome::add, outcome::add);
			waitFor(() -> temporaries() == 1 || !outcome.isEmpty(), "the temporary file");
			assertEquals(List.of(), outcome, "round " + round);
			AioDataBufferUtilsTest.sleep(round * 15);
			upload.dispose();
			waitFor(() -> temporaries() == 0, "the temporary files deleted");
			assertOnlyFiles();
			waitFor(() -> made.stream().allMatch(buffer -> references(buffer) <= 1), "every buffer released");
			AioDataBufferUtilsTest.sleep(100);
			for (int k = 0; k < made.size(); k++) {
				int references = references(made.get(k));
				assertTrue(references == 1 || references == -1,
						"round " + round + ", buffer " + k + " of " + made.size() + ": " + references + " references");
				DataBufferUtils.release(made.get(k));
			}
			assertNoLeak(factory);
		}
	}

	/** The references to a Netty buffer, -1 for buffers that do not count them. */
	private static int references(DataBuffer buffer) {
		return buffer instanceof NettyDataBuffer netty ? netty.getNativeBuffer().refCnt() : -1;
	}

	/**
	 * The same through Spring's streaming reader: part of a body has arrived (in later rounds, blocks of
	 * it are written), the rest never comes, the client goes away. (Cancelled once the parser has taken
	 * every buffer sent and is idle: Spring's {@code PartEventHttpMessageReader} itself can lose a buffer
	 * when it is cancelled in the middle of parsing, with any subscriber; that race is not this
	 * library's to test.)
	 */
	@ParameterizedTest
	@MethodSource(FACTORIES)
	void aClientThatGoesAwayThroughSpringsReaderLeavesNothing(DataBufferFactory factory) throws IOException {
		byte[] whole = new Body().file("f", "a.bin", bytes(1_200_000)).bytes();
		for (int round = 0; round < 4; round++) {
			int sent = whole.length * (round + 1) / 5;
			int count = (sent + CHUNK - 1) / CHUNK;
			AtomicInteger taken = new AtomicInteger();
			Flux<DataBuffer> part = Flux.concat(chunks(Arrays.copyOf(whole, sent), factory, CHUNK)
					.doOnNext(buffer -> taken.incrementAndGet()), Flux.never());
			Flux<PartEvent> events = new PartEventHttpMessageReader().read(ResolvableType.forClass(PartEvent.class),
					request(part, factory), Map.of());
			Disposable upload = handler.storeParts(events, event -> Mono.just(dir.resolve(event.filename())), 1 << 30)
					.subscribe();
			waitFor(() -> temporaries() == 1, "the temporary file");
			waitFor(() -> taken.get() == count, "every buffer sent taken");
			AioDataBufferUtilsTest.sleep(100);
			upload.dispose();
			waitFor(() -> temporaries() == 0, "the temporary file deleted");
			assertOnlyFiles();
			assertNoLeak(factory);
		}
	}

	/** A file part event of the test's own, for event streams with no parser in between. */
	record FileEvent(HttpHeaders headers, DataBuffer content, boolean isLast) implements FilePartEvent {
	}

	private static HttpHeaders headers(String name, String filename) {
		HttpHeaders headers = new HttpHeaders();
		headers.setContentDisposition(ContentDisposition.formData().name(name).filename(filename).build());
		return headers;
	}

	@ParameterizedTest
	@MethodSource(FACTORIES)
	void storesAFilePartInMemoryOrOnSpringsDisk(DataBufferFactory factory) throws IOException {
		byte[] small = bytes(100_000);
		byte[] large = bytes(700_000);
		Body body = new Body().file("small", "small.bin", small).file("large", "large.bin", large);
		List<Part> parts = parts(body, factory);
		for (Part part : parts) {
			FilePart file = (FilePart) part;
			AioFileHandler.StoredFile stored = handler.store(file, dir.resolve("stored-" + file.filename()), 1 << 20)
					.block(TIMEOUT);
			assertEquals(file.filename(), stored.filename());
			assertEquals(part.name(), stored.name());
			assertFalse(stored.replaced());
		}
		assertArrayEquals(small, Files.readAllBytes(dir.resolve("stored-small.bin")));
		assertArrayEquals(large, Files.readAllBytes(dir.resolve("stored-large.bin")));
		assertOnlyFiles("stored-large.bin", "stored-small.bin");
		parts.forEach(part -> part.delete().block(TIMEOUT));
		assertNoLeak(factory);
	}

	@ParameterizedTest
	@MethodSource(FACTORIES)
	void aFilePartPastTheLimitIs413AndLeavesTheTargetAlone(DataBufferFactory factory) throws IOException {
		Files.writeString(dir.resolve("target.bin"), "old");
		Body body = new Body().file("f", "small.bin", bytes(100_000)).file("g", "large.bin", bytes(400_000));
		List<Part> parts = parts(body, factory);
		for (Part part : parts) {
			StepVerifier.create(handler.store((FilePart) part, dir.resolve("target.bin"), 50_000))
					.expectError(ContentTooLargeException.class)
					.verify(TIMEOUT);
		}
		assertEquals("old", Files.readString(dir.resolve("target.bin")));
		assertOnlyFiles("target.bin");
		parts.forEach(part -> part.delete().block(TIMEOUT));
		assertNoLeak(factory);
	}

	// ---- multipart bodies ----

	/** A multipart/form-data body, built by hand. */
	static final class Body {
		private final ByteArrayOutputStream out = new ByteArrayOutputStream();

		Body field(String name, String value) {
			return section("Content-Disposition: form-data; name=\"" + name + "\"\r\n",
					value.getBytes(StandardCharsets.UTF_8));
		}

		Body file(String name, String filename, byte[] content) {
			return section("Content-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename
					+ "\"\r\nContent-Type: application/octet-stream\r\n", content);
		}

		Body part(String name, byte[] content) {
			return section("Content-Disposition: form-data; name=\"" + name
					+ "\"\r\nContent-Type: application/octet-stream\r\n", content);
		}

		private Body section(String headers, byte[] content) {
			out.writeBytes(("--" + BOUNDARY + "\r\n" + headers + "\r\n").getBytes(StandardCharsets.UTF_8));
			out.writeBytes(content);
			out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
			return this;
		}

		byte[] bytes() {
			byte[] sections = out.toByteArray();
			byte[] end = ("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8);
			byte[] all = Arrays.copyOf(sections, sections.length + end.length);
			System.arraycopy(end, 0, all, sections.length, end.length);
			return all;
		}
	}

	private static MockServerHttpRequest request(Flux<DataBuffer> body, DataBufferFactory factory) {
		return MockServerHttpRequest.post("/upload")
				.contentType(MediaType.parseMediaType("multipart/form-data;boundary=" + BOUNDARY))
				.body(body);
	}

	/** The events Spring's streaming reader makes of the body, arriving in chunks of the factory's buffers. */
	private static Flux<PartEvent> events(Body body, DataBufferFactory factory, int chunk) {
		return events(body.bytes(), factory, chunk);
	}

	private static Flux<PartEvent> events(byte[] bytes, DataBufferFactory factory, int chunk) {
		return new PartEventHttpMessageReader().read(ResolvableType.forClass(PartEvent.class),
				request(chunks(bytes, factory, chunk), factory), Map.of());
	}

	/** The parts Spring's default reader makes of the body (over 256 KiB: in a temporary file of its own). */
	private static List<Part> parts(Body body, DataBufferFactory factory) {
		return new DefaultPartHttpMessageReader().read(ResolvableType.forClass(Part.class),
				request(chunks(body.bytes(), factory, CHUNK), factory), Map.of()).collectList().block(TIMEOUT);
	}

	private static Flux<DataBuffer> chunks(byte[] bytes, DataBufferFactory factory, int chunk) {
		return Flux.range(0, (bytes.length + chunk - 1) / chunk)
				.map(i -> copy(factory, bytes, i * chunk, Math.min(bytes.length, (i + 1) * chunk)));
	}

	private static DataBuffer copy(DataBufferFactory factory, byte[] bytes, int from, int to) {
		DataBuffer buffer = factory.allocateBuffer(to - from);
		buffer.write(bytes, from, to - from);
		return buffer;
	}

	private byte[] bytes(int length) {
		byte[] bytes = new byte[length];
		random.nextBytes(bytes);
		return bytes;
	}

	/** The temporary files under the directory; -1 when one vanished while they were counted. */
	private long temporaries() {
		try (Stream<Path> files = Files.walk(dir)) {
			return files.filter(p -> p.getFileName().toString().endsWith(".upload")).count();
		}
		catch (IOException | java.io.UncheckedIOException e) {
			return -1;
		}
	}

	private static void waitFor(java.util.function.BooleanSupplier condition, String what) {
		long deadline = System.nanoTime() + TIMEOUT.toNanos();
		while (!condition.getAsBoolean()) {
			assertFalse(System.nanoTime() > deadline, "waited in vain for " + what);
			AioDataBufferUtilsTest.sleep(10);
		}
	}

	/** Exactly these regular files under the directory (any depth), none of them temporary. */
	private void assertOnlyFiles(String... names) throws IOException {
		List<String> expected = Stream.of(names).sorted().toList();
		List<String> actual = new ArrayList<>();
		try (Stream<Path> files = Files.walk(dir)) {
			files.filter(Files::isRegularFile).forEach(p -> actual.add(dir.relativize(p).toString()));
		}
		actual.sort(null);
		List<String> expectedNames = expected.stream().map(n -> Path.of(n).getFileName().toString()).toList();
		List<String> actualNames = actual.stream().map(n -> Path.of(n).getFileName().toString()).sorted().toList();
		assertEquals(expectedNames, actualNames, "files: " + actual);
	}
}
