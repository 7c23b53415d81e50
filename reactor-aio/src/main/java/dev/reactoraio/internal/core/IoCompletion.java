package dev.reactoraio.internal.core;

/**
 * Receives the outcome of an {@link IoRequest} on its loop thread: a non-negative result or
 * {@code -errno}, exactly as a CQE's {@code res}. An engine that fails with a Java exception instead
 * (the NIO backend) stores it in {@link IoRequest#failure} and reports {@code -EIO}.
 */
@FunctionalInterface
public interface IoCompletion {

	void onComplete(IoRequest request, long result);
}
