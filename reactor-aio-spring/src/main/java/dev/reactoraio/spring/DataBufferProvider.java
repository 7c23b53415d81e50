package dev.reactoraio.spring;

import java.nio.ByteBuffer;

import dev.reactoraio.BufferProvider;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;

/**
 * Streaming reads straight into a {@link DataBufferFactory}'s buffers: the kernel fills the writable
 * region of each buffer in place when the factory's buffers are direct (Netty pooled direct buffers,
 * {@code DefaultDataBufferFactory(true)}), and the library copies into it otherwise.
 */
final class DataBufferProvider implements BufferProvider<DataBuffer> {

	private final DataBufferFactory factory;

	DataBufferProvider(DataBufferFactory factory) {
		this.factory = factory;
	}

	@Override
	public Class<DataBuffer> type() {
		return DataBuffer.class;
	}

	@Override
	public DataBuffer allocate(int capacity) {
		DataBuffer buffer = factory.allocateBuffer(capacity);
		if (buffer.writableByteCount() < capacity) {
			buffer.ensureWritable(capacity);
		}
		return buffer;
	}

	/**
	 * The first writable region of the buffer. Spring's own file reader uses it the same way after closing
	 * the iterator: the iterator's close does not invalidate the regions it handed out.
	 */
	@Override
	public ByteBuffer writableView(DataBuffer buffer) {
		ByteBuffer view;
		try (DataBuffer.ByteBufferIterator regions = buffer.writableByteBuffers()) {
			view = regions.next();
		}
		if (view.remaining() < buffer.writableByteCount()) {
			throw new IllegalStateException("DataBuffer " + buffer.getClass().getName()
					+ " has a fragmented writable region; reactor-aio needs one contiguous region per chunk");
		}
		return view;
	}

	@Override
	public void written(DataBuffer buffer, int bytes) {
		buffer.writePosition(buffer.writePosition() + bytes);
	}

	@Override
	public void release(DataBuffer buffer) {
		DataBufferUtils.release(buffer);
	}

	@Override
	public String toString() {
		return "DataBufferProvider[" + factory + "]";
	}
}
