package dev.reactoraio;

import java.nio.ByteBuffer;

/** The provider behind {@link BufferProvider#heapByteBuffers()}. */
final class HeapByteBufferProvider extends ByteBufferProvider {

	static final HeapByteBufferProvider INSTANCE = new HeapByteBufferProvider();

	private HeapByteBufferProvider() {
	}

	@Override
	public ByteBuffer allocate(int capacity) {
		return ByteBuffer.allocate(capacity);
	}

	@Override
	public void release(ByteBuffer buffer) {
		// owned by the garbage collector
	}
}
