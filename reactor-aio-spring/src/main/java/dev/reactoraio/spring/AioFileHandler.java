package dev.reactoraio.spring;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import dev.reactoraio.AioResources;
import dev.reactoraio.AsyncFile;
import org.jspecify.annotations.Nullable;
import org.springframework.core.ResolvableType;
import org.springframework.core.codec.Hints;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseCookie;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.util.Assert;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Serves and receives files from WebFlux functional endpoints through reactor-aio. It does the file
 * I/O and the HTTP semantics; which paths a request may reach is the caller's decision (resolve and
 * check the path before handing it over). Route {@code HEAD} with {@code GET}: a functional
 * {@code GET} route does not match {@code HEAD}.
 * <pre class="code">
 * RouterFunctions.route()
 *         .GET("/files/{name}", request -&gt; files.serve(request, checked(request)))
 *         .HEAD("/files/{name}", request -&gt; files.serve(request, checked(request)))
 *         .PUT("/files/{name}", request -&gt; files.receive(request, checked(request), maxBytes))
 *         .build();
 * </pre>
 * <p>
 * {@link #serve}: {@code GET} and {@code HEAD} of a regular file, with a strong {@code ETag} (size and
 * modification time), {@code Last-Modified} and {@code Accept-Ranges: bytes}; the preconditions of
 * RFC 9110 §13.2.2 in its order ({@code If-Match}, else {@code If-Unmodified-Since}; then
 * {@code If-None-Match}, else {@code If-Modified-Since}), answered with {@code 412} or {@code 304};
 * then {@code Range} (single and multiple) through {@link AioResourceHttpMessageWriter}, which serves it
 * only when an {@code If-Range} names the current version.
 * <p>
 * {@link #receive}: {@code PUT} of a whole file, with {@code If-Match}, {@code If-Unmodified-Since} and
 * {@code If-None-Match} ({@code 412}). The body streams into a temporary file beside the target through
 * {@link AioDataBufferUtils#write(org.reactivestreams.Publisher, AsyncFile, long)}, is forced to the
 * device, then renamed over the target and the directory synced: readers see the old file or the new
 * one, never a part. A body larger than the limit is refused with {@code 413} (at once when
 * {@code Content-Length} says so, else as soon as the count passes the limit) and leaves nothing
 * behind.
 */
public final class AioFileHandler {

	private static final ResolvableType RESOURCE_TYPE = ResolvableType.forClass(Resource.class);

	private final AioResourceHttpMessageWriter writer;
	private final @Nullable AioResources resources;

	/** A handler with a default {@link AioResourceHttpMessageWriter} and the global resources. */
	public AioFileHandler() {
		this(new AioResourceHttpMessageWriter(), null);
	}

	/**
	 * A handler with the given writer and resources.
	 *
	 * @param writer writes file responses
	 * @param resources the loops for uploads; {@code null} for {@link AioResources#global()}
	 */
	public AioFileHandler(AioResourceHttpMessageWriter writer, @Nullable AioResources resources) {
		Assert.notNull(writer, "'writer' must not be null");
		this.writer = writer;
		this.resources = resources;
	}

	/**
	 * Responds to a {@code GET} or {@code HEAD} with a file: {@code 404} when it is missing or not a
	 * regular file, {@code 403} when it is not readable, {@code 412} or {@code 304} when a precondition
	 * says so (RFC 9110 §13.2.2: {@code If-Match}, {@code If-Unmodified-Since}, {@code If-None-Match},
	 * {@code If-Modified-Since}), else {@code 200} with the file, or {@code 206} with the bytes a
	 * {@code GET}'s {@code Range} asks for (unless an {@code If-Range} names another version: then
	 * {@code 200} with the whole file). Every {@code 200}/{@code 206} carries the file's strong
	 * {@code ETag}, its {@code Last-Modified} and {@code Accept-Ranges: bytes}; a {@code 304} carries the
	 * validators. {@code Vary} is left to the application.
	 *
	 * @param request the request
	 * @param file the file, already checked to be one the request may read
	 * @return the response
	 */
	public Mono<ServerResponse> serve(ServerRequest request, Path file) {
		return blocking(() -> Files.readAttributes(file, BasicFileAttributes.class))
				.flatMap(attributes -> {
					if (!attributes.isRegularFile()) {
						return ServerResponse.notFound().build();
					}
					String etag = etag(attributes);
					long lastModified = attributes.lastModifiedTime().toMillis();
					return switch (Preconditions.evaluate(request.method(), request.headers().asHttpHeaders(), etag,
							lastModified, true)) {
						case FAILED -> ServerResponse.status(HttpStatus.PRECONDITION_FAILED).build();
						case NOT_MODIFIED -> ServerResponse.status(HttpStatus.NOT_MODIFIED).eTag(etag)
								.lastModified(Instant.ofEpochMilli(lastModified)).build();
						case PROCEED -> Mono.just(new FileResponse(file, etag, lastModified));
					};
				})
				.onErrorResume(NoSuchFileException.class, e -> ServerResponse.notFound().build())
				.onErrorResume(AccessDeniedException.class, e -> ServerResponse.status(HttpStatus.FORBIDDEN).build());
	}

	/**
	 * Stores a request body as {@code file}: {@code 201} when it is new, {@code 204} when it replaced
	 * one (both with the stored file's {@code ETag}), {@code 413} when the body exceeds {@code maxBytes},
	 * {@code 409} when {@code file} is a directory, {@code 412} when a precondition fails (RFC 9110
	 * §13.2.2: {@code If-Match}, else {@code If-Unmodified-Since}, then {@code If-None-Match}; so
	 * {@code If-None-Match: *} only creates, and {@code If-Match: "etag"} only replaces that version).
	 * Preconditions are evaluated before the body is read, and again just before the rename against the
	 * file as it is then; a writer that renames in between those two instants is not seen. Missing
	 * parent directories are created.
	 * <p>
	 * <b>Release support.</b> Every buffer of the request body is released, whatever the outcome.
	 *
	 * @param request the request
	 * @param file the file, already checked to be one the request may write
	 * @param maxBytes the largest body accepted, {@code >= 0}
	 * @return the response
	 */
	public Mono<ServerResponse> receive(ServerRequest request, Path file, long maxBytes) {
		Assert.isTrue(maxBytes >= 0, "'maxBytes' must be >= 0");
		OptionalLong declared = request.headers().contentLength();
		if (declared.isPresent() && declared.getAsLong() > maxBytes) {
			return tooLarge();
		}
		HttpMethod method = request.method();
		HttpHeaders conditions = request.headers().asHttpHeaders();
		Path temp = temporary(file);
		Flux<DataBuffer> body = limited(request.body(BodyExtractors.toDataBuffers()), maxBytes);
		return blocking(() -> prepare(file, method, conditions))
				.flatMap(existed -> Mono.usingWhen(Mono.just(temp),
						t -> store(body, t).then(blocking(() -> replace(t, file, method, conditions)))
								.flatMap(stored -> syncDirectory(file).thenReturn(stored)),
						t -> Mono.empty(), (t, error) -> delete(t), this::delete)
						.flatMap(stored -> (existed
								? ServerResponse.noContent()
								: ServerResponse.created(request.uri())).eTag(etag(stored)).build()))
				.onErrorResume(TooLargeException.class, e -> tooLarge())
				.onErrorResume(DirectoryException.class, e -> ServerResponse.status(HttpStatus.CONFLICT).build())
				.onErrorResume(PreconditionException.class,
						e -> ServerResponse.status(HttpStatus.PRECONDITION_FAILED).build())
				.doOnDiscard(DataBuffer.class, DataBufferUtils::release);
	}

	/** A {@code 200} whose body (the whole file or ranges) the writer decides, with the validators set first. */
	private final class FileResponse implements ServerResponse {

		private final Path file;
		private final HttpHeaders headers = new HttpHeaders();

		FileResponse(Path file, String etag, long lastModified) {
			this.file = file;
			headers.setETag(etag);
			headers.setLastModified(lastModified);
		}

		@Override
		public HttpStatusCode statusCode() {
			return HttpStatus.OK;
		}

		@Override
		public HttpHeaders headers() {
			return headers;
		}

		@Override
		public MultiValueMap<String, ResponseCookie> cookies() {
			return new LinkedMultiValueMap<>();
		}

		/**
		 * Writes status, headers and body without {@code checkNotModified}: {@link #serve} has decided the
		 * preconditions, and Spring's check would judge them again by other rules (it ignores
		 * {@code If-Match} on {@code GET}, for one).
		 */
		@Override
		public Mono<Void> writeTo(ServerWebExchange exchange, Context context) {
			ServerHttpResponse response = exchange.getResponse();
			response.setStatusCode(HttpStatus.OK);
			response.getHeaders().putAll(headers);
			return writer.write(Mono.just(new FileSystemResource(file)), null, RESOURCE_TYPE, null,
					exchange.getRequest(), response, Hints.from(Hints.LOG_PREFIX_HINT, exchange.getLogPrefix()));
		}
	}

	private AioResources loops() {
		return resources != null ? resources : AioResources.global();
	}

	private Mono<Void> store(Flux<DataBuffer> body, Path temp) {
		return Mono.usingWhen(
				AsyncFile.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), loops()),
				file -> AioDataBufferUtils.write(body, file, 0)
						.map(DataBufferUtils::release)
						.then(file.force(true)),
				AsyncFile::close, (file, error) -> file.close(), AsyncFile::close);
	}

	/**
	 * Refuses a directory and failed preconditions, then creates the parent directories; tells whether
	 * {@code file} existed.
	 */
	private static boolean prepare(Path file, HttpMethod method, HttpHeaders conditions) throws IOException {
		if (Files.isDirectory(file)) {
			throw new DirectoryException();
		}
		boolean existed = check(file, method, conditions);
		Files.createDirectories(file.toAbsolutePath().getParent());
		return existed;
	}

	/** Evaluates the preconditions against {@code file} as it is now; tells whether it exists. */
	private static boolean check(Path file, HttpMethod method, HttpHeaders conditions) throws IOException {
		BasicFileAttributes current = attributesOrNull(file);
		Preconditions.Outcome outcome = current == null
				? Preconditions.evaluate(method, conditions, null, -1, false)
				: Preconditions.evaluate(method, conditions, etag(current), current.lastModifiedTime().toMillis(), true);
		if (outcome != Preconditions.Outcome.PROCEED) {
			throw new PreconditionException();
		}
		return current != null;
	}

	/** Checks the preconditions again, renames the complete file over the target; returns its attributes. */
	private static BasicFileAttributes replace(Path temp, Path file, HttpMethod method, HttpHeaders conditions)
			throws IOException {
		check(file, method, conditions);
		Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		return Files.readAttributes(file, BasicFileAttributes.class);
	}

	private static @Nullable BasicFileAttributes attributesOrNull(Path file) throws IOException {
		try {
			return Files.readAttributes(file, BasicFileAttributes.class);
		}
		catch (NoSuchFileException e) {
			return null;
		}
	}

	/** A name beside {@code file} that {@code SafePaths}-like checks refuse (it starts with a dot). */
	private static Path temporary(Path file) {
		return file.resolveSibling("." + file.getFileName() + "." + UUID.randomUUID() + ".upload");
	}

	/** Syncs the directory of {@code file}, so that its rename is durable too. */
	private Mono<Void> syncDirectory(Path file) {
		return Mono.usingWhen(AsyncFile.open(file.toAbsolutePath().getParent(), Set.of(StandardOpenOption.READ), loops()),
				directory -> directory.force(true), AsyncFile::close, (directory, error) -> directory.close(),
				AsyncFile::close);
	}

	private Mono<Void> delete(Path temp) {
		return blocking(() -> Files.deleteIfExists(temp)).then();
	}

	private static Flux<DataBuffer> limited(Flux<DataBuffer> body, long maxBytes) {
		return Flux.defer(() -> {
			long[] total = {0};
			return body.handle((buffer, sink) -> {
				total[0] += buffer.readableByteCount();
				if (total[0] > maxBytes) {
					DataBufferUtils.release(buffer);
					sink.error(new TooLargeException());
				}
				else {
					sink.next(buffer);
				}
			});
		});
	}

	private static Mono<ServerResponse> tooLarge() {
		return ServerResponse.status(HttpStatus.CONTENT_TOO_LARGE).build();
	}

	/** A strong entity tag: the size and the modification time in nanoseconds, quoted. */
	private static String etag(BasicFileAttributes attributes) {
		return "\"" + Long.toHexString(attributes.size()) + "-"
				+ Long.toHexString(attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS)) + "\"";
	}

	private static <T> Mono<T> blocking(Callable<T> call) {
		return Mono.fromCallable(call).subscribeOn(Schedulers.boundedElastic());
	}

	/** The body passed the size limit. */
	private static final class TooLargeException extends RuntimeException {
		private static final long serialVersionUID = 1L;

		TooLargeException() {
			super("request body too large", null, false, false);
		}
	}

	/** A precondition of an upload failed. */
	private static final class PreconditionException extends RuntimeException {
		private static final long serialVersionUID = 1L;

		PreconditionException() {
			super("precondition failed", null, false, false);
		}
	}

	/** The target of an upload is a directory. */
	private static final class DirectoryException extends RuntimeException {
		private static final long serialVersionUID = 1L;

		DirectoryException() {
			super("target is a directory", null, false, false);
		}
	}
}
