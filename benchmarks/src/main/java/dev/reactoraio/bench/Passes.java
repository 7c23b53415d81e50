package dev.reactoraio.bench;

import java.time.Duration;

/**
 * A contender whose unit of work is a pass over the workload's data (a whole file, or every small
 * file): it runs passes until the duration is up, or exactly one pass for one-pass workloads.
 */
final class Passes extends Contender {

	/** One pass; returns the bytes transferred. */
	@FunctionalInterface
	interface Pass {
		long run(Latency latency) throws Exception;
	}

	private final long bytesPerOp;
	private final boolean timeBased;
	private final boolean latencies;
	private final Pass pass;
	private final Runnable resources;

	/**
	 * @param bytesPerOp what an operation is (a 1 MiB chunk, a 16 KiB file), to count operations
	 * @param timeBased repeat passes until the duration is up, else run one
	 * @param latencies whether the pass records per-operation latencies
	 * @param resources run when the contender is closed, or null
	 */
	Passes(String name, Kind kind, long bytesPerOp, boolean timeBased, boolean latencies, Pass pass,
			Runnable resources) {
		super(name, kind);
		this.bytesPerOp = bytesPerOp;
		this.timeBased = timeBased;
		this.latencies = latencies;
		this.pass = pass;
		this.resources = resources;
	}


	@Override
	Run run(Duration duration) throws Exception {
		Latency latency = new Latency();
		long deadline = System.nanoTime() + duration.toNanos();
		long bytes = 0;
		Meter meter = Meter.start();
		do {
			bytes += pass.run(latency);
		}
		while (timeBased && System.nanoTime() < deadline);
		meter.stop();
		return Run.of((bytes + bytesPerOp - 1) / bytesPerOp, bytes, meter, latencies ? latency : null);
	}

	@Override
	void close() {
		if (resources != null) {
			resources.run();
		}
	}
}
