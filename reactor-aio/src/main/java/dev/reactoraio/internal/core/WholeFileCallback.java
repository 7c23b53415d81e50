package dev.reactoraio.internal.core;

import org.jspecify.annotations.Nullable;

/** Outcome of {@link IoLoop#readWholeFile}, on the loop thread: the bytes, or the exception {@code Files.readAllBytes} gives. */
@FunctionalInterface
public interface WholeFileCallback {

	void done(byte @Nullable [] bytes, @Nullable Throwable error);
}
