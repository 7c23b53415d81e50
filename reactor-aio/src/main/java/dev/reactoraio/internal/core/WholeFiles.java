package dev.reactoraio.internal.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * What every way of reading a whole file shares with {@code Files.readAllBytes}: how large an array may
 * be, how it grows when the file grew while being read, and the blocking read the pool does.
 */
final class WholeFiles {

	/** The largest array the JDK allocates for a whole file. */
	static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

	private WholeFiles() {
	}

	/** The JDK's error for a file too large for one array. */
	static OutOfMemoryError tooLarge() {
		return new OutOfMemoryError("Required array size too large");
	}

	/** {@code bytes} with room for at least one more byte, or the JDK's error past the largest array. */
	static byte[] grow(byte[] bytes) {
		if (bytes.length >= MAX_ARRAY) {
			throw tooLarge();
		}
		int capacity = (int) Math.min(MAX_ARRAY, Math.max(8192L, 2L * bytes.length));
		return Arrays.copyOf(bytes, capacity);
	}

	/** The whole file through a FileChannel, on the blocking pool: the JDK's own errors. */
	static byte[] readBlocking(OpenSpec spec) throws IOException {
		try (FileChannel channel = FileChannel.open(spec.path, spec.nioOptions)) {
			long size = channel.size();
			if (size > MAX_ARRAY) {
				throw tooLarge();
			}
			byte[] bytes = new byte[(int) size];
			int filled = 0;
			while (true) {
				if (filled == bytes.length) {
					ByteBuffer probe = ByteBuffer.allocate(1);
					if (channel.read(probe) <= 0) {
						return bytes;
					}
					bytes = grow(bytes);
					bytes[filled++] = probe.get(0);
				}
				int n = channel.read(ByteBuffer.wrap(bytes, filled, bytes.length - filled));
				if (n < 0) {
					return filled == bytes.length ? bytes : Arrays.copyOf(bytes, filled);
				}
				filled += n;
			}
		}
	}
}
