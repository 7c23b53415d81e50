package dev.reactoraio.examples.fileserver;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.reactoraio.spring.AioFileHandler;
import org.springframework.core.io.FileSystemResource;
import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * {@code GET/HEAD/PUT/DELETE /files/{path}} over a root directory. Every path goes through
 * {@link SafePaths} before any file is touched; the file I/O is {@link AioFileHandler}'s.
 */
final class FileEndpoint {

	static final String PREFIX = "/files/";

	private final SafePaths paths;
	private final AioFileHandler handler;
	private final FileServerProperties properties;

	FileEndpoint(SafePaths paths, AioFileHandler handler, FileServerProperties properties) {
		this.paths = paths;
		this.handler = handler;
		this.properties = properties;
	}

	RouterFunction<ServerResponse> routes() {
		return RouterFunctions.route()
				.GET(PREFIX + "**", this::get)
				.HEAD(PREFIX + "**", this::get)
				.PUT(PREFIX + "**", this::put)
				.DELETE(PREFIX + "**", this::delete)
				.build();
	}

	private Mono<ServerResponse> get(ServerRequest request) {
		return resolve(() -> paths.forReading(rawPath(request)))
				.flatMap(file -> properties.engine() == FileServerProperties.Engine.REACTOR_AIO
						? handler.serve(request, file)
						: ServerResponse.ok().body(BodyInserters.fromResource(new FileSystemResource(file))))
				.onErrorResume(e -> refusal(e));
	}

	private Mono<ServerResponse> put(ServerRequest request) {
		return resolve(() -> paths.forWriting(rawPath(request)))
				.flatMap(file -> handler.receive(request, file, properties.maxUploadSize().toBytes()))
				.onErrorResume(e -> refusal(e));
	}

	private Mono<ServerResponse> delete(ServerRequest request) {
		return resolve(() -> {
			Path file = paths.forWriting(rawPath(request));
			if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
				throw new DirectoryNotEmptyException(file.toString());
			}
			Files.delete(file);
			return file;
		})
				.flatMap(file -> ServerResponse.noContent().build())
				.onErrorResume(e -> refusal(e));
	}

	/** The request path after {@code /files/}, still percent-encoded. */
	private static String rawPath(ServerRequest request) {
		String path = request.requestPath().pathWithinApplication().value();
		return path.length() > PREFIX.length() ? path.substring(PREFIX.length()) : "";
	}

	private static <T> Mono<T> resolve(Callable<T> check) {
		return Mono.fromCallable(check).subscribeOn(Schedulers.boundedElastic());
	}

	private static Mono<ServerResponse> refusal(Throwable error) {
		if (error instanceof SafePaths.Forbidden || error instanceof AccessDeniedException) {
			return ServerResponse.status(HttpStatus.FORBIDDEN).build();
		}
		if (error instanceof NoSuchFileException) {
			return ServerResponse.notFound().build();
		}
		if (error instanceof DirectoryNotEmptyException) {
			return ServerResponse.status(HttpStatus.CONFLICT).build();
		}
		return Mono.error(error instanceof IOException io ? new java.io.UncheckedIOException(io) : error);
	}
}
