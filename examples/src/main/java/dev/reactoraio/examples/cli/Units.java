package dev.reactoraio.examples.cli;

import java.time.Duration;
import java.util.Locale;

import picocli.CommandLine;

/** Byte sizes and rates as people read them, and the {@code 64k}/{@code 1g} notation of the options. */
public final class Units {

	private Units() {
	}

	/** {@return {@code bytes} as {@code 512 B}, {@code 1.5 MiB}, {@code 1.0 GiB}} */
	public static String bytes(long bytes) {
		if (bytes < 1024) {
			return bytes + " B";
		}
		String[] units = {"KiB", "MiB", "GiB", "TiB"};
		double value = bytes;
		int unit = -1;
		while (value >= 1024 && unit < units.length - 1) {
			value /= 1024;
			unit++;
		}
		return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
	}

	/** {@return the rate of {@code bytes} in {@code elapsed}, in MB/s (10^6 bytes per second)} */
	public static String rate(long bytes, Duration elapsed) {
		double seconds = Math.max(elapsed.toNanos(), 1) / 1e9;
		return String.format(Locale.ROOT, "%.0f MB/s", bytes / seconds / 1e6);
	}

	/** {@return {@code elapsed} in seconds with two decimals} */
	public static String seconds(Duration elapsed) {
		return String.format(Locale.ROOT, "%.2f s", elapsed.toNanos() / 1e9);
	}

	/**
	 * Parses {@code 4096}, {@code 64k}, {@code 512m}, {@code 1g} (powers of 1024).
	 *
	 * @param text the size
	 * @return the number of bytes
	 */
	public static long parseSize(String text) {
		String s = text.trim().toLowerCase(Locale.ROOT);
		long factor = 1;
		char last = s.isEmpty() ? ' ' : s.charAt(s.length() - 1);
		if (last == 'k' || last == 'm' || last == 'g' || last == 't') {
			factor = 1L << (10 * ("kmgt".indexOf(last) + 1));
			s = s.substring(0, s.length() - 1);
		}
		try {
			long value = Long.parseLong(s);
			if (value < 0) {
				throw new NumberFormatException();
			}
			return Math.multiplyExact(value, factor);
		}
		catch (NumberFormatException | ArithmeticException e) {
			throw new IllegalArgumentException("not a size: '" + text + "' (try 4096, 64k, 512m, 1g)");
		}
	}

	/** Picocli converter for size options. */
	public static final class SizeConverter implements CommandLine.ITypeConverter<Long> {
		@Override
		public Long convert(String value) {
			return parseSize(value);
		}
	}
}
