package dev.reactoraio;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

import dev.reactoraio.internal.core.BufferPool;

/** The provider behind {@link BufferProvider#pooledDirectByteBuffers(long)}. */
final class PooledDirectByteBufferProvider extends ByteBufferProvider {

	private final long maxCachedBytes;
	private final Map<Integer, ArrayDeque<ByteBuffer>> free = new HashMap<>();
	private final Set<ByteBuffer> lent = Collections.newSetFromMap(new IdentityHashMap<>());
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
		ByteBuffer buffer = cached == null ? null : cached.poll();
		if (buffer != null) {
			cachedBytes -= capacity;
		}
		else {
			buffer = BufferPool.allocateAligned(capacity, BufferPool.PAGE);
		}
		lent.add(buffer);
		return buffer.clear();
	}

	@Override
	public synchronized void release(ByteBuffer buffer) {
		if (!lent.remove(buffer)) {
			return;
		}
		int capacity = buffer.capacity();
		if (cachedBytes + capacity <= maxCachedBytes) {
			free.computeIfAbsent(capacity, c -> new ArrayDeque<>()).push(buffer);
			cachedBytes += capacity;
		}
	}

	/** Buffers handed out and not yet released. */
	synchronized int lent() {
		return lent.size();
	}
}
