package dev.reactoraio.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Latency recorder with log-linear buckets (64 per power of two, so within 1.6 %), one histogram per
 * recording thread: recording is a {@code ThreadLocal} lookup and an array increment, no atomics, no
 * allocation. Read it only after every recording thread has been joined (a latch or {@code join}).
 */
final class Latency {

	private static final int SUB_BITS = 6;
	private static final int SUB = 1 << SUB_BITS;
	private static final int BUCKETS = (64 - SUB_BITS + 1) * SUB;

	private final List<long[]> histograms = new ArrayList<>();
	private final ThreadLocal<long[]> local = ThreadLocal.withInitial(this::newHistogram);

	void record(long nanos) {
		local.get()[index(Math.max(nanos, 0))]++;
	}

	private synchronized long[] newHistogram() {
		long[] histogram = new long[BUCKETS];
		histograms.add(histogram);
		return histogram;
	}

	/** The value below which {@code fraction} of the recordings fall, in nanoseconds; NaN when empty. */
	synchronized double percentile(double fraction) {
		long[] merged = new long[BUCKETS];
		long total = 0;
		for (long[] histogram : histograms) {
			for (int i = 0; i < BUCKETS; i++) {
				merged[i] += histogram[i];
				total += histogram[i];
			}
		}
		if (total == 0) {
			return Double.NaN;
		}
		long rank = (long) Math.ceil(fraction * total);
		long seen = 0;
		for (int i = 0; i < BUCKETS; i++) {
			seen += merged[i];
			if (seen >= rank) {
				return middle(i);
			}
		}
		return middle(BUCKETS - 1);
	}

	static int index(long value) {
		int exponent = 63 - Long.numberOfLeadingZeros(value | 1);
		if (exponent < SUB_BITS) {
			return (int) value;
		}
		return (exponent - SUB_BITS + 1) * SUB + (int) (value >>> (exponent - SUB_BITS)) - SUB;
	}

	private static double middle(int index) {
		if (index < SUB) {
			return index;
		}
		int exponent = index / SUB + SUB_BITS - 1;
		long low = ((long) (index % SUB + SUB)) << (exponent - SUB_BITS);
		return low + (1L << (exponent - SUB_BITS)) / 2.0;
	}
}
