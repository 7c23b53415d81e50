package dev.reactoraio.examples.fileserver;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.StreamSupport;

import dev.reactoraio.spring.AioFileHandler;
import org.springframework.core.io.FileSystemResource;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.codec.multipart.PartEvent;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.util.UriUtils;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * {@code GET/HEAD/PUT/DELETE /files/{path}} and multipart {@code POST /files/{directory}} over a root
 * directory. Every path goes through {@link SafePaths} before any file is touched; the file I/O is
 * {@link AioFileHandler}'s.
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
				.POST(PREFIX + "**", this::post)
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

	/**
	 * A {@code multipart/form-data} upload into the directory the path names (created if missing): each
	 * file part is stored as {@code {directory}/{its file name}}, all of them or none, through
	 * {@link AioFileHandler#storeParts}; other parts are skipped. The upload limit covers the file parts
	 * together. A file name that is not one safe path segment refuses the whole upload with 403. Answers
	 * {@code 200} with what was stored, as JSON.
	 */
	private Mono<ServerResponse> post(ServerRequest request) {
		String directory = rawPath(request);
		return handler.storeParts(request.bodyToFlux(PartEvent.class),
						part -> resolve(() -> paths.forWriting(child(directory, part.filename()))),
						properties.maxUploadSize().toBytes())
				.flatMap(stored -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON)
						.bodyValue(stored.stream().map(this::describe).toList()))
				.onErrorResume(e -> refusal(e));
	}

	/** The raw path of a file the client named inside a directory's raw path (its name encoded as one segment). */
	private static String child(String directory, String filename) {
		String segment = UriUtils.encodePathSegment(filename, StandardCharsets.UTF_8);
		return directory.isEmpty() || directory.equals("/") ? segment
				: directory.endsWith("/") ? directory + segment : directory + "/" + segment;
	}

	private Map<String, Object> describe(AioFileHandler.StoredFile file) {
		Map<String, Object> description = new LinkedHashMap<>();
		description.put("part", file.name());
		description.put("filename", file.filename());
		description.put("path", PREFIX + String.join("/", segments(paths.root().relativize(file.file()))));
		description.put("size", file.size());
		description.put("replaced", file.replaced());
		return description;
	}

	private static List<String> segments(Path relative) {
		return StreamSupport.stream(relative.spliterator(), false)
				.map(name -> UriUtils.encodePathSegment(name.toString(), StandardCharsets.UTF_8)).toList();
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
		if (error instanceof DirectoryNotEmptyException || error instanceof FileAlreadyExistsException) {
			return ServerResponse.status(HttpStatus.CONFLICT).build();
		}
		return Mono.error(error instanceof IOException io ? new java.io.UncheckedIOException(io) : error);
	}
}
