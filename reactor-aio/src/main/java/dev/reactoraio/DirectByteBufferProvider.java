package dev.reactoraio;

import java.nio.ByteBuffer;

import dev.reactoraio.internal.core.BufferPool;

/** The provider behind {@link BufferProvider#directByteBuffers()}. */
final class DirectByteBufferProvider implements BufferProvider<ByteBuffer> {

	static final DirectByteBufferProvider INSTANCE = new DirectByteBufferProvider();

	private DirectByteBufferProvider() {
	}

	@Override
	public Class<ByteBuffer> type() {
		return ByteBuffer.class;
	}

	@Override
	public ByteBuffer allocate(int capacity) {
		return BufferPool.allocateAligned(capacity, BufferPool.PAGE);
	}

	@Override
	public ByteBuffer writableView(ByteBuffer buffer) {
		return buffer.duplicate().clear();
	}

	@Override
	public void written(ByteBuffer buffer, int bytes) {
		buffer.position(0).limit(bytes);
	}

	@Override
	public void release(ByteBuffer buffer) {
		// owned by the garbage collector
	}
}
