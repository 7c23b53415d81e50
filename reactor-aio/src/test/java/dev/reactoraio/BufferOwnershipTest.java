package dev.reactoraio;

import java.nio.ByteBuffer;

import dev.reactoraio.internal.core.BufferPool;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Double and stale releases: refused, so that memory someone else (or the kernel) uses is never lent twice. */
class BufferOwnershipTest {

	@Test
	void aStaleReleaseToThePooledProviderIsRefused() {
		BufferProvider<ByteBuffer> provider = BufferProvider.pooledDirectByteBuffers(1 << 20);
		ByteBuffer first = provider.allocate(4096);
		provider.release(first);
		ByteBuffer second = provider.allocate(4096); // the same memory, lent again
		provider.release(first); // stale: its holder released it once already
		ByteBuffer third = provider.allocate(4096);
		second.put(0, (byte) 1);
		third.put(0, (byte) 2);
		assertEquals(1, second.get(0), "memory lent twice at once");
		assertNotSame(second, third);
		provider.release(second);
		provider.release(second);
		provider.release(third);
		assertEquals(0, ((PooledDirectByteBufferProvider) provider).lent());
	}

	@Test
	void aSecondReleaseOfAPooledNativeBufferThrows() {
		BufferPool pool = new BufferPool();
		BufferPool.Pooled buffer = pool.acquire(4096, 4096);
		pool.release(buffer);
		assertThrows(IllegalStateException.class, () -> pool.release(buffer));
	}
}
