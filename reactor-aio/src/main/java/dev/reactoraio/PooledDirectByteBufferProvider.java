package dev.reactoraio;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

import dev.reactoraio.internal.core.BufferPool;

/**
 * The provider behind {@link BufferProvider#pooledDirectByteBuffers(long)}.
 * <p>
 * Each loan is a new {@code ByteBuffer} object over pooled memory, and only the object lent is accepted
 * back, once. So a stale release (a second release of a buffer already released, even after its memory
 * was lent again) is refused: it can never return memory that a new borrower, or a kernel read for it,
 * is using.
 */
final class PooledDirectByteBufferProvider extends ByteBufferProvider {

	private final long maxCachedBytes;
	private final Map<Integer, ArrayDeque<ByteBuffer>> free = new HashMap<>();
	/** The buffer lent → the pooled memory it is a view of. */
	private final Map<ByteBuffer, ByteBuffer> lent = new IdentityHashMap<>();
	private long cachedBytes;

	PooledDirectByteBufferProvider(long maxCachedBytes) {
		if (maxCachedBytes < 0) {
			throw new IllegalArgumentException("maxCachedBytes must be >= 0");
		}
		this.maxCachedBytes = maxCachedBytes;
	}

	@Override
	public synchronized ByteBuffer allocate(int capacity) {
		ArrayDeque<ByteBuffer> cached = free.get(capacity);
		ByteBuffer memory = cached == null ? null : cached.poll();
		if (memory != null) {
			cachedBytes -= capacity;
		}
		else {
			memory = BufferPool.allocateAligned(capacity, BufferPool.PAGE);
		}
		ByteBuffer loan = memory.duplicate().clear();
		lent.put(loan, memory);
		return loan;
	}

	@Override
	public synchronized void release(ByteBuffer buffer) {
		ByteBuffer memory = lent.remove(buffer);
		if (memory == null) {
			return; // released before, or never lent by this provider
		}
		int capacity = memory.capacity();
		if (cachedBytes + capacity <= maxCachedBytes) {
			free.computeIfAbsent(capacity, c -> new ArrayDeque<>()).push(memory);
			cachedBytes += capacity;
		}
	}

	/** Buffers handed out and not yet released. */
	synchronized int lent() {
		return lent.size();
	}
}
