package dev.reactoraio.internal.runtime;

import dev.reactoraio.AioBackend;
import dev.reactoraio.AioProperties;
import dev.reactoraio.internal.aio.AioProbe;
import dev.reactoraio.internal.uring.Uring;
import dev.reactoraio.internal.uring.UringProbe;
import org.jspecify.annotations.Nullable;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The backend choice: each backend's availability comes from its probe (run once per process), and
 * AUTO takes the first available of io_uring, kernel AIO, NIO. The choice and the reasons for it are
 * logged once at INFO.
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
		UringProbe uring = UringProbe.get();
		if (uring.isAvailable()) {
			log.info("reactor-aio uses IO_URING: io_uring rings with {}, features {}",
					Uring.setupFlagNames(uring.ringFlags(AioProperties.deferTaskrun())), Uring.featureNames(uring.features()));
			return AioBackend.IO_URING;
		}
		Throwable aio = AioProbe.get().unavailabilityCause();
		if (aio == null) {
			log.info("reactor-aio uses LIBAIO (kernel AIO for O_DIRECT files, the blocking pool for buffered "
					+ "ones) because io_uring is unavailable: {}", message(uring.unavailabilityCause()));
			return AioBackend.LIBAIO;
		}
		log.info("reactor-aio uses NIO (a bounded FileChannel pool) because io_uring is unavailable: {}; "
				+ "kernel AIO is unavailable: {}", message(uring.unavailabilityCause()), message(aio));
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
