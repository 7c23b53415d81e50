package dev.reactoraio.spring;

import java.time.Duration;
import java.util.List;
import java.util.function.Function;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.codec.HttpMessageWriter;
import org.springframework.http.codec.ServerCodecConfigurer;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.http.server.reactive.MockServerHttpResponse;
import org.springframework.web.reactive.function.server.HandlerStrategies;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.reactive.result.view.ViewResolver;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.adapter.DefaultServerWebExchange;
import org.springframework.web.server.i18n.AcceptHeaderLocaleContextResolver;
import org.springframework.web.server.session.DefaultWebSessionManager;
import reactor.core.publisher.Mono;

/**
 * Runs a functional handler on a mock exchange whose response buffers come from a given factory (the
 * leak-detecting ones of {@link BufferFactories}), and reads the response, releasing its buffers.
 */
final class Exchanges {

	private static final Duration TIMEOUT = Duration.ofSeconds(20);
	private static final HandlerStrategies STRATEGIES = HandlerStrategies.withDefaults();
	private static final ServerResponse.Context CONTEXT = new ServerResponse.Context() {
		@Override
		public List<HttpMessageWriter<?>> messageWriters() {
			return STRATEGIES.messageWriters();
		}

		@Override
		public List<ViewResolver> viewResolvers() {
			return STRATEGIES.viewResolvers();
		}
	};

	private Exchanges() {
	}

	/** What the client would see (no status set is the server's default, 200). */
	record Result(HttpStatusCode status, HttpHeaders headers, byte[] body) {
	}

	static ServerWebExchange exchange(MockServerHttpRequest request, DataBufferFactory responseFactory) {
		return new DefaultServerWebExchange(request, new MockServerHttpResponse(responseFactory),
				new DefaultWebSessionManager(), ServerCodecConfigurer.create(), new AcceptHeaderLocaleContextResolver());
	}

	/** Runs {@code handler} and writes its response as the server would; returns status, headers and body. */
	static Result run(MockServerHttpRequest request, DataBufferFactory responseFactory,
			Function<ServerRequest, Mono<ServerResponse>> handler) {
		ServerWebExchange exchange = exchange(request, responseFactory);
		ServerRequest serverRequest = ServerRequest.create(exchange, STRATEGIES.messageReaders());
		handler.apply(serverRequest).flatMap(response -> response.writeTo(exchange, CONTEXT)).block(TIMEOUT);
		return result((MockServerHttpResponse) exchange.getResponse());
	}

	/** The response's status, headers and body; the body's buffers are released. */
	static Result result(MockServerHttpResponse response) {
		DataBuffer joined = DataBufferUtils.join(response.getBody()).block(TIMEOUT);
		byte[] body = new byte[0];
		if (joined != null) {
			body = AioDataBufferUtilsTest.bytes(joined);
			DataBufferUtils.release(joined);
		}
		HttpStatusCode status = response.getStatusCode();
		return new Result(status != null ? status : HttpStatus.OK, response.getHeaders(), body);
	}
}
