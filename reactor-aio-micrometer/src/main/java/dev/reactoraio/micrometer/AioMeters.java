package dev.reactoraio.micrometer;

/**
 * The meters {@link AioMetrics} registers, one of each per loop (ring), tagged {@code resources} (the
 * {@link dev.reactoraio.AioResources#name() name}), {@code backend} ({@code io_uring}, {@code libaio},
 * {@code nio}) and {@code ring} (the loop's index, as in its thread name). This enum refers to no
 * Micrometer type, so it can be loaded, and {@link #isMicrometerAvailable()} asked, without Micrometer.
 */
public enum AioMeters {

	/** Gauge: operations issued to the kernel (or pool) whose completion has not arrived yet. */
	IN_FLIGHT("reactor.aio.inflight", "operations in flight"),

	/** Gauge: operations waiting for a free slot because the ring is at capacity (backpressure at work). */
	QUEUED("reactor.aio.queued", "operations waiting for ring capacity"),

	/** Gauge: the most operations the ring admits in flight at once. */
	CAPACITY("reactor.aio.capacity", "operations the ring admits in flight"),

	/** Function counter: completions delivered, successful or not. */
	COMPLETIONS("reactor.aio.completions", "completed operations"),

	/** Function counter: completions that carried an error (cancellations included). */
	ERRORS("reactor.aio.errors", "operations completed with an error"),

	/** Function counter: operations run on the blocking pool instead of the kernel's queue. */
	OFFLOADED("reactor.aio.offloaded", "operations run on the blocking pool"),

	/** Function timer: time from issue to completion (count and total; the mean is total / count). */
	LATENCY("reactor.aio.latency", "operation latency, issue to completion"),

	/** Gauge: files open on the ring. */
	OPEN_FILES("reactor.aio.files.open", "open files");

	private final String meterName;
	private final String description;

	AioMeters(String meterName, String description) {
		this.meterName = meterName;
		this.description = description;
	}

	/** {@return the meter's name, e.g. {@code reactor.aio.inflight}} */
	public String meterName() {
		return meterName;
	}

	/** {@return the meter's description} */
	public String description() {
		return description;
	}

	/**
	 * Whether Micrometer is on the class path, so that {@link AioMetrics} can be used.
	 *
	 * @return true if {@code io.micrometer.core.instrument.MeterRegistry} can be loaded
	 */
	public static boolean isMicrometerAvailable() {
		try {
			Class.forName("io.micrometer.core.instrument.MeterRegistry", false, AioMeters.class.getClassLoader());
			return true;
		}
		catch (ClassNotFoundException | LinkageError e) {
			return false;
		}
	}
}
