package dev.reactoraio;

import dev.reactoraio.internal.runtime.Backends;
import dev.reactoraio.internal.runtime.Diagnostics;
import org.jspecify.annotations.Nullable;

/**
 * Which backends this process can use, and why not. The answers come from asking the kernel once
 * (ring setup, feature bits, opcode probe, an AIO context) and are cached for the life of the process.
 */
public final class Aio {

	private Aio() {
	}

	/**
	 * Whether {@code backend} can run here. {@link AioBackend#AUTO} and {@link AioBackend#NIO} always can.
	 *
	 * @param backend the backend
	 * @return true if resources with this backend can be built
	 */
	public static boolean isAvailable(AioBackend backend) {
		return unavailabilityCause(backend) == null;
	}

	/**
	 * Why {@code backend} cannot run here, as an exception whose message names the cause and what to
	 * change (e.g. {@code io_uring_setup: EPERM (Operation not permitted) — blocked by a seccomp profile …}).
	 *
	 * @param backend the backend
	 * @return the cause, or {@code null} when the backend is available
	 */
	public static @Nullable Throwable unavailabilityCause(AioBackend backend) {
		return Backends.unavailabilityCause(backend);
	}

	/**
	 * Throws if {@code backend} cannot run here.
	 *
	 * @param backend the backend
	 * @throws UnsupportedOperationException with the {@linkplain #unavailabilityCause cause}
	 */
	public static void ensureAvailability(AioBackend backend) {
		Backends.ensureAvailability(backend);
	}

	/**
	 * The backend {@link AioBackend#AUTO} chooses in this process: io_uring, else kernel AIO, else NIO.
	 *
	 * @return the chosen backend
	 */
	public static AioBackend autoBackend() {
		return Backends.auto();
	}

	/**
	 * A human-readable report: kernel release, io_uring setup flags accepted and rejected, feature bits
	 * and opcodes by name, RLIMIT_MEMLOCK, {@code fs.aio-max-nr}/{@code aio-nr}, the backend AUTO chooses
	 * and the cause for each one it rejected.
	 *
	 * @return the report, several lines
	 */
	public static String describe() {
		return Diagnostics.report();
	}
}
