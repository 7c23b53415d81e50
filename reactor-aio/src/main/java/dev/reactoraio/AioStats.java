package dev.reactoraio;

/**
 * A snapshot of an {@link AioResources}' counters, summed over its loops. Counters are published by each
 * loop once per turn, so a snapshot taken while I/O runs lags by at most one turn.
 */
public interface AioStats {

	/** {@return requests issued to the engine since the resources were created} */
	long submitted();

	/** {@return requests whose completion was delivered} */
	long completed();

	/** {@return requests in flight now (issued, completion not yet delivered)} */
	int inFlight();

	/** {@return the most requests that were in flight at once on any loop, summed over loops. Never above {@link #capacity()}} */
	int peakInFlight();

	/** {@return the most requests the loops admit in flight at once: for io_uring, the CQ entries less what the loop reserves} */
	int capacity();

	/** {@return requests waiting for a free slot, in arrival order (bounded by the demand that created them)} */
	int queued();

	/** {@return requests whose completion was an error (a negative result), cancellations included} */
	long failed();

	/**
	 * {@return the sum of the time from issue to completion of every completed request, in nanoseconds}
	 * With {@link #completed()} it gives the mean latency (Micrometer's {@code FunctionTimer} shape).
	 */
	long latencyNanos();

	/** {@return requests that ran on the blocking pool instead of the kernel's queue (per-operation fallback)} */
	long offloaded();

	/** {@return files open now} */
	int openFiles();

	/** {@return library-owned native buffers handed out and not yet returned (bounce, staging and read buffers in flight)} */
	int outstandingBuffers();
}
