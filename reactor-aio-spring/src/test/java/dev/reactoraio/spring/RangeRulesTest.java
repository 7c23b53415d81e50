package dev.reactoraio.spring;

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
import java.util.stream.Stream;

import dev.reactoraio.AioResources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.core.ResolvableType;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.http.server.reactive.MockServerHttpResponse;
import reactor.core.publisher.Mono;

import static dev.reactoraio.spring.BufferFactories.assertNoLeak;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cases of Spring's {@code HttpRangeTests} (and the {@code ResourceRegion} rules they check), as
 * responses of {@link AioResourceHttpMessageWriter}: the same ranges over files of the same lengths,
 * each asserted on status, {@code Content-Range}, {@code Content-Length} and the bytes of every part,
 * with the response buffers from a leak-detecting factory.
 */
class RangeRulesTest {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);
	private static final ResolvableType RESOURCE = ResolvableType.forClass(Resource.class);

	private static AioResources resources;

	@TempDir
	Path dir;

	@BeforeAll
	static void startLoops() {
		resources = AioResources.builder("range-rules-test").build();
	}

	@AfterAll
	static void stopLoops() {
		resources.disposeLater().block(TIMEOUT);
	}

	static Stream<Arguments> cases() {
		StringBuilder atLimit = new StringBuilder("bytes=0-0");
		List<long[]> atLimitParts = new ArrayList<>(List.of(new long[] {0, 0}));
		for (int i = 0; i < 99; i++) {
			atLimit.append(',').append(i).append('-').append(i + 1);
			atLimitParts.add(new long[] {i, i + 1});
		}
		String aboveLimit = atLimit + ",99-100";
		return Stream.of(
				Arguments.of("byteRange", 1000, "bytes=0-499", 206, parts(0, 499)),
				Arguments.of("byteRangeWithoutLastPosition", 10_000, "bytes=9500-", 206, parts(9500, 9999)),
				Arguments.of("byteRangeOfZeroLength (a single byte)", 10_000, "bytes=9500-9500", 206, parts(9500, 9500)),
				Arguments.of("suffixRange", 1000, "bytes=-500", 206, parts(500, 999)),
				Arguments.of("suffixRangeShorterThanRepresentation", 350, "bytes=-500", 206, parts(0, 349)),
				Arguments.of("parseRanges (0-0,500-,-1)", 1000, "bytes=0-0,500-,-1", 206,
						parts(0, 0, 500, 999, 999, 999)),
				Arguments.of("parseRangesValidations: 100 ranges, at the limit", 1000, atLimit.toString(), 206,
						atLimitParts),
				Arguments.of("parseRangesValidations: 101 ranges, above the limit", 1000, aboveLimit, 416, List.of()),
				Arguments.of("invalidLastLessThanFirst", 1000, "bytes=10-9", 416, List.of()),
				Arguments.of("toResourceRegionStartingAtResourceByteCount", 16, "bytes=16-", 416, List.of()),
				Arguments.of("toResourceRegionsValidations: below the length", 5, "bytes=0-1,2-3", 206,
						parts(0, 1, 2, 3)),
				Arguments.of("toResourceRegionsValidations: at the length", 5, "bytes=0-1,2-4", 416, List.of()),
				Arguments.of("toResourceRegionIllegalLength (an empty file)", 0, "bytes=0-9", 416, List.of()),
				Arguments.of("a last position past the end is clamped", 1000, "bytes=900-5000", 206, parts(900, 999)),
				Arguments.of("a suffix of zero bytes is unsatisfiable", 1000, "bytes=-0", 416, List.of()),
				Arguments.of("the unit is compared without regard to case", 1000, "Bytes=0-9", 206, parts(0, 9)),
				Arguments.of("a unit other than bytes is ignored (RFC 9110 §14.2)", 1000, "items=0-1", 200, List.of()));
	}

	@ParameterizedTest(name = "{0}: {2} of {1} bytes -> {3}")
	@MethodSource("cases")
	void springsRangeRules(String name, int length, String range, int status, List<long[]> expected)
			throws IOException {
		byte[] data = new byte[length];
		new Random(length).nextBytes(data);
		Path file = Files.write(dir.resolve("data.txt"), data);
		DataBufferFactory factory = BufferFactories.pooled(true);
		MockServerHttpResponse response = new MockServerHttpResponse(factory);
		new AioResourceHttpMessageWriter(4096, AioResourceHttpMessageWriter.ZeroCopyPolicy.NEVER, resources)
				.write(Mono.just(new FileSystemResource(file)), null, RESOURCE, null,
						MockServerHttpRequest.get("/data.txt").header(HttpHeaders.RANGE, range).build(), response, Map.of())
				.block(TIMEOUT);
		Exchanges.Result result = Exchanges.result(response);
		assertEquals(status, result.status().value(), name);
		HttpHeaders headers = result.headers();
		if (status == 416) {
			assertEquals(0, result.body().length);
			String contentRange = headers.getFirst(HttpHeaders.CONTENT_RANGE);
			assertTrue(contentRange == null || contentRange.equals("bytes */" + length), contentRange);
		}
		else if (status == 200) {
			assertEquals(null, headers.getFirst(HttpHeaders.CONTENT_RANGE));
			assertArrayEquals(data, result.body());
		}
		else if (expected.size() == 1) {
			long[] part = expected.get(0);
			assertEquals("bytes " + part[0] + "-" + part[1] + "/" + length, headers.getFirst(HttpHeaders.CONTENT_RANGE));
			assertEquals(part[1] - part[0] + 1, headers.getContentLength());
			assertArrayEquals(Arrays.copyOfRange(data, (int) part[0], (int) part[1] + 1), result.body());
		}
		else {
			MediaType type = headers.getContentType();
			assertEquals("multipart/byteranges", type.getType() + "/" + type.getSubtype());
			assertEquals(result.body().length, headers.getContentLength());
			String[] sections = new String(result.body(), StandardCharsets.ISO_8859_1)
					.split("\r\n--" + type.getParameter("boundary"), -1);
			assertEquals(expected.size() + 2, sections.length, "preamble, parts, closing delimiter");
			assertEquals("--", sections[sections.length - 1]);
			for (int i = 0; i < expected.size(); i++) {
				long[] part = expected.get(i);
				String head = "\r\nContent-Type: text/plain\r\nContent-Range: bytes " + part[0] + "-" + part[1] + "/"
						+ length + "\r\n\r\n";
				assertTrue(sections[i + 1].startsWith(head), sections[i + 1]);
				assertArrayEquals(Arrays.copyOfRange(data, (int) part[0], (int) part[1] + 1),
						sections[i + 1].substring(head.length()).getBytes(StandardCharsets.ISO_8859_1));
			}
		}
		assertNoLeak(factory);
	}

	private static List<long[]> parts(long... positions) {
		List<long[]> parts = new ArrayList<>();
		for (int i = 0; i < positions.length; i += 2) {
			parts.add(new long[] {positions[i], positions[i + 1]});
		}
		return parts;
	}
}
