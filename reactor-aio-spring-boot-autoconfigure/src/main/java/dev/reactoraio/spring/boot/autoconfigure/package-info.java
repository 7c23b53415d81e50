/**
 * Spring Boot auto-configuration of reactor-aio: the {@code AioResources} bean, the WebFlux file writer,
 * Micrometer meters and an Actuator health indicator, each only when its library is on the class path.
 */
@NullMarked
package dev.reactoraio.spring.boot.autoconfigure;

import org.jspecify.annotations.NullMarked;
