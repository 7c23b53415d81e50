package dev.reactoraio.bench;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import dev.reactoraio.AioBackend;
import dev.reactoraio.AioResources;
import dev.reactoraio.bench.Contender.Kind;
import dev.reactoraio.spring.AioFileHandler;
import dev.reactoraio.spring.AioResourceHttpMessageWriter;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.codec.multipart.FilePart;
import org.springframework.http.codec.multipart.FilePartEvent;
import org.springframework.http.codec.multipart.PartEvent;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.server.HandlerStrategies;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;

/**
 * W8: a multipart upload of one large file part over loopback to a Spring WebFlux functional endpoint
 * on Reactor Netty (no Spring Boot; the codecs are WebFlux's defaults, as Boot's are: Spring's
 * {@code DefaultPartHttpMessageReader} keeps parts over 256 KiB in a temporary file of its own), each
 * contender a route of the same server. The client, in the same JVM, sends a prepared
 * {@code multipart/form-data} body with {@code sendfile}, so that its share of the process CPU time is
 * small and the same for every contender. A run is one upload, timed from the request to the response;
 * the stored file is deleted and dirty pages synced before each run, untimed.
 */
final class Uploads {

	static final String BOUNDARY = "reactor-aio-bench-boundary";
	static final String STORE_PARTS = "reactor-aio storeParts (PartEvent)";
	static final String TRANSFER_TO = "FilePart.transferTo";
	/** The reference route: the whole body stored as it comes, with no multipart parsing. */
	static final String RAW = "/raw-put";

	private Uploads() {
	}

	/** The server, its loops, and one route per contender; closed with the workload. */
	static final class Server implements AutoCloseable {

		private final Path dir;
		private final AioResources resources;
		private final DisposableServer server;
		private final HttpClient client;

		Server(Path dir) {
			this.dir = dir;
			resources = Streams.resources("uploads", AioBackend.IO_URING);
			AioFileHandler files = new AioFileHandler(new AioResourceHttpMessageWriter(
					AioResourceHttpMessageWriter.DEFAULT_BUFFER_SIZE, AioResourceHttpMessageWriter.ZeroCopyPolicy.PLAIN_HTTP,
					resources), resources);
			var routes = RouterFunctions.route()
					.POST("/store-parts", request -> files.storeParts(request.bodyToFlux(PartEvent.class),
							event -> Mono.just(target(request)), Long.MAX_VALUE).then(ok()))
					.POST("/transfer-to", request -> filePart(request)
							.flatMap(part -> part.transferTo(target(request))).then(ok()))
					.POST("/transfer-to-force", request -> filePart(request)
							.flatMap(part -> part.transferTo(target(request)))
							.then(Mono.fromCallable(() -> force(target(request))).subscribeOn(Schedulers.boundedElastic()))
							.then(ok()))
					.POST("/store-file-part", request -> filePart(request)
							.flatMap(part -> files.store(part, target(request), Long.MAX_VALUE)).then(ok()))
					.POST(RAW, request -> files.receive(request, target(request), Long.MAX_VALUE)
							.flatMap(response -> ok()))
					.POST("/part-events-write", request -> DataBufferUtils.write(request.bodyToFlux(PartEvent.class)
							.filter(FilePartEvent.class::isInstance).map(PartEvent::content), target(request))
							.then(ok()))
					.build();
			server = HttpServer.create().host("127.0.0.1").port(0)
					.handle(new ReactorHttpHandlerAdapter(RouterFunctions.toHttpHandler(routes,
							HandlerStrategies.withDefaults())))
					.bindNow(Duration.ofSeconds(30));
			client = HttpClient.create().baseUrl("http://127.0.0.1:" + server.port());
		}

		private Path target(ServerRequest request) {
			return dir.resolve("stored-" + request.path().substring(1) + ".bin");
		}

