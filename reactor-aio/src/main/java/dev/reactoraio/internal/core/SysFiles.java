package dev.reactoraio.internal.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jspecify.annotations.Nullable;

/**
 * Reads small files of /proc and /sys. They must be read in one {@code read(2)}: a sysctl answers
 * a read at a non-zero offset with end-of-file, so {@code Files.readString}, which reads a file its
 * size reports as empty a byte at a time, sees only the first character.
 */
public final class SysFiles {

	private SysFiles() {
	}

	/** The trimmed content, or null when the file is absent or unreadable. */
	public static @Nullable String read(Path file) {
		try (InputStream in = Files.newInputStream(file)) {
			byte[] buffer = new byte[4096];
			int n = in.read(buffer);
			return n <= 0 ? "" : new String(buffer, 0, n, StandardCharsets.US_ASCII).trim();
		}
		catch (IOException | RuntimeException e) {
			return null;
		}
	}

	/** A sysctl by its /proc/sys path, e.g. {@code fs/aio-max-nr}. */
	public static @Nullable String sysctl(String name) {
		return read(Path.of("/proc/sys", name));
	}
}
