package dev.reactoraio.internal.core;

import org.jspecify.annotations.Nullable;

/** Outcome of {@link IoLoop#open}, on the loop thread: a file, or the exception a FileChannel user would get. */
@FunctionalInterface
public interface OpenCallback {

	void opened(@Nullable FileHandle file, @Nullable Throwable error);
}
