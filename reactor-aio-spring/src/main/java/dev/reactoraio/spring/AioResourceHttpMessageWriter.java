package dev.reactoraio.spring;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

import dev.reactoraio.AioResources;
import dev.reactoraio.AsyncFile;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.springframework.core.ResolvableType;
import org.springframework.core.io.Resource;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpRange;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.MediaTypeFactory;
import org.springframework.http.ReactiveHttpOutputMessage;
import org.springframework.http.ZeroCopyHttpOutputMessage;
import org.springframework.http.client.reactive.ClientHttpRequest;
import org.springframework.http.codec.ResourceHttpMessageWriter;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.util.Assert;
import org.springframework.util.MimeTypeUtils;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A {@link ResourceHttpMessageWriter} that sends file resources through reactor-aio: the file is read
 * into the response's own buffers (in place when they are direct, as Netty's are), with no
 * {@code boundedElastic} thread and no blocking read on the event loop. Resources that are not files
 * (class path entries in a jar, byte arrays, …) are written by Spring's writer, as before.
 * <p>
 * Where it pays: Reactor Netty sends a plain HTTP file response with zero-copy {@code sendfile}, but
 * under TLS, compression or HTTP/2 it falls back to blocking 1 KiB reads on the event loop. With
 * {@link ZeroCopyPolicy#PLAIN_HTTP} (the default) this writer leaves plain HTTP responses to
 * {@code sendfile} and reads everything else through reactor-aio; with {@link ZeroCopyPolicy#NEVER} it
 * reads every response through reactor-aio (choose it with compression or cleartext HTTP/2).
 * <p>
 * Server responses to {@code GET} honour {@code Range}: one range gives {@code 206} with
 * {@code Content-Range}; several give a {@code multipart/byteranges} body (with its exact
 * {@code Content-Length}); a range that cannot be satisfied gives {@code 416} with
 * {@code Content-Range: bytes *&#47;length}. Each range reads exactly its bytes. Every server response
 * carries {@code Accept-Ranges: bytes}. {@code HEAD} gets the headers of the whole file and no read at
 * all ({@code Range} is defined for {@code GET} only, RFC 9110 §14.2).
 * <p>
 * <b>Conditional requests.</b> The writer honours {@code If-Range} (RFC 9110 §13.1.5) for the ranges it
 * serves: the range is served only when {@code If-Range} names the representation the response
 * carries, that is an entity tag strongly equal to the response's {@code ETag} header, or a date equal
 * to its {@code Last-Modified} header that is at least one second old; otherwise the whole file is sent
 * with {@code 200}, so that a resumed download never splices two versions of a file. A response with
 * neither header never matches. The other preconditions ({@code If-Match}, {@code If-None-Match},
 * {@code If-Modified-Since}, {@code If-Unmodified-Since}) are decided before the writer runs, by
 * whoever knows the validators: {@code ResourceWebHandler} and {@code ResponseEntity} through
 * {@code ServerWebExchange.checkNotModified}, {@link AioFileHandler} through its own RFC 9110 rules.
 * <p>
 * Registration: {@code resourceWebHandler.setResourceHttpMessageWriter(new AioResourceHttpMessageWriter())}
 * for static resources, or {@code configurer.customCodecs().register(new AioResourceHttpMessageWriter())}
 * (a {@code CodecCustomizer} bean in Spring Boot) for controllers and functional endpoints returning a
 * {@link Resource}: custom writers come before the default ones.
 */
public class AioResourceHttpMessageWriter extends ResourceHttpMessageWriter {

	/** The range unit, compared without regard to case (RFC 9110 §14.1). */
	private static final String BYTES_UNIT = "bytes=";

	/** The default size of the buffers a response is read into: 64 KiB. */
	public static final int DEFAULT_BUFFER_SIZE = 64 * 1024;

	/** When a response may go through the server's zero-copy file transfer instead of reactor-aio. */
	public enum ZeroCopyPolicy {

		/**
		 * Plain HTTP responses whose server offers zero-copy ({@code sendfile}) use it; responses to TLS
		 * requests, and client requests to {@code https} URLs, are read through reactor-aio.
		 */
		PLAIN_HTTP,

		/** Every file response is read through reactor-aio. */
		NEVER
	}

	private final int bufferSize;
	private final ZeroCopyPolicy zeroCopyPolicy;
	private final @Nullable AioResources resources;

	/** A writer with {@link #DEFAULT_BUFFER_SIZE}, {@link ZeroCopyPolicy#PLAIN_HTTP} and the global resources. */
	public AioResourceHttpMessageWriter() {
		this(DEFAULT_BUFFER_SIZE, ZeroCopyPolicy.PLAIN_HTTP, null);
	}

	/**
	 * A writer with the given settings.
	 *
	 * @param bufferSize the size of the buffers files are read into, {@code > 0}
	 * @param zeroCopyPolicy when to leave a response to the server's zero-copy transfer
	 * @param resources the loops that read the files; {@code null} for {@link AioResources#global()}
	 */
	public AioResourceHttpMessageWriter(int bufferSize, ZeroCopyPolicy zeroCopyPolicy,
			@Nullable AioResources resources) {
		super(bufferSize);
		Assert.isTrue(bufferSize > 0, "'bufferSize' must be > 0");
		Assert.notNull(zeroCopyPolicy, "'zeroCopyPolicy' must not be null");
		this.bufferSize = bufferSize;
		this.zeroCopyPolicy = zeroCopyPolicy;
		this.resources = resources;
	}

	/**
	 * Writes a whole resource (client requests, or server responses without a request at hand).
	 *
	 * @param input the resource
	 * @param elementType the declared type
	 * @param mediaType the content type, or null to derive it from the file name
	 * @param message the message to write to
	 * @param hints encoding hints
	 * @return completion
	 */
	@Override
	public Mono<Void> write(Publisher<? extends Resource> input, ResolvableType elementType,
			@Nullable MediaType mediaType, ReactiveHttpOutputMessage message, Map<String, Object> hints) {
		return Mono.from(input).flatMap(resource -> {
			Path path = AioDataBufferUtils.filePath(resource);
			if (path == null) {
				return super.write(Mono.just(resource), elementType, mediaType, message, hints);
			}
			return withFile(path, (file, length) ->
					writeWhole(resource, file, length, mediaType, message, null, hints));
		});
	}

	/**
	 * Writes a server response: the whole resource, or the ranges the request asks for.
	 *
	 * @param input the resource
	 * @param actualType the actual return type, if known
	 * @param elementType the declared type
	 * @param mediaType the content type, or null to derive it from the file name
	 * @param request the request
	 * @param response the response to write to
	 * @param hints encoding hints
	 * @return completion
	 */
	@Override
	public Mono<Void> write(Publisher<? extends Resource> input, @Nullable ResolvableType actualType,
			ResolvableType elementType, @Nullable MediaType mediaType, ServerHttpRequest request,
			ServerHttpResponse response, Map<String, Object> hints) {
		response.getHeaders().set(HttpHeaders.ACCEPT_RANGES, "bytes");
		List<HttpRange> ranges;
		try {
			ranges = servedRanges(request, response);
		}
		catch (IllegalArgumentException e) {
			return rangeNotSatisfiable(response, -1);
		}
		return Mono.from(input).flatMap(resource -> {
			Path path = AioDataBufferUtils.filePath(resource);
			if (path == null) {
				return super.write(Mono.just(resource), actualType, elementType, mediaType, request, response, hints);
			}
			return withFile(path, (file, length) -> ranges.isEmpty()
					? writeWhole(resource, file, length, mediaType, response, request, hints)
					: writeRanges(resource, file, length, ranges, mediaType, request, response));
		});
	}

	/**
	 * The ranges to serve: none unless the request is a {@code GET} with a {@code Range} in bytes (range
	 * handling is defined for {@code GET} only, and a unit the server does not know is ignored: RFC 9110
	 * §14.2), and none when an {@code If-Range} does not name the representation the response carries
	 * (its {@code ETag} or {@code Last-Modified} header): then the whole file is sent (§13.1.5).
	 *
	 * @throws IllegalArgumentException when the byte ranges are not valid (Spring's
	 * {@link HttpRange#parseRanges} rules, at most 100 ranges)
	 */
	private static List<HttpRange> servedRanges(ServerHttpRequest request, ServerHttpResponse response) {
		HttpHeaders headers = request.getHeaders();
		String range = headers.getFirst(HttpHeaders.RANGE);
		if (!HttpMethod.GET.equals(request.getMethod()) || range == null
				|| !range.regionMatches(true, 0, BYTES_UNIT, 0, BYTES_UNIT.length())) {
			return List.of();
		}
		HttpHeaders current = response.getHeaders();
		if (!Preconditions.rangeApplies(headers, current.getETag(), current.getLastModified(),
				System.currentTimeMillis())) {
			return List.of();
		}
		return HttpRange.parseRanges(BYTES_UNIT + range.substring(BYTES_UNIT.length()));
	}

	/** Opens the file, learns its length through the ring (no blocking stat), runs {@code body}, closes. */
	private Mono<Void> withFile(Path path, BiFunction<AsyncFile, Long, Mono<Void>> body) {
		AioResources loops = resources != null ? resources : AioResources.global();
		return Mono.usingWhen(AsyncFile.open(path, Set.of(StandardOpenOption.READ), loops),
				file -> file.size().flatMap(length -> body.apply(file, length)),
				AsyncFile::close, (file, error) -> file.close(), AsyncFile::close);
	}

	private Mono<Void> writeWhole(Resource resource, AsyncFile file, long length, @Nullable MediaType mediaType,
			ReactiveHttpOutputMessage message, @Nullable ServerHttpRequest request, Map<String, Object> hints) {
		message.getHeaders().setContentLength(length);
		return addDefaultHeaders(message, resource, mediaType, hints).then(Mono.defer(() -> {
			if (isHead(request)) {
				return message.setComplete();
			}
			return send(file, 0, length, message, request);
		}));
	}

	private Mono<Void> writeRanges(Resource resource, AsyncFile file, long length, List<HttpRange> ranges,
			@Nullable MediaType mediaType, ServerHttpRequest request, ServerHttpResponse response) {
		List<long[]> regions = regions(ranges, length);
		if (regions == null) {
			return rangeNotSatisfiable(response, length);
		}
		HttpHeaders headers = response.getHeaders();
		response.setStatusCode(HttpStatus.PARTIAL_CONTENT);
		MediaType type = resourceMediaType(resource, mediaType);
		if (regions.size() == 1) {
			long[] region = regions.get(0);
			headers.setContentType(type);
			headers.set(HttpHeaders.CONTENT_RANGE, contentRange(region, length));
			headers.setContentLength(region[1]);
			return send(file, region[0], region[1], response, request);
		}
		String boundary = MimeTypeUtils.generateMultipartBoundaryString();
		headers.setContentType(MediaType.parseMediaType("multipart/byteranges;boundary=" + boundary));
		List<byte[]> partHeaders = new ArrayList<>(regions.size());
		byte[] end = ascii("\r\n--" + boundary + "--");
		long contentLength = end.length;
		for (long[] region : regions) {
			byte[] partHeader = ascii("\r\n--" + boundary + "\r\nContent-Type: " + type + "\r\nContent-Range: "
					+ contentRange(region, length) + "\r\n\r\n");
			partHeaders.add(partHeader);
			contentLength += partHeader.length + region[1];
		}
		headers.setContentLength(contentLength);
		DataBufferFactory factory = response.bufferFactory();
		Flux<DataBuffer> body = Flux.range(0, regions.size())
				.concatMap(i -> Flux.concat(Mono.fromCallable(() -> factory.wrap(partHeaders.get(i))),
						AioDataBufferUtils.readChunks(file, regions.get(i)[0], regions.get(i)[1], factory, bufferSize)))
				.concatWith(Mono.fromCallable(() -> factory.wrap(end)));
		return response.writeWith(body);
	}

	private Mono<Void> send(AsyncFile file, long position, long count, ReactiveHttpOutputMessage message,
			@Nullable ServerHttpRequest request) {
		if (count == 0) {
			return message.setComplete();
		}
		if (zeroCopy(message, request)) {
			return ((ZeroCopyHttpOutputMessage) message).writeWith(file.path(), position, count);
		}
		return message.writeWith(
				AioDataBufferUtils.readChunks(file, position, count, message.bufferFactory(), bufferSize));
	}

	private boolean zeroCopy(ReactiveHttpOutputMessage message, @Nullable ServerHttpRequest request) {
		if (zeroCopyPolicy == ZeroCopyPolicy.NEVER || !(message instanceof ZeroCopyHttpOutputMessage)) {
			return false;
		}
		if (request != null) {
			return request.getSslInfo() == null;
		}
		return message instanceof ClientHttpRequest client && "http".equalsIgnoreCase(client.getURI().getScheme());
	}

	/**
	 * Each range as {position, count}, or null when one starts past the end, or when several add up to
	 * the whole length or more (as Spring refuses them: a cheap way to make a server read a file many times).
	 */
	private static @Nullable List<long[]> regions(List<HttpRange> ranges, long length) {
		List<long[]> regions = new ArrayList<>(ranges.size());
		long total = 0;
		for (HttpRange range : ranges) {
			long start = range.getRangeStart(length);
			long end = range.getRangeEnd(length);
			if (length == 0 || start >= length || end < start) {
				return null;
			}
			regions.add(new long[] {start, end - start + 1});
			total += end - start + 1;
		}
		return regions.size() > 1 && total >= length ? null : regions;
	}

	private static Mono<Void> rangeNotSatisfiable(ServerHttpResponse response, long length) {
		response.setStatusCode(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
		if (length >= 0) {
			response.getHeaders().set(HttpHeaders.CONTENT_RANGE, "bytes */" + length);
		}
		return response.setComplete();
	}

	private static String contentRange(long[] region, long length) {
		return "bytes " + region[0] + '-' + (region[0] + region[1] - 1) + '/' + length;
	}

	private static MediaType resourceMediaType(Resource resource, @Nullable MediaType mediaType) {
		if (mediaType != null && mediaType.isConcrete() && !mediaType.equals(MediaType.APPLICATION_OCTET_STREAM)) {
			return mediaType;
		}
		return MediaTypeFactory.getMediaType(resource).orElse(MediaType.APPLICATION_OCTET_STREAM);
	}

	private static boolean isHead(@Nullable ServerHttpRequest request) {
		return request != null && HttpMethod.HEAD.equals(request.getMethod());
	}

	private static byte[] ascii(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}
}
