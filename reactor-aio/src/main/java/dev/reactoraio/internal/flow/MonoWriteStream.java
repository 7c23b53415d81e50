package dev.reactoraio.internal.flow;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import dev.reactoraio.internal.core.Abortable;
import dev.reactoraio.internal.core.BufferPool;
import dev.reactoraio.internal.core.FileHandle;
import dev.reactoraio.internal.core.IoErrors;
import dev.reactoraio.internal.core.IoLoop;
import dev.reactoraio.internal.core.IoRequest;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.Logger;
import reactor.util.Loggers;
import reactor.util.concurrent.Queues;

/**
 * A streaming write: the bytes of every upstream buffer, one after the other from a start position,
 * then the total number of bytes written.
 * <p>
 * <b>Backpressure.</b> At most {@code window} writes are in flight; upstream is asked for buffers only
 * while a write slot (or room in the staging buffer) is free, so what waits here is bounded by the
 * window. Writes cover disjoint ranges, so they never overlap while in flight.
 * <p>
 * <b>Staging.</b> Large direct buffers are written in place. Heap buffers and small buffers are copied
 * into a 1 MiB native staging buffer, so that many small upstream buffers become few large writes. For
 * an O_DIRECT file the staging buffers end on aligned offsets; only a misaligned head and the tail of
 * the stream go through the page cache.
 * <p>
 * <b>Errors.</b> A write error or an upstream error cancels (or stops reading) upstream, discards what
 * is queued, and is signalled once the writes in flight have settled. Cancellation does the same
 * without a signal. Queued upstream buffers are passed to the {@code onDiscard} hook.
 */
final class MonoWriteStream extends Mono<Long> {

	static final int STAGING_SIZE = 1 << 20;
	static final int IN_PLACE_MIN = 64 << 10;

	private final FileHandle file;
	private final Publisher<? extends ByteBuffer> source;
	private final long position;
	private final int window;

	MonoWriteStream(FileHandle file, Publisher<? extends ByteBuffer> source, long position, int window) {
		this.file = file;
		this.source = source;
		this.position = position;
		this.window = window;
	}

	@Override
	public void subscribe(CoreSubscriber<? super Long> actual) {
		source.subscribe(new WriteStream(actual, this));
	}

	static final class WriteStream extends Operators.MonoSubscriber<ByteBuffer, Long> implements Runnable, Abortable {

		private static final Logger log = Loggers.getLogger(MonoWriteStream.class);
		private static final AtomicIntegerFieldUpdater<WriteStream> WIP =
				AtomicIntegerFieldUpdater.newUpdater(WriteStream.class, "wip");

		volatile int wip;
		private volatile boolean upstreamDone;
		private volatile @Nullable Throwable upstreamError;
		private final Queue<ByteBuffer> queue = Queues.<ByteBuffer>unbounded().get();

		private final FileHandle file;
		private final IoLoop loop;
		private final int window;

		// ---- loop-confined ----
		private @Nullable Subscription upstream;
		private boolean started;
		private boolean terminated;
		private boolean upstreamCancelled;
		private @Nullable Throwable error;
		private long nextPosition;
		private long total;
		private int writesInFlight;
		private long awaitedFromUpstream;
		private @Nullable ByteBuffer current;
		private @Nullable Staging staging;

		WriteStream(CoreSubscriber<? super Long> actual, MonoWriteStream parent) {
			super(actual);
			this.file = parent.file;
			this.loop = parent.file.loop;
			this.window = parent.window;
			this.nextPosition = parent.position;
		}

		@Override
		public void onSubscribe(Subscription s) {
			Objects.requireNonNull(s, "§2.13: onSubscribe(null)");
			if (Operators.validate(upstream, s)) {
				upstream = s;
				actual.onSubscribe(this);
				schedule();
			}
		}

