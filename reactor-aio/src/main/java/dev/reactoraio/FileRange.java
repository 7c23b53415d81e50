package dev.reactoraio;

/**
 * A range of a file to read with {@link AsyncFile#readRanges(java.util.List, BufferProvider)}: where it
 * starts and how many bytes it has.
 */
public final class FileRange {

	private final long offset;
	private final int length;

	private FileRange(long offset, int length) {
		this.offset = offset;
		this.length = length;
	}

	/**
	 * A range.
	 *
	 * @param offset the file offset of its first byte, {@code >= 0}
	 * @param length its number of bytes, {@code > 0}
	 * @return the range
	 * @throws IllegalArgumentException for a negative offset, a length that is not positive, or an end past
	 * {@code Long.MAX_VALUE}
	 */
	public static FileRange of(long offset, int length) {
		if (offset < 0) {
			throw new IllegalArgumentException("Negative offset " + offset);
		}
		if (length <= 0) {
			throw new IllegalArgumentException("length must be > 0, was " + length);
		}
		if (offset > Long.MAX_VALUE - length) {
			throw new IllegalArgumentException("range end overflows: " + offset + " + " + length);
		}
		return new FileRange(offset, length);
	}

	/** {@return the file offset of the first byte} */
	public long offset() {
		return offset;
	}

	/** {@return the number of bytes} */
	public int length() {
		return length;
	}

	/** {@return the file offset just past the last byte} */
	public long end() {
		return offset + length;
	}

	@Override
	public boolean equals(Object other) {
		return other instanceof FileRange && ((FileRange) other).offset == offset && ((FileRange) other).length == length;
	}

	@Override
	public int hashCode() {
		return Long.hashCode(offset) * 31 + length;
	}

	@Override
	public String toString() {
		return "[" + offset + ", " + end() + ")";
	}
}
