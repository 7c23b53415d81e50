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
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import dev.reactoraio.AioResources;
import dev.reactoraio.AsyncFile;
import org.jspecify.annotations.Nullable;
import org.springframework.core.ResolvableType;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.util.Assert;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Serves and receives files from WebFlux functional endpoints through reactor-aio. It does the file
 * I/O and the HTTP semantics; which paths a request may reach is the caller's decision (resolve and
 * check the path before handing it over).
 * <p>
 * {@link #serve}: {@code GET} and {@code HEAD} of a regular file, with a strong {@code ETag} (size and
 * modification time) and {@code Last-Modified}, {@code 304} for a matching {@code If-None-Match} or
 * {@code If-Modified-Since}, and {@code Range} (single and multiple) through
 * {@link AioResourceHttpMessageWriter}.
 * <p>
 * {@link #receive}: {@code PUT} of a whole file. The body streams into a temporary file beside the
 * target through {@link AioDataBufferUtils#write(org.reactivestreams.Publisher, AsyncFile, long)}, is
 * forced to the device, then renamed over the target and the directory synced: readers see the old
 * file or the new one, never a part. A body larger than the limit is refused with {@code 413} (at once
 * when {@code Content-Length} says so, else as soon as the count passes the limit) and leaves nothing
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
	 * regular file, {@code 403} when it is not readable, {@code 304} when the client's copy is current,
	 * else {@code 200} or {@code 206} with the bytes asked for.
	 *
	 * @param request the request
	 * @param file the file, already checked to be one the request may read
	 * @return the response
	 */
	public Mono<ServerResponse> serve(ServerRequest request, Path file) {
		return Mono.fromCallable(() -> Files.readAttributes(file, BasicFileAttributes.class))
				.subscribeOn(Schedulers.boundedElastic())
				.flatMap(attributes -> {
					if (!attributes.isRegularFile()) {
						return ServerResponse.notFound().build();
					}
					String etag = etag(attributes);
					Instant lastModified = attributes.lastModifiedTime().toInstant();
					return request.checkNotModified(lastModified, etag)
							.switchIfEmpty(Mono.defer(() -> ServerResponse.ok()
									.eTag(etag)
									.lastModified(lastModified)
									.body(fileBody(file))));
				})
				.onErrorResume(NoSuchFileException.class, e -> ServerResponse.notFound().build())
				.onErrorResume(AccessDeniedException.class, e -> ServerResponse.status(HttpStatus.FORBIDDEN).build());
	}

	/**
	 * Stores a request body as {@code file}: {@code 201} when it is new, {@code 204} when it replaced
	 * one, {@code 413} when the body exceeds {@code maxBytes}, {@code 409} when {@code file} is a
	 * directory. Missing parent directories are created.
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
		Path temp = file.resolveSibling("." + file.getFileName() + "." + UUID.randomUUID() + ".upload");
		Flux<DataBuffer> body = limited(request.body(BodyExtractors.toDataBuffers()), maxBytes);
		return blocking(() -> prepare(file))
				.flatMap(existed -> Mono.usingWhen(Mono.just(temp),
						t -> store(body, t).then(blocking(() -> replace(t, file))).then(syncDirectory(file)),
						t -> Mono.empty(), (t, error) -> delete(t), this::delete)
						.then(existed
								? ServerResponse.noContent().build()
								: ServerResponse.created(request.uri()).build()))
				.onErrorResume(TooLargeException.class, e -> tooLarge())
				.onErrorResume(DirectoryException.class, e -> ServerResponse.status(HttpStatus.CONFLICT).build())
				.doOnDiscard(DataBuffer.class, DataBufferUtils::release);
	}

	private BodyInserter<Resource, ServerHttpResponse> fileBody(Path file) {
		return (response, context) -> writer.write(Mono.just(new FileSystemResource(file)), null, RESOURCE_TYPE,
				null, context.serverRequest().orElseThrow(), response, Map.of());
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

	/** Creates the parent directories; tells whether {@code file} existed. */
	private static boolean prepare(Path file) throws IOException {
		if (Files.isDirectory(file)) {
			throw new DirectoryException();
		}
		Path parent = file.toAbsolutePath().getParent();
		Files.createDirectories(parent);
		return Files.exists(file);
	}

	/** Renames the complete file over the target. */
	private static boolean replace(Path temp, Path file) throws IOException {
		Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		return true;
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

	/** The target of an upload is a directory. */
	private static final class DirectoryException extends RuntimeException {
		private static final long serialVersionUID = 1L;

		DirectoryException() {
			super("target is a directory", null, false, false);
		}
	}
}
