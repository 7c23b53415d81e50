package dev.reactoraio.internal.core;

import org.jspecify.annotations.Nullable;

/** Outcome of {@link IoLoop#readWholeFile}, on the loop thread: the bytes, or the exception {@code Files.readAllBytes} gives. */
@FunctionalInterface
public interface WholeFileCallback {

	void done(byte @Nullable [] bytes, @Nullable Throwable error);

	/**
	 * Loop thread: the request the read now waits for (an open, a read; never a close), which the reader
	 * may cancel to end a read that would wait for a long time (a pipe with no writer).
	 */
	default void waitingFor(IoRequest request) {
	}
}
