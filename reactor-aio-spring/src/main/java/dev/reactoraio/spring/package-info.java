/**
 * Spring integration (optional: needs {@code spring-core}, and {@code spring-web}/{@code spring-webflux}
 * for the web types). {@link dev.reactoraio.spring.AioDataBufferUtils} mirrors Spring's
 * {@code DataBufferUtils} file reads and writes, with the same ownership rules;
 * {@link dev.reactoraio.spring.AioResourceHttpMessageWriter} serves file resources through reactor-aio
 * where the server cannot use {@code sendfile}; {@link dev.reactoraio.spring.AioFileHandler} serves
 * and receives files from WebFlux functional endpoints.
 * <p>
 * Nothing outside this package refers to Spring: the rest of reactor-aio runs without it.
 */
@NullMarked
package dev.reactoraio.spring;

import org.jspecify.annotations.NullMarked;
