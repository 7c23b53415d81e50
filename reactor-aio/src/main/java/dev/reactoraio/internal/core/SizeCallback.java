package dev.reactoraio.internal.core;

import org.jspecify.annotations.Nullable;

/** Outcome of {@link IoLoop#size}: the size, or the error. Runs on the loop. */
@FunctionalInterface
public interface SizeCallback {

	void done(long size, @Nullable Throwable error);
}