		@Override
		public void onNext(ByteBuffer buffer) {
			Objects.requireNonNull(buffer, "§2.13: onNext(null)");
			if (upstreamDone) {
				Operators.onNextDropped(buffer, currentContext());
				return;
			}
			queue.offer(buffer);
			schedule();
		}

		@Override
		public void onError(Throwable t) {
			Objects.requireNonNull(t, "§2.13: onError(null)");
			if (upstreamDone) {
				Operators.onErrorDropped(t, currentContext());
				return;
			}
			upstreamError = t;
			upstreamDone = true;
			schedule();
		}

		@Override
		public void onComplete() {
			if (!upstreamDone) {
				upstreamDone = true;
				schedule();
			}
		}

		@Override
		public void cancel() {
			super.cancel();
			schedule();
		}

		@Override
		public void abort(Throwable cause) {
			fail(cause);
			schedule();
		}

		private void schedule() {
			if (WIP.getAndIncrement(this) == 0) {
				if (loop.inLoop()) {
					drain();
				}
				else {
					loop.execute(this);
				}
			}
		}

		@Override
		public void run() {
			drain();
		}

		private void drain() {
			int missed = 1;
			do {
				try {
					drainOnce();
				}
				catch (Throwable t) {
					log.error("write stream to " + file.path + " failed", t);
					fail(t);
				}
				missed = WIP.addAndGet(this, -missed);
			}
			while (missed != 0);
		}

		private void drainOnce() {
			if (terminated) {
				discardQueued();
				return;
			}
			if (!started) {
				started = true;
				if (file.isClosing()) {
					fail(new ClosedChannelException());
				}
				else if (!file.writable) {
					fail(new NonWritableChannelException());
				}
				else {
					file.attach(this);
				}
			}
			if (isCancelled()) {
				stopUpstream();
				discardQueued();
				releaseStaging();
				finishIfSettled();
				return;
			}
			Throwable upstreamFailure = upstreamError;
			if (error == null && upstreamFailure != null) {
				error = upstreamFailure;
				upstreamCancelled = true;
			}
			if (error != null) {
				stopUpstream();
				discardQueued();
				releaseStaging();
				finishIfSettled();
				return;
			}
			consume();
			if (upstreamDone && queue.isEmpty() && (current == null || !current.hasRemaining())) {
				flushStaging(true);
				finishIfSettled();
				return;
			}
			requestMore();
		}

		private void consume() {
			while (writesInFlight < window) {
				ByteBuffer buffer = current;
				if (buffer == null || !buffer.hasRemaining()) {
					buffer = queue.poll();
					current = buffer;
					if (buffer == null) {
						return;
					}
					awaitedFromUpstream--;
					continue;
				}
				if (staging == null && inPlace(buffer)) {
					int length = buffer.remaining();
					if (file.direct) {
						length = (int) file.alignDown(length);
					}
					ByteBuffer slice = buffer.slice().limit(length);
					buffer.position(buffer.position() + length);
					issue(slice, nextPosition, null);
					nextPosition += length;
					continue;
				}
				Staging stage = staging;
				if (stage == null) {
					stage = new Staging(loop.buffers.acquire(STAGING_SIZE, file.memoryAlignment), nextPosition,
							stagingLimit(nextPosition));
					staging = stage;
				}
				int n = Math.min(buffer.remaining(), stage.limit - stage.fill);
				stage.buffer.buffer.put(stage.fill, buffer, buffer.position(), n);
				buffer.position(buffer.position() + n);
				stage.fill += n;
				nextPosition += n;
				if (stage.fill == stage.limit) {
					flushStaging(false);
				}
			}
		}

		private boolean inPlace(ByteBuffer buffer) {
			if (!buffer.isDirect() || buffer.remaining() < IN_PLACE_MIN) {
				return false;
			}
			return !file.direct || (file.isAligned(nextPosition, 0)
					&& buffer.alignmentOffset(buffer.position(), file.memoryAlignment) == 0
					&& buffer.remaining() >= file.offsetAlignment);
		}

