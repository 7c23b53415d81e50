package dev.reactoraio.spring.boot.autoconfigure;

import java.time.Duration;

import dev.reactoraio.AioBackend;
import dev.reactoraio.AioResources;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * reactor-aio settings under {@code reactor.aio}: the Spring Boot twins of the {@code reactoraio.*}
 * system properties ({@link dev.reactoraio.AioProperties}). A setting left out keeps the system
 * property's value, or its default.
 */
@ConfigurationProperties("reactor.aio")
public class ReactorAioProperties {

	/**
	 * Name of the resources: the prefix of their threads' names and the resources tag of the meters. (Calls
	 * that name no resources, such as AioFiles.read(path, chunkSize), use the global ones, named reactor-aio.)
	 */
	private String name = "reactor-aio-boot";

	/** The backend: AUTO probes io_uring, then kernel AIO, then the NIO pool; forcing one this process cannot use fails at startup with its cause. */
	private @Nullable AioBackend backend;

	/** Loops, each with its own ring and thread (1 to 64; default 2, 1 with one CPU). */
	private @Nullable Integer rings;

	/** Submission queue entries per ring; the completion queue has twice as many (2 to 32768; default 256). */
	private @Nullable Integer ringEntries;

	/** Reads in flight per streaming read, and writes per streaming write (1 to 1024; default 4). */
	private @Nullable Integer readahead;

	/** Threads of the bounded blocking pool (1 to 4096; default max(4, 2 x CPUs)). */
	private @Nullable Integer blockingThreads;

	/** io-wq bounded workers per ring where the kernel can limit them (5.15+); 0 keeps the kernel's limit. */
	private @Nullable Integer iowqMaxWorkers;

	/** Create io_uring rings with IORING_SETUP_DEFER_TASKRUN where the kernel accepts it (default false). */
	private @Nullable Boolean deferTaskrun;

	/** How long shutdown waits for open files to close and the loops to end. */
	private Duration shutdownTimeout = Duration.ofSeconds(30);

	private final Webflux webflux = new Webflux();

	private final Metrics metrics = new Metrics();

	/** {@return a builder with these settings} */
	AioResources.Builder toBuilder() {
		AioResources.Builder builder = AioResources.builder(name);
		if (backend != null) {
			builder.backend(backend);
		}
		if (rings != null) {
			builder.rings(rings);
		}
		if (ringEntries != null) {
			builder.ringEntries(ringEntries);
		}
		if (readahead != null) {
			builder.readahead(readahead);
		}
		if (blockingThreads != null) {
			builder.blockingThreads(blockingThreads);
		}
		if (iowqMaxWorkers != null) {
			builder.iowqMaxWorkers(iowqMaxWorkers);
		}
		if (deferTaskrun != null) {
			builder.deferTaskrun(deferTaskrun);
		}
		return builder;
	}

	public String getName() {
		return name;
	}

	public void setName(String name) {
		this.name = name;
	}

	public @Nullable AioBackend getBackend() {
		return backend;
	}

	public void setBackend(@Nullable AioBackend backend) {
		this.backend = backend;
	}

	public @Nullable Integer getRings() {
		return rings;
	}

	public void setRings(@Nullable Integer rings) {
		this.rings = rings;
	}

	public @Nullable Integer getRingEntries() {
		return ringEntries;
	}

	public void setRingEntries(@Nullable Integer ringEntries) {
		this.ringEntries = ringEntries;
	}

	public @Nullable Integer getReadahead() {
		return readahead;
	}

	public void setReadahead(@Nullable Integer readahead) {
		this.readahead = readahead;
	}

	public @Nullable Integer getBlockingThreads() {
		return blockingThreads;
	}

	public void setBlockingThreads(@Nullable Integer blockingThreads) {
		this.blockingThreads = blockingThreads;
	}

	public @Nullable Integer getIowqMaxWorkers() {
		return iowqMaxWorkers;
	}

	public void setIowqMaxWorkers(@Nullable Integer iowqMaxWorkers) {
		this.iowqMaxWorkers = iowqMaxWorkers;
	}

	public @Nullable Boolean getDeferTaskrun() {
		return deferTaskrun;
	}

	public void setDeferTaskrun(@Nullable Boolean deferTaskrun) {
		this.deferTaskrun = deferTaskrun;
	}

	public Duration getShutdownTimeout() {
		return shutdownTimeout;
	}

	public void setShutdownTimeout(Duration shutdownTimeout) {
		this.shutdownTimeout = shutdownTimeout;
	}

	public Webflux getWebflux() {
		return webflux;
	}

	public Metrics getMetrics() {
		return metrics;
	}

	/** Serving files in a WebFlux application. */
	public static class Webflux {

		/** Register reactor-aio's Resource writer as a codec and for static resources. */
		private boolean enabled = true;

		/** Whether plain-HTTP responses keep the server's zero-copy sendfile (PLAIN_HTTP) or every response reads through reactor-aio (NEVER). */
		private ZeroCopy zeroCopy = ZeroCopy.PLAIN_HTTP;

		/** Size of the buffers a file response is read into, in bytes. */
		private int bufferSize = 65536;

		public boolean isEnabled() {
			return enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public ZeroCopy getZeroCopy() {
			return zeroCopy;
		}

		public void setZeroCopy(ZeroCopy zeroCopy) {
			this.zeroCopy = zeroCopy;
		}

		public int getBufferSize() {
			return bufferSize;
		}

		public void setBufferSize(int bufferSize) {
			this.bufferSize = bufferSize;
		}
	}

	/** When a file response may use the server's zero-copy transfer instead of reactor-aio. */
	public enum ZeroCopy {

		/** Plain HTTP responses use sendfile; TLS, compressed and HTTP/2 responses read through reactor-aio. */
		PLAIN_HTTP,

		/** Every response reads through reactor-aio. */
		NEVER
	}

	/** Micrometer meters of the loops. */
	public static class Metrics {

		/** Bind reactor-aio's meters (reactor.aio.*) to the application's MeterRegistry when Micrometer is present. */
		private boolean enabled = true;

		public boolean isEnabled() {
			return enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}
	}
}
