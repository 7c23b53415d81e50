package dev.reactoraio;

/**
 * One range read by {@link AsyncFile#readRanges(java.util.List, BufferProvider)}: the range and the
 * buffer holding all of its bytes (the provider's buffer, filled as {@link BufferProvider#written} says).
 *
 * @param <B> the buffer type
 */
public final class RangeRead<B> {

	private final FileRange range;
	private final B buffer;

	RangeRead(FileRange range, B buffer) {
		this.range = range;
		this.buffer = buffer;
	}

	/**
	 * A range and its bytes.
	 *
	 * @param range the range
	 * @param buffer the buffer holding the range's bytes
	 * @param <B> the buffer type
	 * @return the pair
	 */
	public static <B> RangeRead<B> of(FileRange range, B buffer) {
		return new RangeRead<>(range, buffer);
	}

	/** {@return the range} */
	public FileRange range() {
		return range;
	}

	/** {@return the buffer holding the range's bytes; the subscriber's to release} */
	public B buffer() {
		return buffer;
	}

	@Override
	public String toString() {
		return "RangeRead" + range;
	}
}
