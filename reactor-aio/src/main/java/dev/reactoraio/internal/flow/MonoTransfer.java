package dev.reactoraio.internal.flow;

import java.nio.ByteBuffer;

import dev.reactoraio.internal.core.FileHandle;
import dev.reactoraio.internal.core.IoCompletion;
import dev.reactoraio.internal.core.IoErrors;
import dev.reactoraio.internal.core.IoLoop;
import dev.reactoraio.internal.core.IoRequest;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;

/**
 * {@code read(ByteBuffer, long)} and {@code write(ByteBuffer, long)}: the per-operation path, kept lean.
 * Below the Mono the caller holds there are two objects, the subscription (which is also the task that
 * starts the operation and the completion that ends it) and the request; a direct buffer is read into
 * or written from in place, by address, with no view of it made. The buffer is lent as
 * {@link MonoFileOp} describes: back with the signal, or through the discard hook after a cancel.
 * A write goes to the file's loop; a read to the loop {@link FileHandle#readLoop} chooses, which is the
 * file's own unless the file's reads spread over every loop.
 */
final class MonoTransfer extends Mono<Integer> {

	private final FileHandle file;
	private final ByteBuffer buffer;
	private final long position;
	private final boolean write;

	MonoTransfer(FileHandle file, ByteBuffer buffer, long position, boolean write) {
		this.file = file;
		this.buffer = buffer;
		this.position = position;
		this.write = write;
	}

	@Override
	public void subscribe(CoreSubscriber<? super Integer> actual) {
		IoLoop loop = write ? file.loop : file.readLoop();
		Transfer transfer = new Transfer(actual, this, loop);
		actual.onSubscribe(transfer);
		loop.executeOrRun(transfer);
	}

	/** The subscription, the task that issues the request on the loop, and its completion. */
	static final class Transfer extends MonoFileOp.Op<Integer> implements Runnable, IoCompletion {

		private final IoLoop loop;
		private final FileHandle file;
		private final ByteBuffer buffer;
		private final long position;
		private final boolean write;

		/** On {@code loop}: the file's own, or for a read, the one {@link FileHandle#readLoop} chose. */
		Transfer(CoreSubscriber<? super Integer> actual, MonoTransfer parent, IoLoop loop) {
			super(actual, loop, null, parent.buffer);
			this.loop = loop;
			this.file = parent.file;
			this.buffer = parent.buffer;
			this.position = parent.position;
			this.write = parent.write;
		}

		@Override
		public void run() {
			if (claimState == CANCELLED) {
				discardLent();
				return;
			}
			try {
				if (!DefaultAsyncFile.usable(file, this, !write, write)) {
					return;
				}
				if (!buffer.hasRemaining()) {
					succeed(0);
					return;
				}
				IoRequest request = write ? Transfers.write(file, buffer, position, this)
						: Transfers.read(loop, file, buffer, position, this);
				track(request);
				loop.submit(request);
			}
			catch (Throwable t) {
				fail(t);
			}
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
}
