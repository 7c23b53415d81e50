package dev.reactoraio.internal.core;

/** A stream bound to a file that must end when the file is closed or its resources disposed. */
@FunctionalInterface
public interface Abortable {

	/** Loop thread: stop issuing, signal {@code cause} downstream, release buffers as completions arrive. */
	void abort(Throwable cause);
}
