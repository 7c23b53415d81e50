package dev.reactoraio.bench;

/**
 * One measured run of one contender.
 *
 * @param ops operations completed (reads, writes, 1 MiB chunks or files, as the workload counts them)
 * @param bytes bytes transferred
 * @param nanos wall time of the run
 * @param cpuNanos CPU time the contender's process spent in the run (user + system)
 * @param p50Nanos median operation latency, NaN where it does not apply
 * @param p99Nanos 99th percentile operation latency, NaN where it does not apply
 */
record Run(long ops, long bytes, long nanos, long cpuNanos, double p50Nanos, double p99Nanos) {

	double opsPerSecond() {
		return ops * 1e9 / nanos;
	}

	double megabytesPerSecond() {
		return bytes * 1e3 / nanos;
	}

	double cpuMicrosPerOp() {
		return ops == 0 ? Double.NaN : cpuNanos / 1e3 / ops;
	}

	/** A run timed by the caller, with the latencies of {@code latency} (or none). */
	static Run of(long ops, long bytes, Meter meter, Latency latency) {
		return new Run(ops, bytes, meter.nanos(), meter.cpuNanos(),
				latency == null ? Double.NaN : latency.percentile(0.50),
				latency == null ? Double.NaN : latency.percentile(0.99));
	}
}
