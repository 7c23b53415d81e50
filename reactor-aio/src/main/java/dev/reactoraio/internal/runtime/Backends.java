package dev.reactoraio.internal.runtime;

import dev.reactoraio.AioBackend;
import dev.reactoraio.internal.aio.AioProbe;
import dev.reactoraio.internal.uring.UringProbe;
import org.jspecify.annotations.Nullable;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The backend choice: each backend's availability comes from its probe (run once per process), and
 * AUTO takes the first available of io_uring, kernel AIO, NIO. The choice is logged once, in one INFO
 * line, with the reason when it is a fallback.
 */
public final class Backends {

	private static final Logger log = Loggers.getLogger("dev.reactoraio");

	private static volatile @Nullable AioBackend auto;

	private Backends() {
	}

	public static @Nullable Throwable unavailabilityCause(AioBackend backend) {
		switch (backend) {
			case IO_URING:
				return UringProbe.get().unavailabilityCause();
			case LIBAIO:
				return AioProbe.get().unavailabilityCause();
			default:
				return null;
		}
	}

	public static void ensureAvailability(AioBackend backend) {
		Throwable cause = unavailabilityCause(backend);
		if (cause != null) {
			throw new UnsupportedOperationException(backend + " is not available: " + cause.getMessage(), cause);
		}
	}

	/** AUTO resolved: io_uring, else kernel AIO, else NIO. */
	public static AioBackend auto() {
		AioBackend chosen = auto;
		if (chosen == null) {
			synchronized (Backends.class) {
				chosen = auto;
				if (chosen == null) {
					chosen = choose();
					auto = chosen;
				}
			}
		}
		return chosen;
	}

	private static AioBackend choose() {
		// One line at start: the choice, and when it is a fallback, why. Aio.describe() has the details.
		UringProbe uring = UringProbe.get();
		if (uring.isAvailable()) {
			log.info("reactor-aio uses IO_URING (Aio.describe() tells more)");
			return AioBackend.IO_URING;
		}
		String uringCause = message(uring.unavailabilityCause());
		Throwable aio = AioProbe.get().unavailabilityCause();
		if (aio == null) {
			log.info("reactor-aio uses LIBAIO: io_uring is unavailable: {}", uringCause);
			return AioBackend.LIBAIO;
		}
		String aioCause = message(aio);
		log.info("reactor-aio uses NIO: io_uring is unavailable: {}{}", uringCause,
				aioCause.equals(uringCause) ? " (so is kernel AIO)" : "; kernel AIO is unavailable: " + aioCause);
		return AioBackend.NIO;
	}

	/** The backend a request for {@code backend} gets; a forced, unavailable backend fails with its cause. */
	public static AioBackend resolve(AioBackend backend) {
		if (backend == AioBackend.AUTO) {
			return auto();
		}
		ensureAvailability(backend);
		return backend;
	}

	static String message(@Nullable Throwable t) {
		return t == null ? "available" : t.getMessage() != null ? t.getMessage() : t.toString();
	}
}
