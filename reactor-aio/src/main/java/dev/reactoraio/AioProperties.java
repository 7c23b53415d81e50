package dev.reactoraio;

import java.util.Locale;

/**
 * Every system property reactor-aio reads, in one place (docs/guide.md has the same table). They set the
 * defaults of {@link AioResources#global()} and of {@link AioResources#builder(String)}; values set on a
 * builder win. An invalid value fails fast with an {@link IllegalArgumentException} naming the property.
 *
 * <table>
 * <caption>System properties</caption>
 * <tr><th>Property</th><th>Default</th><th>Meaning</th></tr>
 * <tr><td>{@value #BACKEND}</td><td>{@code auto}</td><td>{@code auto}, {@code io_uring}, {@code libaio} or
 * {@code nio}; forcing an unavailable backend fails with its cause</td></tr>
 * <tr><td>{@value #RINGS}</td><td>2, or 1 with one CPU</td><td>loop threads (one ring each); a file is bound to one</td></tr>
 * <tr><td>{@value #RING_ENTRIES}</td><td>256</td><td>SQ entries per ring (CQ is twice that)</td></tr>
 * <tr><td>{@value #READAHEAD}</td><td>4</td><td>reads (or writes) in flight per stream</td></tr>
 * <tr><td>{@value #BLOCKING_THREADS}</td><td>max(4, 2 × CPUs)</td><td>threads of the blocking pool</td></tr>
 * <tr><td>{@value #DEFER_TASKRUN}</td><td>false</td><td>create rings with IORING_SETUP_DEFER_TASKRUN where
 * the kernel accepts it</td></tr>
 * <tr><td>{@value #IOWQ_MAX_WORKERS}</td><td>max(4, 2 × CPUs)</td><td>bounded io-wq workers per ring (0: the
 * kernel's own limit)</td></tr>
 * </table>
 */
public final class AioProperties {

	/** Backend: {@code auto} (default), {@code io_uring}, {@code libaio}, {@code nio}. */
	public static final String BACKEND = "reactoraio.backend";

	/** Number of loops (rings). */
	public static final String RINGS = "reactoraio.rings";

	/** Submission queue entries per ring; the completion queue has twice as many. */
	public static final String RING_ENTRIES = "reactoraio.ringEntries";

	/** Reads in flight per streaming read, and writes in flight per streaming write. */
	public static final String READAHEAD = "reactoraio.readahead";

	/** Threads of the bounded pool that runs blocking system calls and the NIO backend. */
	public static final String BLOCKING_THREADS = "reactoraio.blockingThreads";

	/**
	 * Whether rings use {@code IORING_SETUP_DEFER_TASKRUN} (Linux 6.1) when the kernel accepts it. Off by
	 * default: with it, 4 KiB O_DIRECT random reads at depth 32 took about a fifth more CPU per read and
	 * ran about 5 % slower on the build machine; cached and streaming reads showed no difference. Rings use
	 * {@code SINGLE_ISSUER|COOP_TASKRUN} either way.
	 */
	public static final String DEFER_TASKRUN = "reactoraio.deferTaskrun";

	/** io-wq bounded workers per ring ({@code IORING_REGISTER_IOWQ_MAX_WORKERS}); 0 keeps the kernel's default. */
	public static final String IOWQ_MAX_WORKERS = "reactoraio.iowqMaxWorkers";

	private AioProperties() {
	}

	/** {@return the backend property, parsed} */
	public static AioBackend backend() {
		String value = System.getProperty(BACKEND, "auto").trim().toLowerCase(Locale.ROOT).replace('-', '_');
		switch (value) {
			case "auto":
				return AioBackend.AUTO;
			case "io_uring":
			case "iouring":
			case "uring":
				return AioBackend.IO_URING;
			case "libaio":
			case "aio":
				return AioBackend.LIBAIO;
			case "nio":
				return AioBackend.NIO;
			default:
				throw new IllegalArgumentException(BACKEND + "=" + value + ": expected auto, io_uring, libaio or nio");
		}
	}

	/** {@return the rings property, or its default} */
	public static int rings() {
		// a loop runs the system calls it submits (opens, cached reads, closes) on its own thread: one loop
		// per CPU up to two lets work on many files use a second CPU (W5 in benchmarks/: 63k files/s with
		// one ring, 112k with two, on 2 CPUs)
		return intProperty(RINGS, Math.min(2, Runtime.getRuntime().availableProcessors()), 1, 64);
	}

	/** {@return the ring-entries property, or its default} */
	public static int ringEntries() {
		return intProperty(RING_ENTRIES, 256, 2, 32768);
	}

	/** {@return the readahead property, or its default} */
	public static int readahead() {
		return intProperty(READAHEAD, 4, 1, 1024);
	}

	/** {@return the blocking-threads property, or its default} */
	public static int blockingThreads() {
		return intProperty(BLOCKING_THREADS, Math.max(4, 2 * Runtime.getRuntime().availableProcessors()), 1, 4096);
	}

	/** {@return the defer-taskrun property, or its default (false)} */
	public static boolean deferTaskrun() {
		return Boolean.parseBoolean(System.getProperty(DEFER_TASKRUN, "false").trim());
	}

	/** {@return the io-wq bounded-workers property, or its default} */
	public static int iowqMaxWorkers() {
		return intProperty(IOWQ_MAX_WORKERS, Math.max(4, 2 * Runtime.getRuntime().availableProcessors()), 0, 65536);
	}

	static int intProperty(String name, int defaultValue, int min, int max) {
		String value = System.getProperty(name);
		if (value == null || value.isBlank()) {
			return defaultValue;
		}
		try {
			return checkRange(name, Integer.parseInt(value.trim()), min, max);
		}
		catch (NumberFormatException e) {
			throw new IllegalArgumentException(name + "=" + value + ": not an integer", e);
		}
	}

	static int checkRange(String name, int value, int min, int max) {
		if (value < min || value > max) {
			throw new IllegalArgumentException(name + "=" + value + ": must be between " + min + " and " + max);
		}
		return value;
	}
}
