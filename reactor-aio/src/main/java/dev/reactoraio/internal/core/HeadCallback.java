package dev.reactoraio.internal.core;

import java.nio.ByteBuffer;

/**
 * Outcome of {@link IoLoop#openWithHead}, on the loop thread: first the bytes the chain read, then the
 * file to read on (or none: the chain saw the end and the descriptor is closed, or the error).
 */
public interface HeadCallback extends OpenCallback {

	/**
	 * The chain read {@code first} and then {@code more} (position to limit, in file order, from the
	 * start of the file); {@code end} when a read found nothing after them. The buffers are the loop's
	 * and valid during this call only. Not called when the chain could not run; {@link #opened} follows
	 * in every case: with {@code (null, null)} when {@code end} was seen and the descriptor is closed.
	 */
	void head(ByteBuffer first, ByteBuffer more, boolean end);
}