		/** A staging buffer that starts at {@code start} ends on an aligned offset, so the next one starts aligned. */
		private int stagingLimit(long start) {
			return file.direct ? STAGING_SIZE - (int) (start % file.offsetAlignment) : STAGING_SIZE;
		}

		/** Writes what the staging buffer holds: all of it, or at the end the aligned part and the tail apart. */
		private void flushStaging(boolean last) {
			Staging stage = staging;
			if (stage == null) {
				return;
			}
			staging = null;
			if (stage.fill == 0) {
				loop.buffers.release(stage.buffer);
				return;
			}
			ByteBuffer data = stage.buffer.buffer.duplicate().position(0).limit(stage.fill);
			int head = stage.fill;
			if (last && file.direct && file.isAligned(stage.start, 0)) {
				head = (int) file.alignDown(stage.fill);
			}
			if (head > 0 && head < stage.fill) {
				stage.refs = 2;
				issue(data.duplicate().limit(head).slice(), stage.start, stage);
				issue(data.position(head).slice(), stage.start + head, stage);
			}
			else {
				stage.refs = 1;
				issue(data.slice(), stage.start, stage);
			}
		}

		private void issue(ByteBuffer data, long at, @Nullable Staging stage) {
			writesInFlight++;
			IoRequest request = Transfers.write(file, data, at, (r, result) -> written(data, at, stage, r, result));
			request.onCompletionFailure = this::abort;
			loop.submit(request);
		}

		private void written(ByteBuffer data, long at, @Nullable Staging stage, IoRequest request, long result) {
			writesInFlight--;
			if (result < 0) {
				fail(IoErrors.of(request, result));
			}
			else {
				total += result;
				if (result < data.remaining() && error == null && !isCancelled()) {
					// short write: the rest of the same range, still held by the same buffer
					issue(data.duplicate().position(data.position() + (int) result).slice(), at + result, stage);
					return;
				}
			}
			if (stage != null && --stage.refs == 0) {
				loop.buffers.release(stage.buffer);
			}
			schedule();
		}

		private void requestMore() {
			Subscription s = upstream;
			if (s == null || upstreamDone || upstreamCancelled) {
				return;
			}
			long credit = window - writesInFlight - queue.size() - awaitedFromUpstream
					- (current != null && current.hasRemaining() ? 1 : 0);
			if (credit > 0) {
				awaitedFromUpstream += credit;
				s.request(credit);
			}
		}

		private void fail(Throwable t) {
			if (error == null) {
				error = t;
			}
			else if (error != t) {
				Operators.onErrorDropped(t, currentContext());
			}
		}

		private void stopUpstream() {
			if (!upstreamCancelled) {
				upstreamCancelled = true;
				Subscription s = upstream;
				if (s != null) {
					s.cancel();
				}
			}
		}

		private void discardQueued() {
			ByteBuffer buffer = current;
			current = null;
			if (buffer != null && buffer.hasRemaining()) {
				Operators.onDiscard(buffer, currentContext());
			}
			Operators.onDiscardQueueWithClear(queue, currentContext(), null);
		}

		private void releaseStaging() {
			Staging stage = staging;
			staging = null;
			if (stage != null) {
				loop.buffers.release(stage.buffer);
			}
		}

		/** Signals the outcome once no write is in flight any more. */
		private void finishIfSettled() {
			if (writesInFlight > 0 || terminated) {
				return;
			}
			terminated = true;
			file.detach(this);
			if (isCancelled()) {
				return;
			}
			Throwable failure = error;
			if (failure != null) {
				actual.onError(failure);
			}
			else {
				complete(total);
			}
		}

		/** A staging buffer and the number of writes that still reference it. */
		private static final class Staging {
			final BufferPool.Pooled buffer;
			final long start;
			final int limit;
			int fill;
			int refs;

			Staging(BufferPool.Pooled buffer, long start, int limit) {
				this.buffer = buffer;
				this.start = start;
				this.limit = limit;
			}
		}
	}
}
