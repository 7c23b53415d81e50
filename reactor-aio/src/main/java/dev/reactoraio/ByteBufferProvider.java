package dev.reactoraio;

import java.nio.ByteBuffer;

/**
 * What the ByteBuffer providers share: the whole buffer is the writable region, and an emitted buffer
 * reads from position 0 to the number of bytes the chunk holds.
 */
abstract class ByteBufferProvider implements BufferProvider<ByteBuffer> {

	@Override
	public final Class<ByteBuffer> type() {
		return ByteBuffer.class;
	}

	@Override
	public final ByteBuffer writableView(ByteBuffer buffer) {
		return buffer.duplicate().clear();
	}

	@Override
	public final void written(ByteBuffer buffer, int bytes) {
		buffer.position(0).limit(bytes);
	}
}
