package dev.reactoraio.spring;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import dev.reactoraio.AioResources;
import dev.reactoraio.AsyncFile;
import org.jspecify.annotations.Nullable;
import org.springframework.core.ResolvableType;
import org.springframework.core.codec.Hints;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseCookie;
import org.springframework.http.codec.multipart.FilePart;
import org.springframework.http.codec.multipart.FilePartEvent;
import org.springframework.http.codec.multipart.FormPartEvent;
import org.springframework.http.codec.multipart.PartEvent;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.util.Assert;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ContentTooLargeException;
import org.springframework.web.server.ResponseStatusException;
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
 * <p>
 * Multipart uploads, with the same guarantees: {@link #storeParts} streams the file parts of a
 * {@code Flux<PartEvent>} straight into their targets (the fast way: no copy on disk in between);
 * {@link #store} stores one {@link FilePart} someone else parsed. Both fail with {@link ContentTooLargeException}
 * ({@code 413}) past their limit, which WebFlux answers for annotated controllers and functional
 * endpoints alike, and are usable from either.
 * <pre class="code">
 * .POST("/files/{dir}", request -&gt; files.storeParts(request.bodyToFlux(PartEvent.class),
 *         part -&gt; checked(request, part.filename()), maxBytes)
 *     .flatMap(stored -&gt; ServerResponse.ok().bodyValue(stored.size() + " files")))
 * </pre>
 */
public final class AioFileHandler {

	private static final ResolvableType RESOURCE_TYPE = ResolvableType.forClass(Resource.class);
	/** Events of a multipart body taken ahead of the writes (the parser's buffers are 8 KiB, more or less). */
	private static final int PART_PREFETCH = 32;

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
		Flux<DataBuffer> body = request.body(BodyExtractors.toDataBuffers());
		return Mono.defer(() -> {
			Batch batch = new Batch(maxBytes);
			Check check = target -> check(target, method, conditions);
			return batch.run(blocking(() -> batch.begin(0, "", "", file, check))
					.flatMap(entry -> batch.writeBody(entry, body))
					.then(batch.commit(check)));
		})
				.flatMap(stored -> blocking(() -> Files.readAttributes(file, BasicFileAttributes.class))
						.flatMap(attributes -> (stored.get(0).replaced()
								? ServerResponse.noContent()
								: ServerResponse.created(request.uri())).eTag(etag(attributes)).build()))
				.onErrorResume(TooLargeException.class, e -> tooLarge())
				.onErrorResume(DirectoryException.class, e -> ServerResponse.status(HttpStatus.CONFLICT).build())
				.onErrorResume(PreconditionException.class,
						e -> ServerResponse.status(HttpStatus.PRECONDITION_FAILED).build());
	}

	/**
	 * Stores a multipart {@link FilePart} as {@code file}, with the guarantees of {@link #receive}: the
	 * part goes into a temporary file beside {@code file}, which reactor-aio forces to the device; it is
	 * then renamed over {@code file} and the directory synced. Missing parent directories are created.
	 * <p>
	 * The bytes are copied by the part's own {@link FilePart#transferTo(Path)}, the fastest way there is
	 * for a part someone else parsed: with Spring's default {@code DefaultPartHttpMessageReader}, a part
	 * over its {@code maxInMemorySize} (256 KiB) is already in a temporary file of Spring's when the
	 * handler gets it, and {@code transferTo} copies that file, where reading {@code content()} would go
	 * through it in 1 KiB buffers. For large uploads, stream {@link PartEvent}s into {@link #storeParts}
	 * instead: it writes each byte once, straight from the request.
	 * <p>
	 * Errors: {@link ContentTooLargeException} ({@code 413}) when the part is larger than
	 * {@code maxBytes} (known once it is copied: the reader has received it already; Spring's
	 * {@code maxDiskUsagePerPart} limits it while parsing), a {@link ResponseStatusException} with
	 * {@code 409} when {@code file} is a directory, the I/O error otherwise. On any error and on
	 * cancellation the temporary file is deleted and {@code file} is untouched.
	 * <p>
	 * <b>Release support.</b> The part's buffers are {@code transferTo}'s business: Spring's releases them
	 * whatever happens.
	 *
	 * @param part the part
	 * @param file where to store it, already checked to be one the request may write
	 * @param maxBytes the largest part accepted, {@code >= 0}
	 * @return what was stored, once it is durable
	 */
	public Mono<StoredFile> store(FilePart part, Path file, long maxBytes) {
		Assert.notNull(part, "'part' must not be null");
		Assert.notNull(file, "'file' must not be null");
		Assert.isTrue(maxBytes >= 0, "'maxBytes' must be >= 0");
		return Mono.defer(() -> {
			Batch batch = new Batch(maxBytes);
			return batch.run(blocking(() -> batch.begin(0, part.name(), part.filename(), file, null))
					.flatMap(entry -> batch.transfer(entry, part))
					.then(batch.commit(null)));
		})
				.map(stored -> stored.get(0))
				.onErrorMap(AioFileHandler::statusError);
	}

	/**
	 * Stores the file parts of a streamed multipart body ({@code request.bodyToFlux(PartEvent.class)}, or
	 * {@code @RequestBody Flux<PartEvent>}): the content of each part goes from the parser straight into
	 * a temporary file beside its target, through reactor-aio, with no copy on disk in between. Parts
	 * are all or nothing: each temporary file is forced to the device as its part ends, and only once
	 * the whole body has arrived are they renamed over their targets, in the order of the parts (a later
	 * part with the same target wins), and their directories synced.
	 * <p>
	 * {@code files} names the target of each file part from its first event ({@link FilePartEvent#name()},
	 * {@link FilePartEvent#filename()}, its headers), and may check it with blocking calls on a scheduler
	 * of its own; an empty {@code Mono} skips the part. Form fields and parts without a file name are
	 * skipped. Missing parent directories are created. The parser's small buffers (about 8 KiB) are
	 * copied into blocks of 256 KiB, each written with one write, up to four in flight: an upload holds
	 * about 1.5 MiB of memory (those blocks, the block being filled, 32 events taken ahead).
	 * <p>
	 * Errors: {@link ContentTooLargeException} ({@code 413}) as soon as the stored file parts together
	 * pass {@code maxBytes} (skipped parts do not count: bound those with the reader's own limits); a
	 * {@link ResponseStatusException} with {@code 409} when a target is a directory; the error of
	 * {@code files}, of the parser or of the I/O otherwise. On any error and on cancellation every
	 * temporary file is deleted and no target is touched (should a rename itself fail, the parts renamed
	 * before it stay).
	 * <p>
	 * <b>Release support.</b> The content of every event is released exactly once: once written, when its
	 * part is skipped, on error, past the limit and on cancellation (then once the kernel is done with
	 * it), including events the source discards on cancellation, which are released unless they were
	 * emitted before (Reactor's {@code concatMap} may discard a value again after it emitted it, and
	 * Spring's streaming reader emits its events through one).
	 *
	 * @param events the events of one multipart body, subscribed to once
	 * @param files the target of each file part, or empty to skip it
	 * @param maxBytes the largest total of stored file content, {@code >= 0}
	 * @return what was stored, in the order of the parts, once all of it is durable
	 */
	public Mono<List<StoredFile>> storeParts(Flux<PartEvent> events,
			Function<? super FilePartEvent, ? extends Mono<Path>> files, long maxBytes) {
		Assert.notNull(events, "'events' must not be null");
		Assert.notNull(files, "'files' must not be null");
		Assert.isTrue(maxBytes >= 0, "'maxBytes' must be >= 0");
		return Mono.defer(() -> {
			Batch batch = new Batch(maxBytes);
			Parts parts = new Parts(batch, files);
			Received received = new Received();
			return batch.run(events
					.<Piece>handle((event, sink) -> {
						if (received.take(event)) {
							Piece piece = batch.admit(event);
							if (piece != null) {
								sink.next(piece);
							}
						}
					})
					// prefetching drains the parser's own queues: what it still holds on an error or a cancel
					// is for it to release. What an operator of ours drops on the way (Reactor's concatMap
					// does, when an upstream error races an inner emission) the batch releases as it aborts.
					.concatMap(parts::next, PART_PREFETCH)
					.flatMapSequential(this::write, AioDataBufferUtils.WRITE_WINDOW, 1)
					.concatMap(batch::finish)
					.then(batch.commit(null)))
					.doOnDiscard(Piece.class, Piece::release)
					.doOnDiscard(Block.class, Block::release)
					.doOnDiscard(PartEvent.class, received::discarded)
					.doOnDiscard(Object.class, SpringParserTokens::release);
		})
				.onErrorMap(AioFileHandler::statusError);
	}

	/**
	 * What {@link #store} or {@link #storeParts} stored.
	 *
	 * @param name the part's name (its {@code Content-Disposition} name, empty when it has none)
	 * @param filename the file name the client sent (empty when it sent none)
	 * @param file where the content is now
	 * @param size its length in bytes
	 * @param replaced whether it replaced an existing file
	 */
	public record StoredFile(String name, String filename, Path file, long size, boolean replaced) {
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

	/**
	 * The temporary files of one upload: created beside their targets, written, then all renamed over
	 * their targets ({@link #commit}), or all deleted ({@link #abort}, on error or cancellation).
	 */
	private final class Batch {

		private final long maxBytes;
		private final AtomicLong total = new AtomicLong();
		private final List<Entry> entries = new ArrayList<>();
		private boolean aborted;
		/** The pieces and blocks of {@link #storeParts} neither written nor released yet: {@link #abort} releases them. */
		private final Set<Owned> live = new HashSet<>();
		/** {@link #begin}s under way. */
		private int beginning;

		Batch(long maxBytes) {
			this.maxBytes = maxBytes;
		}

		/**
		 * Runs {@code work}; on error or cancellation, deletes the temporary files (before the error is
		 * signalled) and closes the files still open.
		 */
		<T> Mono<T> run(Mono<T> work) {
			return Mono.usingWhen(Mono.just(this), batch -> work, batch -> Mono.empty(),
					(batch, error) -> batch.abort(), Batch::abort)
					.doOnDiscard(DataBuffer.class, DataBufferUtils::release);
		}

		/** Takes an event as a piece of the batch; null, and the event released, once the batch is aborted. */
		@Nullable Piece admit(PartEvent event) {
			Piece piece = new Piece(this, event);
			synchronized (this) {
				if (!aborted) {
					live.add(piece);
					return piece;
				}
			}
			release(event);
			return null;
		}

		/** A new block of the entry's part from {@code position}, or null once the batch is aborted. */
		@Nullable Block block(Entry entry, @Nullable DataBufferFactory factory) {
			DataBuffer buffer = factory != null ? factory.allocateBuffer(Block.BLOCK_SIZE) : null;
			synchronized (this) {
				if (!aborted) {
					Block block = new Block(this, entry, entry.written, buffer);
					entry.written += buffer != null ? Block.BLOCK_SIZE : 0;
					live.add(block);
					return block;
				}
			}
			DataBufferUtils.release(buffer);
			return null;
		}

		synchronized void forget(Owned owned) {
			live.remove(owned);
		}

		/** Counts {@code bytes} more against the limit; false once the total passes it. */
		boolean count(long bytes) {
			return total.addAndGet(bytes) <= maxBytes;
		}

		/**
		 * Blocking: checks {@code target} (not a directory, and {@code check}), creates its parent
		 * directories and its temporary file. A batch aborted meanwhile deletes the file at once.
		 */
		Entry begin(int index, String name, String filename, Path target, @Nullable Check check) throws IOException {
			synchronized (this) {
				if (aborted) {
					throw new CancellationException("upload aborted");
				}
				beginning++;
			}
			try {
				if (Files.isDirectory(target)) {
					throw new DirectoryException();
				}
				if (check != null) {
					check.check(target);
				}
				Files.createDirectories(target.toAbsolutePath().getParent());
				Entry entry = new Entry(index, name, filename, target, temporary(target));
				Files.createFile(entry.temp);
				synchronized (this) {
					if (!aborted) {
						entries.add(entry);
						return entry;
					}
				}
				Files.deleteIfExists(entry.temp);
				throw new CancellationException("upload aborted");
			}
			finally {
				synchronized (this) {
					beginning--;
					notifyAll();
				}
			}
		}

		/** Opens the entry's temporary file for the writes of a part; closed by {@link #finish} or {@link #abort}. */
		Mono<Entry> open(Entry entry) {
			return AsyncFile.open(entry.temp, Set.of(StandardOpenOption.WRITE), loops()).flatMap(file -> {
				synchronized (this) {
					if (!aborted) {
						entry.file = file;
						return Mono.just(entry);
					}
				}
				return file.close().then(Mono.error(new CancellationException("upload aborted")));
			});
		}

		/** The last write of the entry's part is done: forces its temporary file and closes it. */
		Mono<Void> finish(Entry entry) {
			AsyncFile file = entry.file;
			Assert.state(file != null, "not open");
			return file.force(true).then(file.close()).doOnSuccess(done -> entry.finished = true);
		}

		/**
		 * Writes {@code content} into the entry's temporary file through reactor-aio and forces it,
		 * counting it against the limit; releases every buffer.
		 */
		Mono<Void> writeBody(Entry entry, Flux<DataBuffer> content) {
			Flux<DataBuffer> counted = content.handle((buffer, sink) -> {
				int bytes = buffer.readableByteCount();
				if (!count(bytes)) {
					DataBufferUtils.release(buffer);
					sink.error(new TooLargeException());
				}
				else {
					entry.size += bytes;
					sink.next(buffer);
				}
			});
			return Mono.usingWhen(AsyncFile.open(entry.temp, Set.of(StandardOpenOption.WRITE), loops()),
					file -> AioDataBufferUtils.write(counted, file, 0)
							.map(DataBufferUtils::release)
							.then(file.force(true)),
					AsyncFile::close, (file, error) -> file.close(), AsyncFile::close)
					.doOnSuccess(done -> entry.finished = true);
		}

		/**
		 * Copies a part into the entry's temporary file with its own {@code transferTo}, checks its size
		 * against the limit, and forces it through reactor-aio. The copy is not cancelled once started
		 * (a copy cancelled half way could create the temporary file again after {@link #abort} deleted
		 * it): {@link #abort} deletes the file again when it ends.
		 */
		Mono<Void> transfer(Entry entry, FilePart part) {
			return Mono.defer(() -> {
				CompletableFuture<@Nullable Void> copy = part.transferTo(entry.temp).toFuture();
				entry.copy = copy;
				return Mono.fromFuture(copy, true);
			})
					.then(Mono.usingWhen(AsyncFile.open(entry.temp, Set.of(StandardOpenOption.WRITE), loops()),
							file -> file.size().flatMap(size -> {
								if (!count(size)) {
									return Mono.error(new TooLargeException());
								}
								entry.size = size;
								return file.force(true);
							}),
							AsyncFile::close, (file, error) -> file.close(), AsyncFile::close))
					.doOnSuccess(done -> entry.finished = true);
		}

		/**
		 * Renames every temporary file over its target in order (checking {@code check} against each
		 * target first), then syncs their directories once each.
		 */
		Mono<List<StoredFile>> commit(@Nullable Check check) {
			return blocking(() -> {
				List<Entry> written;
				synchronized (this) {
					written = new ArrayList<>(entries);
				}
				written.sort(Comparator.comparingInt(entry -> entry.index));
				for (Entry entry : written) {
					if (!entry.finished) {
						throw new IOException("the body ended inside the part for " + entry.target.getFileName());
					}
				}
				List<StoredFile> stored = new ArrayList<>(written.size());
				for (Entry entry : written) {
					if (check != null) {
						check.check(entry.target);
					}
					boolean replaced = Files.exists(entry.target);
					Files.move(entry.temp, entry.target, StandardCopyOption.ATOMIC_MOVE,
							StandardCopyOption.REPLACE_EXISTING);
					entry.committed = true;
					stored.add(new StoredFile(entry.name, entry.filename, entry.target, entry.size, replaced));
				}
				return stored;
			}).flatMap(stored -> Flux.fromIterable(stored)
					.map(file -> file.file().toAbsolutePath().getParent())
					.distinct()
					.concatMap(AioFileHandler.this::syncDirectory)
					.then(Mono.just(stored)));
		}

		/**
		 * Deletes every temporary file not renamed yet, once the {@link #begin}s under way are done (so
		 * that when the upload signals its error, no temporary file is left; later ones fail at once),
		 * then closes the files still open (their writes in flight end first).
		 */
		Mono<Void> abort() {
			return blocking(() -> {
				List<Entry> started;
				List<Owned> left;
				synchronized (this) {
					aborted = true;
					left = new ArrayList<>(live);
					while (beginning > 0) {
						wait();
					}
					started = new ArrayList<>(entries);
				}
				// pieces an operator dropped on the way, neither discarded nor written
				left.forEach(Owned::release);
				for (Entry entry : started) {
					if (!entry.committed) {
						Files.deleteIfExists(entry.temp);
						CompletableFuture<?> copy = entry.copy;
						if (copy != null && !copy.isDone()) {
							copy.whenComplete((done, error) -> deleteQuietly(entry.temp));
						}
					}
				}
				return started;
			}).flatMapMany(Flux::fromIterable)
					.concatMap(entry -> {
						AsyncFile file;
						synchronized (this) {
							file = entry.file;
						}
						return file == null ? Mono.empty() : file.close().onErrorResume(IOException.class, e -> Mono.empty());
					})
					.then();
		}
	}

	/** One file of a {@link Batch}. */
	private static final class Entry {
		/** The part's position in the body: renames go in this order. */
		final int index;
		final String name;
		final String filename;
		final Path target;
		final Path temp;
		/** Touched by one serial stream only. */
		long size;
		/** Where the next block of a streamed part starts (guarded by the batch). */
		long written;
		/** The open temporary file of a streamed part, guarded by the batch. */
		@Nullable AsyncFile file;
		/** The copy of {@link Batch#transfer}, once started. */
		volatile @Nullable CompletableFuture<?> copy;
		/** All of it written and forced. */
		volatile boolean finished;
		volatile boolean committed;

		Entry(int index, String name, String filename, Path target, Path temp) {
			this.index = index;
			this.name = name;
			this.filename = filename;
			this.target = target;
			this.temp = temp;
		}
	}

	/** A check of a target before it is written and before it is replaced (blocking). */
	@FunctionalInterface
	private interface Check {
		void check(Path target) throws IOException;
	}

	/**
	 * The events of a multipart body, one at a time (a {@code concatMap}): the first event of a file part
	 * names its target and creates its temporary file; the content of each event of that part is copied
	 * into the part's {@link Block}s, which go to the writes as they fill; skipped parts are released here.
	 */
	private final class Parts {

		private final Batch batch;
		private final Function<? super FilePartEvent, ? extends Mono<Path>> files;
		// confined to the serial concatMap (its inners complete before the next event is mapped)
		private boolean partStart = true;
		private int index = -1;
		private @Nullable Entry current;
		/** The current part's block being filled, not emitted yet. */
		private @Nullable Block filling;

		Parts(Batch batch, Function<? super FilePartEvent, ? extends Mono<Path>> files) {
			this.batch = batch;
			this.files = files;
		}

		Flux<Block> next(Piece piece) {
			PartEvent event = piece.event;
			boolean first = partStart;
			partStart = event.isLast();
			if (first) {
				index++;
				current = null;
				filling = null;
				if (event instanceof FilePartEvent file) {
					return begin(file, index, piece);
				}
			}
			Entry entry = current;
			if (entry == null) {
				piece.release();
				return Flux.empty();
			}
			return place(entry, piece);
		}

		/** The part's target, its temporary file, opened; the piece released unless placed. */
		private Flux<Block> begin(FilePartEvent event, int part, Piece piece) {
			return Mono.defer(() -> files.apply(event))
					.flatMap(target -> blocking(() -> batch.begin(part, partName(event), event.filename(), target, null)))
					.flatMap(batch::open)
					.flatMapMany(entry -> {
						current = entry;
						return place(entry, piece);
					})
					.doFinally(signal -> piece.release());
		}

		/**
		 * Counts the piece against the limit and copies its content into the part's blocks, releasing it;
		 * emits the blocks it filled, and the last one of the part with its last piece.
		 */
		private Flux<Block> place(Entry entry, Piece piece) {
			DataBuffer content = piece.take();
			if (content == null) {
				return Flux.empty();
			}
			List<Block> full = new ArrayList<>(2);
			try {
				int bytes = content.readableByteCount();
				if (!batch.count(bytes)) {
					return Flux.error(new TooLargeException());
				}
				entry.size += bytes;
				try (DataBuffer.ByteBufferIterator regions = content.readableByteBuffers()) {
					while (regions.hasNext()) {
						ByteBuffer region = regions.next();
						while (region.hasRemaining()) {
							Block block = filling;
							if (block == null) {
								block = batch.block(entry, content.factory());
								if (block == null) {
									return Flux.empty();
								}
								filling = block;
							}
							if (!block.fill(region)) {
								return Flux.empty();
							}
							if (block.full()) {
								full.add(block);
								filling = null;
							}
						}
					}
				}
				if (piece.event.isLast()) {
					Block last = filling != null ? filling : batch.block(entry, null);
					filling = null;
					if (last == null) {
						return Flux.fromIterable(full);
					}
					last.last = true;
					full.add(last);
				}
				return Flux.fromIterable(full);
			}
			finally {
				DataBufferUtils.release(content);
			}
		}
	}

	/**
	 * Writes a block at its place; emits its entry when it was the last block of its part (then every
	 * write of the part is done: {@code flatMapSequential} emits in order).
	 */
	private Mono<Entry> write(Block block) {
		// taken on subscription: flatMapSequential may map a value and, cancelled, never subscribe
		return Mono.defer(() -> {
			Entry entry = block.entry;
			DataBuffer buffer = block.take();
			if (buffer == null) {
				return Mono.empty();
			}
			AsyncFile file = entry.file;
			Assert.state(file != null, "not open");
			Mono<Void> written = buffer.readableByteCount() == 0
					? Mono.fromRunnable(() -> DataBufferUtils.release(buffer))
					: AioDataBufferUtils.write(Mono.just(buffer), file, block.position).map(DataBufferUtils::release)
							.then();
			return block.last ? written.thenReturn(entry) : written.then(Mono.empty());
		});
	}

	/** Something of a {@link Batch} that holds memory until it is released, at the latest when the batch aborts. */
	private interface Owned {
		void release();
	}

	/**
	 * An event of a multipart body taken by {@link #storeParts}: its content is released exactly once,
	 * by {@link #release} (skipped, failed, discarded, or left when the batch aborts) or by whoever took
	 * it ({@link #take}).
	 */
	private static final class Piece implements Owned {

		private static final AtomicIntegerFieldUpdater<Piece> DONE =
				AtomicIntegerFieldUpdater.newUpdater(Piece.class, "done");

		private final Batch batch;
		final PartEvent event;
		private volatile int done;

		Piece(Batch batch, PartEvent event) {
			this.batch = batch;
			this.event = event;
		}

		/** Hands the content over; null when it was released already. */
		@Nullable DataBuffer take() {
			if (DONE.compareAndSet(this, 0, 1)) {
				batch.forget(this);
				return event.content();
			}
			return null;
		}

		@Override
		public void release() {
			if (DONE.compareAndSet(this, 0, 1)) {
				batch.forget(this);
				AioFileHandler.release(event);
			}
		}
	}

	/**
	 * Consecutive bytes of one part, copied out of its events' small buffers ({@value #BLOCK_SIZE} bytes
	 * but the last), written with one write: the parser's buffers are about 8 KiB. Filled by the serial
	 * stage, then taken by its write; released exactly once, by the write or by {@link #release}
	 * (discarded, or left when the batch aborts), never while it is being filled.
	 */
	private static final class Block implements Owned {

		static final int BLOCK_SIZE = 256 * 1024;

		private final Batch batch;
		final Entry entry;
		final long position;
		/** Null for the empty block that ends a part at a block boundary. */
		private @Nullable DataBuffer buffer;
		private boolean done;
		/** Set by the serial stage before the block is emitted. */
		volatile boolean last;

		Block(Batch batch, Entry entry, long position, @Nullable DataBuffer buffer) {
			this.batch = batch;
			this.entry = entry;
			this.position = position;
			this.buffer = buffer;
		}

		/** Copies what fits of {@code region}; false when the block was released meanwhile. */
		synchronized boolean fill(ByteBuffer region) {
			DataBuffer target = buffer;
			if (done || target == null) {
				return false;
			}
			int count = Math.min(region.remaining(), BLOCK_SIZE - target.writePosition());
			ByteBuffer slice = region.slice();
			slice.limit(count);
			target.write(slice);
			region.position(region.position() + count);
			return true;
		}

		synchronized boolean full() {
			DataBuffer target = buffer;
			return target != null && target.writePosition() >= BLOCK_SIZE;
		}

		/** Hands the bytes over to the write; null when the block was released already. */
		synchronized @Nullable DataBuffer take() {
			if (done) {
				return null;
			}
			done = true;
			batch.forget(this);
			DataBuffer target = buffer;
			return target != null ? target : DefaultDataBufferFactory.sharedInstance.allocateBuffer(0);
		}

		@Override
		public synchronized void release() {
			if (!done) {
				done = true;
				batch.forget(this);
				DataBufferUtils.release(buffer);
			}
		}
	}

	/**
	 * The events {@link #storeParts} took, the latest {@value #REMEMBERED} remembered by identity, so that
	 * the discard hook releases only the events that were never emitted. Reactor's {@code concatMap}
	 * (3.8) discards its last scalar again when it is cancelled after emitting it, and Spring's streaming
	 * reader emits its events through one: that event was taken and is released on its own path.
	 */
	private static final class Received {

		private static final int REMEMBERED = 256;

		private final Map<PartEvent, Boolean> events = new IdentityHashMap<>();
		private final ArrayDeque<PartEvent> order = new ArrayDeque<>();

		/** An event arrives: false when it was discarded (and released) first, in a race with its emission. */
		synchronized boolean take(PartEvent event) {
			return remember(event);
		}

		/** The source discarded an event: released unless it was emitted before. */
		void discarded(PartEvent event) {
			boolean release;
			synchronized (this) {
				release = remember(event);
			}
			if (release) {
				release(event);
			}
		}

		private boolean remember(PartEvent event) {
			if (events.putIfAbsent(event, Boolean.TRUE) != null) {
				return false;
			}
			order.addLast(event);
			if (order.size() > REMEMBERED) {
				events.remove(order.removeFirst());
			}
			return true;
		}
	}

	private static void release(PartEvent event) {
		if (!(event instanceof FormPartEvent)) {
			DataBufferUtils.release(event.content());
		}
	}

	private static void deleteQuietly(Path file) {
		try {
			Files.deleteIfExists(file);
		}
		catch (IOException e) {
			// nothing more to do: it is a hidden temporary file
		}
	}

	/**
	 * A workaround for Spring's {@code PartEventHttpMessageReader} (7.0): on cancellation it drops the
	 * parser's body tokens still queued in its {@code windowUntil} to the subscriber's discard hook, where
	 * its own hook for them ({@code MultipartParser}'s, upstream) does not reach, so their buffers leak
	 * when a client goes away mid-part. The token class is not public API: it is recognized by name and
	 * its buffer read through its public {@code buffer()} method, and anything else is left alone.
	 */
	private static final class SpringParserTokens {

		private static final String BODY_TOKEN = "org.springframework.http.codec.multipart.MultipartParser$BodyToken";

		private static volatile java.lang.reflect.@Nullable Method buffer;

		static void release(Object discarded) {
			if (!discarded.getClass().getName().equals(BODY_TOKEN)) {
				return;
			}
			try {
				java.lang.reflect.Method method = buffer;
				if (method == null) {
					method = discarded.getClass().getMethod("buffer");
					method.setAccessible(true);
					buffer = method;
				}
				if (method.invoke(discarded) instanceof DataBuffer content) {
					DataBufferUtils.release(content);
				}
			}
			catch (ReflectiveOperationException | RuntimeException e) {
				// not the class it was: nothing to release
			}
		}
	}

	private static String partName(PartEvent event) {
		String name = event.headers().getContentDisposition().getName();
		return name != null ? name : "";
	}

	/** The upload's own failures as the HTTP errors WebFlux answers with. */
	private static Throwable statusError(Throwable error) {
		if (error instanceof TooLargeException) {
			return new ContentTooLargeException(error);
		}
		if (error instanceof DirectoryException) {
			return new ResponseStatusException(HttpStatus.CONFLICT, "the target is a directory", error);
		}
		return error;
	}

	/** Evaluates the preconditions against {@code file} as it is now. */
	private static void check(Path file, HttpMethod method, HttpHeaders conditions) throws IOException {
		BasicFileAttributes current = attributesOrNull(file);
		Preconditions.Outcome outcome = current == null
				? Preconditions.evaluate(method, conditions, null, -1, false)
				: Preconditions.evaluate(method, conditions, etag(current), current.lastModifiedTime().toMillis(), true);
		if (outcome != Preconditions.Outcome.PROCEED) {
			throw new PreconditionException();
		}
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

	/** Syncs {@code directory}, so that the renames in it are durable too. */
	private Mono<Void> syncDirectory(Path directory) {
		return Mono.usingWhen(AsyncFile.open(directory, Set.of(StandardOpenOption.READ), loops()),
				opened -> opened.force(true), AsyncFile::close, (opened, error) -> opened.close(),
				AsyncFile::close);
	}

	private static Mono<ServerResponse> tooLarge() {
		return ServerResponse.status(HttpStatus.CONTENT_TOO_LARGE).build();
	}

	/** A strong entity tag: the size and the modification time in nanoseconds, quoted. */
	private static String etag(BasicFileAttributes attributes) {
		return "\"" + Long.toHexString(attributes.size()) + "-"
				+ Long.toHexString(attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS)) + "\"";
	}

	/**
	 * Runs a blocking file operation on {@code boundedElastic}. A cancel does not interrupt it (as
	 * {@code subscribeOn} would: an interrupted file operation can fail half done, e.g. leave a temporary
	 * file that is not registered yet); the operation finishes and its result is dropped.
	 */
	private static <T> Mono<T> blocking(Callable<T> call) {
		return Mono.fromFuture(() -> CompletableFuture.supplyAsync(() -> {
			try {
				return call.call();
			}
			catch (Exception e) {
				throw new CompletionException(e);
			}
		}, task -> Schedulers.boundedElastic().schedule(task)), true);
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
