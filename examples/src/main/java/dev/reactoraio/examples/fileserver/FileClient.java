package dev.reactoraio.examples.fileserver;

import java.io.UncheckedIOException;
import java.util.function.LongConsumer;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import javax.net.ssl.SSLException;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;

/**
 * A Reactor Netty HTTP client for a {@link FileServer}: over TLS it trusts exactly the server's
 * self-signed certificate.
 */
public final class FileClient {

	private final HttpClient client;

	/**
	 * A client for {@code server}.
	 *
	 * @param server the server
	 */
	public FileClient(FileServer server) {
		HttpClient http = HttpClient.create().baseUrl(server.baseUrl());
		SelfSignedCertificate tls = server.tls();
		if (tls != null) {
			SslContext context;
			try {
				context = SslContextBuilder.forClient().trustManager(tls.certificate().toFile()).build();
			}
			catch (SSLException e) {
				throw new UncheckedIOException(e);
			}
			http = http.secure(spec -> spec.sslContext(context));
		}
		this.client = http;
	}

	/** {@return the underlying client, for requests this class has no method for} */
	public HttpClient http() {
		return client;
	}

	/**
	 * Downloads {@code uri}, counting the body's bytes without keeping them.
	 *
	 * @param uri the path, e.g. {@code /files/orders.csv}
	 * @param progress called with the size of each received buffer
	 * @return the status and the number of body bytes
	 */
	public Mono<Transfer> download(String uri, LongConsumer progress) {
		return client.get().uri(uri)
				.response((response, body) -> body
						.map(buffer -> {
							int n = buffer.readableBytes();
							progress.accept(n);
							return (long) n;
						})
						.reduce(0L, Long::sum)
						.map(bytes -> new Transfer(response.status().code(), bytes)))
				.single();
	}

	/**
	 * Uploads {@code size} bytes of a repeated pattern to {@code uri} with {@code PUT}.
	 *
	 * @param uri the path
	 * @param size the body size
	 * @return the status and the bytes sent
	 */
	public Mono<Transfer> upload(String uri, long size) {
		byte[] block = new byte[64 * 1024];
		for (int i = 0; i < block.length; i++) {
			block[i] = (byte) ('a' + i % 26);
		}
		long blocks = (size + block.length - 1) / block.length;
		return client.headers(headers -> headers.set(HttpHeaderNames.CONTENT_LENGTH, size))
				.put().uri(uri)
				.send(ByteBufFlux.fromInbound(reactor.core.publisher.Flux.range(0, (int) blocks)
						.map(i -> io.netty.buffer.Unpooled.wrappedBuffer(block, 0,
								(int) Math.min(block.length, size - (long) i * block.length)))))
				.responseSingle((response, body) -> body.then(Mono.just(new Transfer(response.status().code(), size))));
	}

	/**
	 * A finished request.
	 *
	 * @param status the HTTP status
	 * @param bytes the body bytes received or sent
	 */
	public record Transfer(int status, long bytes) {
	}
}
