package dev.reactoraio;

import java.nio.ByteBuffer;

/**
 * Supplies the buffers a streaming read fills, so that file data lands directly in the buffers the
 * application will use (pooled Netty buffers, Spring {@code DataBuffer}s, …) with no extra copy.
 * <p>
 * Each call happens on a reactor-aio loop thread. A buffer handed to the kernel stays untouched by the
 * library until the kernel's completion for it has arrived; only then is it emitted or released.
 * <p>
 * <b>Release support.</b> Buffers emitted by
 * {@link AsyncFile#readChunks(long, long, int, BufferProvider)} belong to the subscriber, which returns
 * them with {@link #release}. Buffers read ahead but never emitted (cancellation, errors, reads past the
 * end of the file) are released by the library, each once its completion arrived. {@link #release}
 * must be idempotent, as Reactor's cleanup hooks require.
 *
 * @param <B> the buffer type
 */
public interface BufferProvider<B> {

	/** {@return the buffer type, e.g. for {@code doOnDiscard(provider.type(), provider::release)}} */
	Class<B> type();

	/**
	 * A new buffer that can receive at least {@code capacity} bytes.
	 *
	 * @param capacity the number of bytes the library will read into it
	 * @return the buffer
	 */
	B allocate(int capacity);

	/**
	 * A view of the region of {@code buffer} file data is read into: its position to its limit. A direct
	 * view is filled in place by the kernel; a heap view is filled by copying from a native buffer.
	 *
	 * @param buffer a buffer from {@link #allocate}
	 * @return the writable region, at least as large as the capacity asked for
	 */
	ByteBuffer writableView(B buffer);

	/**
	 * Called once, before the buffer is emitted: the first {@code bytes} bytes of its writable region
	 * now hold file data. The provider advances the buffer's write position (or limit) accordingly.
	 *
	 * @param buffer the filled buffer
	 * @param bytes how many bytes were read into it
	 */
	void written(B buffer, int bytes);

	/**
	 * Returns a buffer. Must be idempotent: releasing a released buffer does nothing.
	 *
	 * @param buffer the buffer to release
	 */
	void release(B buffer);

	/**
	 * Heap ByteBuffers, one per chunk, owned outright by whoever receives them: release does nothing and
	 * the garbage collector reclaims them. Emitted buffers have position 0 and the chunk's length as limit.
	 * The kernel reads into pooled native buffers and the chunk is copied out; a fresh heap chunk costs
	 * far less than a fresh direct one, whose memory the kernel must map and zero each time.
	 *
	 * @return the provider (stateless, shared)
	 */
	static BufferProvider<ByteBuffer> heapByteBuffers() {
		return HeapByteBufferProvider.INSTANCE;
	}

	/**
	 * Page-aligned direct ByteBuffers, recycled: the subscriber hands each emitted buffer back with
	 * {@link #release} (the instance it received), and the kernel reads straight into it next time, with
	 * no copy and no fresh memory. This is the fastest way to stream a file. Up to {@code maxCachedBytes}
	 * of released buffers are kept. Each loan is a new ByteBuffer object, and only that object is taken
	 * back, once: releasing a buffer twice (even after its memory was lent again), or one this provider
	 * did not lend, does nothing, so a stale release can never recycle memory someone else now uses.
	 * Thread-safe.
	 *
	 * @param maxCachedBytes how many bytes of released buffers to keep for reuse
	 * @return a new provider with its own pool
	 */
	static BufferProvider<ByteBuffer> pooledDirectByteBuffers(long maxCachedBytes) {
		return new PooledDirectByteBufferProvider(maxCachedBytes);
	}
}
