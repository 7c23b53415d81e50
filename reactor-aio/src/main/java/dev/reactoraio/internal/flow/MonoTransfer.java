package dev.reactoraio.internal.flow;

import java.nio.ByteBuffer;

import dev.reactoraio.internal.core.FileHandle;
import dev.reactoraio.internal.core.IoCompletion;
import dev.reactoraio.internal.core.IoErrors;
import dev.reactoraio.internal.core.IoLoop;
import dev.reactoraio.internal.core.IoRequest;

/**
 * {@code read(ByteBuffer, long)} and {@code write(ByteBuffer, long)}: the per-operation path, kept lean.
 * The Mono the caller holds is, for its first subscriber, also the subscription, the task that starts
 * the operation on the loop and the completion that ends it ({@link FileOp}); the request is one the
 * loop recycles, and a direct buffer is read into or written from in place, by address, with no view of
 * it made. So a read allocates nothing below the Mono. The buffer is lent as {@link FileOp} describes:
 * back with the signal, or through the discard hook after a cancel. A write goes to the file's loop; a
 * read to the loop {@link FileHandle#readLoop} chooses, which is the file's own unless the file's reads
 * spread over every loop.
 */
final class MonoTransfer extends FileOp<Integer> implements IoCompletion {

	private final FileHandle file;
	private final ByteBuffer buffer;
	private final long position;
	private final boolean write;

	MonoTransfer(FileHandle file, ByteBuffer buffer, long position, boolean write) {
		super(null, buffer);
		this.file = file;
		this.buffer = buffer;
		this.position = position;
		this.write = write;
	}

	@Override
	IoLoop chooseLoop() {
		return write ? file.loop : file.readLoop();
	}

	@Override
	FileOp<Integer> fresh() {
		return new MonoTransfer(file, buffer, position, write);
	}

	@Override
	void start() {
		if (!DefaultAsyncFile.usable(file, this, !write, write)) {
			return;
		}
		if (!buffer.hasRemaining()) {
			succeed(0);
			return;
		}
		IoLoop loop = loop();
		IoRequest request = write ? Transfers.write(file, buffer, position, this)
				: Transfers.read(loop, file, buffer, position, this);
		track(request);
		loop.submit(request);
	}

	@Override
	public void onComplete(IoRequest request, long result) {
		if (result < 0) {
			fail(IoErrors.of(request, result));
		}
		else if (claim()) {
			int n = (int) (write ? result : Transfers.deliver(request, result));
			buffer.position(buffer.position() + n);
			succeed(Transfers.count(write || n > 0 ? n : -1));
		}
	}
}
