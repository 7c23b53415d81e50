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
 * window. Writes cover disjoint ranges, so they never overlap while in flight. A file opened for APPEND
 * has one write in flight at a time: the kernel places each at the end, so two in flight could land
 * in either order.
 * <p>
 * <b>Staging.</b> Large direct buffers are written in place. Heap buffers and small buffers are copied
 * into a 1 MiB native staging buffer, so that many small upstream buffers become few large writes. For
 * an O_DIRECT file the staging buffers end on aligned offsets; only a misaligned head and the tail of
 * the stream go through the page cache. Those boundaries are page-aligned, not just block-aligned: a
 * direct write and a page-cache write in flight on the same page make the kernel fail to invalidate it
 * ("Page cache invalidation failure on direct I/O") and report EIO at the next fsync.
 * <p>
 * <b>Source buffers.</b> Their positions and limits are never changed (the stream reads through
 * duplicates). Each is the stream's from {@code onNext} until its bytes are copied or, written in place,
 * until the kernel completed every write from its memory. The stream never references more than
 * {@code window} of them at once (the credit it gives upstream counts them), so a buffer emitted again
 * after {@code window} others is free by then; one emitted again sooner (a publisher refilling one
 * buffer, or a few in turn) may have been changed under a copy or a write: the stream fails with
 * {@code IllegalStateException} rather than write bytes that may be wrong.
 * <p>
 * <b>Errors and cancellation.</b> A write error or an upstream error cancels (or stops reading)
 * upstream and is signalled once the writes in flight have settled. Cancellation does the same
 * without a signal. Buffers received and not completely written go to the {@code onDiscard} hook, each
 * once no write from its memory is in flight.
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
		/** The last {@code window} source buffers received, to refuse one emitted again too soon (onNext only). */
		private final ByteBuffer[] recent;
		private int recentIndex;

		private final FileHandle file;
		private final IoLoop loop;
		private final int window;
		/** O_DIRECT alignment applies (a direct file not in APPEND mode, where the kernel picks the offset). */
		private final boolean aligned;
		/** Where direct and page-cache writes may meet: a multiple of both the block and the page size. */
		private final int granule;

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
		private @Nullable Source current;
		private @Nullable Staging staging;

		WriteStream(CoreSubscriber<? super Long> actual, MonoWriteStream parent) {
			super(actual);
			this.file = parent.file;
			this.loop = parent.file.loop;
			this.window = parent.file.append ? 1 : parent.window;
			this.recent = new ByteBuffer[Math.max(1, this.window)];
			this.aligned = parent.file.direct && !parent.file.append;
			this.granule = aligned ? Math.max(parent.file.offsetAlignment, BufferPool.PAGE) : 1;
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
			if (recentlyReceived(buffer)) {
				upstreamError = new IllegalStateException("write(Publisher): a ByteBuffer was emitted again within "
						+ recent.length + " buffers of its last emission, while its bytes may not all be written yet; "
						+ "emit a new buffer (or a copy) each time");
				upstreamDone = true;
			}
			else {
				queue.offer(buffer);
			}
			schedule();
		}

		private boolean recentlyReceived(ByteBuffer buffer) {
			for (ByteBuffer seen : recent) {
				if (seen == buffer) {
					return true;
				}
			}
			recent[recentIndex] = buffer;
			recentIndex = (recentIndex + 1) % recent.length;
			return false;
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
					// an Error too (OutOfMemoryError taking a staging buffer): fail, and let the error path run now
					log.error("write stream to " + file.path + " failed", t);
					fail(t);
					try {
						drainOnce();
					}
					catch (Throwable t2) {
						log.error("ending the write stream to " + file.path + " failed", t2);
					}
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
			Source src = current;
			if (upstreamDone && queue.isEmpty() && (src == null || !src.view.hasRemaining())) {
				flushStaging(true);
				finishIfSettled();
				return;
			}
			requestMore();
		}

		private void consume() {
			while (writesInFlight < window) {
				Source src = current;
				if (src == null || !src.view.hasRemaining()) {
					if (src != null) {
						current = null;
						src.consumed = true;
						settle(src);
					}
					ByteBuffer next = queue.poll();
					if (next == null) {
						return;
					}
					awaitedFromUpstream--;
					current = new Source(next);
					continue;
				}
				ByteBuffer buffer = src.view;
				if (staging == null && inPlace(buffer)) {
					int length = buffer.remaining();
					length -= length % granule;
					ByteBuffer slice = buffer.slice().limit(length);
					buffer.position(buffer.position() + length);
					issue(slice, nextPosition, null, src);
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
			return !aligned || (nextPosition % granule == 0
					&& buffer.alignmentOffset(buffer.position(), file.memoryAlignment) == 0
					&& buffer.remaining() >= granule);
		}

		/** A staging buffer that starts at {@code start} ends on a granule, so the next one starts aligned. */
		private int stagingLimit(long start) {
			return STAGING_SIZE - (int) (start % granule);
		}

		/**
		 * Writes what the staging buffer holds: all of it, or at the end the aligned part and the tail apart.
		 * Each write keeps a reference to the staging buffer; the stream drops its own here.
		 */
		private void flushStaging(boolean last) {
			Staging stage = staging;
			if (stage == null) {
				return;
			}
			staging = null;
			ByteBuffer data = stage.buffer.buffer.duplicate().position(0).limit(stage.fill);
			int head = stage.fill;
			if (last && aligned && stage.start % granule == 0) {
				head = stage.fill - stage.fill % granule;
			}
			if (head > 0 && head < stage.fill) {
				issue(data.duplicate().limit(head).slice(), stage.start, stage.buffer, null);
				issue(data.position(head).slice(), stage.start + head, stage.buffer, null);
			}
			else if (stage.fill > 0) {
				issue(data.slice(), stage.start, stage.buffer, null);
			}
			loop.buffers.release(stage.buffer);
		}

		/** One write of {@code data}: from a staging buffer ({@code stage}) or in place from {@code src}'s memory. */
		private void issue(ByteBuffer data, long at, BufferPool.@Nullable Pooled stage, @Nullable Source src) {
			writesInFlight++;
			if (src != null) {
				src.writesInFlight++;
			}
			IoRequest request = Transfers.write(file, data, at, (r, result) -> written(data, at, stage, src, r, result));
			if (stage != null) {
				request.keep(stage);
			}
			request.onCompletionFailure = this::abort;
			loop.submit(request);
		}

		private void written(ByteBuffer data, long at, BufferPool.@Nullable Pooled stage, @Nullable Source src,
				IoRequest request, long result) {
			writesInFlight--;
			if (result < 0) {
				fail(IoErrors.of(request, result));
			}
			else {
				total += result;
				if (result < data.remaining() && error == null && !isCancelled()) {
					// short write: the rest of the same range, from the same memory
					issue(data.duplicate().position(data.position() + (int) result).slice(), at + result, stage, src);
				}
			}
			if (src != null) {
				src.writesInFlight--;
				settle(src);
			}
			schedule();
		}

		/** Loop thread: a source buffer no write uses any more is done with (or discarded, if not all written). */
		private void settle(Source src) {
			if (src.writesInFlight > 0 || src.settled || !(src.consumed || src.discard)) {
				return;
			}
			src.settled = true;
			if (src.discard) {
				Operators.onDiscard(src.buffer, currentContext());
			}
		}

		private void requestMore() {
			Subscription s = upstream;
			if (s == null || upstreamDone || upstreamCancelled) {
				return;
			}
			Source src = current;
			long credit = window - writesInFlight - queue.size() - awaitedFromUpstream
					- (src != null && src.view.hasRemaining() ? 1 : 0);
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

		/** After an error or a cancel: buffers not completely written go to the discard hook, each once no write uses it. */
		private void discardQueued() {
			Source src = current;
			current = null;
			if (src != null) {
				src.discard = src.view.hasRemaining();
				src.consumed = true;
				settle(src);
			}
			ByteBuffer buffer;
			while ((buffer = queue.poll()) != null) {
				Operators.onDiscard(buffer, currentContext());
			}
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

		/** An upstream buffer being written: a duplicate to consume, and the writes in flight from its memory. */
		private static final class Source {
			final ByteBuffer buffer;
			final ByteBuffer view;
			int writesInFlight;
			/** Every byte was handed to a write or copied (or, after an error, none will be). */
			boolean consumed;
			/** Not all of it was written: goes to the discard hook once no write uses it. */
			boolean discard;
			boolean settled;

			Source(ByteBuffer buffer) {
				this.buffer = buffer;
				this.view = buffer.duplicate();
			}
		}

		/** A staging buffer being filled: where its bytes go in the file, and how many it takes. */
		private static final class Staging {
			final BufferPool.Pooled buffer;
			final long start;
			final int limit;
			int fill;

			Staging(BufferPool.Pooled buffer, long start, int limit) {
				this.buffer = buffer;
				this.start = start;
				this.limit = limit;
			}
		}
	}
}