		/** The uploads' targets: deleted before each run. */
		List<Path> targets() throws IOException {
			try (var files = Files.list(dir)) {
				return files.filter(p -> p.getFileName().toString().startsWith("stored-")).toList();
			}
		}

		@Override
		public void close() {
			server.disposeNow(Duration.ofSeconds(30));
			resources.disposeLater().block();
		}
	}

	private static Mono<FilePart> filePart(ServerRequest request) {
		return request.multipartData().map(parts -> (FilePart) parts.getFirst("file"));
	}

	private static Mono<ServerResponse> ok() {
		return ServerResponse.ok().build();
	}

	private static boolean force(Path file) throws IOException {
		try (FileChannel channel = FileChannel.open(file, WRITE)) {
			channel.force(true);
		}
		return true;
	}

	/**
	 * Writes the body of the uploads: a {@code multipart/form-data} body with one file part of
	 * {@code size} random bytes, unless it is already there.
	 */
	static Path prepareBody(Path file, long size) throws IOException {
		byte[] head = ("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload.bin\"\r\n"
				+ "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
		byte[] tail = ("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII);
		if (Files.exists(file) && Files.size(file) == head.length + size + tail.length) {
			return file;
		}
		System.out.printf("preparing %s (%d MiB multipart body)%n", file.getFileName(), size >> 20);
		ByteBuffer source = Streams.source();
		try (FileChannel channel = FileChannel.open(file, CREATE, WRITE, TRUNCATE_EXISTING)) {
			channel.write(ByteBuffer.wrap(head));
			for (long written = 0; written < size; written += Streams.CHUNK) {
				ByteBuffer chunk = source.duplicate().limit((int) Math.min(Streams.CHUNK, size - written));
				while (chunk.hasRemaining()) {
					channel.write(chunk);
				}
			}
			channel.write(ByteBuffer.wrap(tail));
			channel.force(true);
		}
		return file;
	}

	/** A contender: one route of the server, one upload per run. */
	static Contender contender(String name, Kind kind, Server server, String route, Path body, long size) {
		return new Contender(name, kind) {
			@Override
			Run run(Duration duration) throws Exception {
				Path stored = server.dir.resolve("stored" + route.replace('/', '-') + ".bin");
				long length = Files.size(body);
				Meter meter = Meter.start();
				Integer status = server.client
						.headers(h -> h.set("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
								.set("Content-Length", length))
						.post().uri(route)
						.send((request, out) -> out.sendFile(body))
						.responseSingle((response, content) -> content.then(Mono.just(response.status().code())))
						.block(Duration.ofMinutes(5));
				meter.stop();
				long expected = route.equals(RAW) ? length : size;
				if (status == null || status != 200 || Files.size(stored) != expected) {
					throw new IOException(name + ": status " + status + ", stored "
							+ (Files.exists(stored) ? Files.size(stored) : -1) + " of " + expected + " bytes");
				}
				return Run.of(size / Streams.CHUNK, size, meter, null);
			}
		};
	}

	/** Before each run: the previous run's file deleted, its dirty pages written back. */
	static Runnable cleanUp(Server server) {
		return () -> {
			try {
				for (Path target : server.targets()) {
					Files.delete(target);
				}
			}
			catch (IOException e) {
				throw new java.io.UncheckedIOException(e);
			}
			Machine.sync();
		};
	}

	/** The routes, by contender. */
	static List<String[]> routes() {
		return List.of(new String[] {STORE_PARTS, "LIBRARY", "/store-parts"},
				new String[] {"reactor-aio store(FilePart)", "LIBRARY", "/store-file-part"},
				new String[] {TRANSFER_TO, "JAVA_PEER", "/transfer-to"},
				new String[] {TRANSFER_TO + " + force", "JAVA_PEER", "/transfer-to-force"},
				new String[] {"PartEvent + DataBufferUtils.write", "JAVA_PEER", "/part-events-write"},
				new String[] {"reference: reactor-aio receive (the same bytes, no multipart)", "LIBRARY", RAW});
	}
}
