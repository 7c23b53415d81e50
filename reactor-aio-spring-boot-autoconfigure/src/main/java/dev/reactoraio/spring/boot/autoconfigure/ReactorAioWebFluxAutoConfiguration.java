package dev.reactoraio.spring.boot.autoconfigure;

import dev.reactoraio.AioResources;
import dev.reactoraio.spring.AioFileHandler;
import dev.reactoraio.spring.AioResourceHttpMessageWriter;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.http.codec.CodecCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.resource.ResourceWebHandler;

/**
 * In a reactive web application with reactor-aio-spring present: an {@link AioResourceHttpMessageWriter}
 * and an {@link AioFileHandler} (for functional endpoints) on the application's resources, and file
 * {@code Resource}s go through reactor-aio: the writer is registered as a codec (controllers and
 * functional endpoints returning a file Resource) and as the writer of the static resource handlers,
 * unless {@code reactor.aio.webflux.enabled=false}. Plain HTTP keeps the server's zero-copy
 * {@code sendfile} unless {@code reactor.aio.webflux.zero-copy=never}.
 */
@AutoConfiguration(after = ReactorAioAutoConfiguration.class)
@ConditionalOnClass({AioResourceHttpMessageWriter.class, CodecCustomizer.class})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
public final class ReactorAioWebFluxAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	AioResourceHttpMessageWriter aioResourceHttpMessageWriter(AioResources aioResources, ReactorAioProperties properties) {
		ReactorAioProperties.Webflux webflux = properties.getWebflux();
		AioResourceHttpMessageWriter.ZeroCopyPolicy policy = webflux.getZeroCopy() == ReactorAioProperties.ZeroCopy.NEVER
				? AioResourceHttpMessageWriter.ZeroCopyPolicy.NEVER
				: AioResourceHttpMessageWriter.ZeroCopyPolicy.PLAIN_HTTP;
		return new AioResourceHttpMessageWriter(webflux.getBufferSize(), policy, aioResources);
	}

	@Bean
	@ConditionalOnMissingBean
	AioFileHandler aioFileHandler(AioResourceHttpMessageWriter writer, AioResources aioResources) {
		return new AioFileHandler(writer, aioResources);
	}

	/** The writer in Spring's way of writing a Resource: as a codec, and for static resources. */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnProperty(prefix = "reactor.aio.webflux", name = "enabled", matchIfMissing = true)
	static final class Registration {

		@Bean
		CodecCustomizer aioResourceCodecCustomizer(AioResourceHttpMessageWriter writer) {
			return configurer -> configurer.customCodecs().register(writer);
		}

		/** Static resources: every ResourceWebHandler of a URL handler mapping writes through reactor-aio. */
		@Bean
		static BeanPostProcessor aioStaticResourceWriter(ObjectProvider<AioResourceHttpMessageWriter> writer) {
			return new BeanPostProcessor() {
				@Override
				public Object postProcessAfterInitialization(Object bean, String beanName) {
					if (bean instanceof SimpleUrlHandlerMapping) {
						for (Object handler : ((SimpleUrlHandlerMapping) bean).getUrlMap().values()) {
							if (handler instanceof ResourceWebHandler) {
								((ResourceWebHandler) handler).setResourceHttpMessageWriter(writer.getObject());
							}
						}
					}
					return bean;
				}
			};
		}
	}
}
