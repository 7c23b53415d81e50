package dev.reactoraio;

import java.nio.ByteBuffer;

/** The provider behind {@link BufferProvider#heapByteBuffers()}. */
final class HeapByteBufferProvider implements BufferProvider<ByteBuffer> {

	static final HeapByteBufferProvider INSTANCE = new HeapByteBufferProvider();

	private HeapByteBufferProvider() {
	}

	@Override
	public Class<ByteBuffer> type() {
		return ByteBuffer.class;
	}

	@Override
	public ByteBuffer allocate(int capacity) {
		return ByteBuffer.allocate(capacity);
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
