package dev.reactoraio;

/**
 * A snapshot of an {@link AioResources}' counters, summed over its loops. Counters are published by each
 * loop once per turn, so a snapshot taken while I/O runs lags by at most one turn.
 */
public interface AioStats {

	/** Requests issued to the engine since the resources were created. */
	long submitted();

	/** Requests whose completion was delivered. */
	long completed();

	/** Requests in flight now (issued, completion not yet delivered). */
	int inFlight();

	/** The most requests that were in flight at once on any loop, summed over loops. Never above {@link #capacity()}. */
	int peakInFlight();

	/** The most requests the loops admit in flight at once: for io_uring, the CQ entries less what the loop reserves. */
	int capacity();

	/** Requests waiting for a free slot, in arrival order (bounded by the demand that created them). */
	int queued();

	/** Requests whose completion was an error (a negative result), cancellations included. */
	long failed();

	/**
	 * Sum of the time from issue to completion of every completed request, in nanoseconds: with
	 * {@link #completed()} it gives the mean latency (Micrometer's {@code FunctionTimer} shape).
	 */
	long latencyNanos();

	/** Requests that ran on the blocking pool instead of the kernel's queue (per-operation fallback). */
	long offloaded();

	/** Files open now. */
	int openFiles();

	/** Library-owned native buffers handed out and not yet returned (bounce, staging and read buffers in flight). */
	int outstandingBuffers();
}
