package dev.reactoraio.spring.boot.autoconfigure;

import dev.reactoraio.Aio;
import dev.reactoraio.AioBackend;
import dev.reactoraio.AioResources;
import dev.reactoraio.AioStats;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * UP with the backend the loops run on, their capacity and what is in flight; when the backend is not
 * io_uring, {@code ioUringUnavailable} says why, in words an operator can act on (a seccomp profile,
 * {@code kernel.io_uring_disabled}, a JDK flag). DOWN once the resources are disposed.
 */
final class AioHealthIndicator extends AbstractHealthIndicator {

	private final AioResources resources;

	AioHealthIndicator(AioResources resources) {
		super("reactor-aio health check failed");
		this.resources = resources;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		AioStats stats = resources.stats();
		builder.status(resources.isDisposed() ? "DOWN" : "UP")
				.withDetail("resources", resources.name())
				.withDetail("backend", resources.backend().name())
				.withDetail("capacity", stats.capacity())
				.withDetail("inFlight", stats.inFlight())
				.withDetail("openFiles", stats.openFiles());
		if (resources.backend() != AioBackend.IO_URING) {
			Throwable cause = Aio.unavailabilityCause(AioBackend.IO_URING);
			builder.withDetail("ioUringUnavailable", cause != null ? String.valueOf(cause.getMessage())
					: "io_uring is available; the backend was chosen by configuration");
		}
	}
}
