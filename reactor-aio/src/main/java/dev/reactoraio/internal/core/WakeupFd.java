package dev.reactoraio.internal.core;

import dev.reactoraio.internal.jnr.Errno;
import dev.reactoraio.internal.jnr.Native;

/**
 * The eventfd a native loop sleeps on. Other threads {@link #signal} it to wake the loop. The lock
 * closes a narrow race: a thread that decided to wake the loop just before the loop ended must never
 * write into a descriptor number that was closed and reused meanwhile.
 */
public final class WakeupFd {

	public final int fd;
	private final long one;
	private boolean closed;

	public WakeupFd() {
		int created = Native.eventfd(0, Native.EFD_CLOEXEC);
		if (created < 0) {
			throw new IllegalStateException("eventfd: " + Errno.describe(-created));
		}
		this.fd = created;
		this.one = Native.allocate(8);
		Native.putLong(one, 1L);
	}

	/** Any thread: adds one to the counter, which completes the loop's pending read. */
	public synchronized void signal() {
		if (!closed) {
			Native.write(fd, one, 8);
		}
	}

	public synchronized void close() {
		if (!closed) {
			closed = true;
			Native.close(fd);
			Native.free(one);
		}
	}
}
