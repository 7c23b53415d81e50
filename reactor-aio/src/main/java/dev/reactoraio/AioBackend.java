package dev.reactoraio;

/**
 * The engine that carries out file I/O.
 */
public enum AioBackend {

	/** The best engine this process can use, probed once: {@link #IO_URING}, else {@link #LIBAIO}, else {@link #NIO}. */
	AUTO,

	/** io_uring rings, one per loop thread (Linux 5.6+, not blocked by seccomp or {@code kernel.io_uring_disabled}). */
	IO_URING,

	/**
	 * Kernel AIO ({@code io_submit}) for O_DIRECT files; buffered files of a LIBAIO runtime run on the bounded
	 * blocking pool, because buffered {@code io_submit} blocks the caller.
	 */
	LIBAIO,

	/** Positional {@code FileChannel} I/O on a bounded thread pool: available everywhere. */
	NIO
}
