package dev.reactoraio.spring;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import io.netty.buffer.PoolArenaMetric;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.core.io.buffer.NettyDataBufferFactory;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The buffer factories every DataBuffer test runs against, after Spring's own allocating tests: Netty
 * pooled direct and heap (each with its own allocator, whose arena metrics reveal every unreleased
 * buffer), and Spring's default factory, direct and heap.
 */
final class BufferFactories {

	private BufferFactories() {
	}

	static Stream<Arguments> all() {
		return Stream.of(
				Arguments.of(Named.of("netty pooled direct", (DataBufferFactory) pooled(true))),
				Arguments.of(Named.of("netty pooled heap", (DataBufferFactory) pooled(false))),
				Arguments.of(Named.of("default direct", (DataBufferFactory) new DefaultDataBufferFactory(true))),
				Arguments.of(Named.of("default heap", (DataBufferFactory) new DefaultDataBufferFactory(false))));
	}

	/** Netty pooled buffers without thread caches, so that a released buffer shows in the arena at once. */
	static NettyDataBufferFactory pooled(boolean direct) {
		return new NettyDataBufferFactory(new PooledByteBufAllocator(direct, 1, 1, 8192, 9, 0, 0, false));
	}

	/**
	 * Fails unless every buffer of a pooled factory has been released, waiting up to five seconds for
	 * releases that follow a completion still on its way (cancellation releases when the kernel is done).
	 */
	static void assertNoLeak(DataBufferFactory factory) {
		if (!(factory instanceof NettyDataBufferFactory netty)
				|| !(netty.getByteBufAllocator() instanceof PooledByteBufAllocator allocator)) {
			return;
		}
		long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
		long active;
		while ((active = active(allocator.metric().directArenas()) + active(allocator.metric().heapArenas())) != 0) {
			if (System.nanoTime() > deadline) {
				fail("ByteBuf leak: " + active + " buffers never released");
			}
			try {
				Thread.sleep(20);
			}
			catch (InterruptedException e) {
				Thread.currentThread().interrupt();
				fail(e);
			}
		}
	}

	private static long active(List<PoolArenaMetric> arenas) {
		return arenas.stream().mapToLong(PoolArenaMetric::numActiveAllocations).sum();
	}
}
