package dev.reactoraio.spring;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;

import dev.reactoraio.AsyncFile;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import org.springframework.core.io.buffer.DataBuffer;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * Writes each upstream {@link DataBuffer} at consecutive positions of an {@link AsyncFile} and emits it
 * once its bytes are written, in upstream order.
 * <p>
 * <b>Backpressure.</b> At most {@code window} buffers are held at once (being written, or written and
 * waiting for downstream demand), and never more than downstream has requested and not yet received:
 * a buffer is only taken from upstream, and so only written, for a demand it can fulfil, so that after
 * {@code take(n)} or a cancel the file holds no bytes of buffers that were never emitted. Writes of
 * different buffers cover disjoint ranges, so they may be in flight together (with unbounded demand,
 * {@code window} of them).
 * <p>
 * <b>Errors.</b> A write error or an upstream error stops taking new buffers (upstream is cancelled on a
 * write error); the buffers already taken are still emitted in order once their writes have settled, the
 * failed one included, and the error follows. Every buffer received is thus emitted exactly once, so a
 * consumer that releases what it receives releases everything.
 * <p>
 * <b>Cancellation.</b> Buffers not yet emitted go to the discard hook, each once the kernel is done
 * with it, never while a write still reads from it.
 */
final class FluxWriteDataBuffers extends Flux<DataBuffer> {

	private final Publisher<? extends DataBuffer> source;
	private final AsyncFile file;
	private final long position;
	private final int window;

	FluxWriteDataBuffers(Publisher<? extends DataBuffer> source, AsyncFile file, long position, int window) {
		this.source = source;
		this.file = file;
		this.position = position;
		this.window = window;
	}

	@Override
	public void subscribe(CoreSubscriber<? super DataBuffer> actual) {
		source.subscribe(new WriteSubscriber(actual, file, position, window));
	}

	static final class WriteSubscriber implements CoreSubscriber<DataBuffer>, Subscription, Scannable {

		private static final AtomicLongFieldUpdater<WriteSubscriber> REQUESTED =
				AtomicLongFieldUpdater.newUpdater(WriteSubscriber.class, "requested");
		private static final AtomicIntegerFieldUpdater<WriteSubscriber> WIP =
				AtomicIntegerFieldUpdater.newUpdater(WriteSubscriber.class, "wip");

		private final CoreSubscriber<? super DataBuffer> actual;
		private final AsyncFile file;
		private final int window;
		private final Queue<Entry> entries = new ConcurrentLinkedQueue<>();

		volatile long requested;
		volatile int wip;
		private volatile boolean cancelled;
		private volatile boolean upstreamDone;
		private volatile @Nullable Throwable upstreamError;
		private volatile @Nullable Throwable writeError;

		private @Nullable Subscription upstream;

		// ---- confined to onNext (serial by §1.3) ----
		private long nextPosition;

		// ---- confined to drain ----
		private long requestedUpstream;
		private long removed;
		private boolean upstreamCancelled;
		private boolean terminated;

		WriteSubscriber(CoreSubscriber<? super DataBuffer> actual, AsyncFile file, long position, int window) {
			this.actual = actual;
			this.file = file;
			this.window = window;
			this.nextPosition = position;
		}

		@Override
		public Context currentContext() {
			return actual.currentContext();
		}

		@Override
		public void onSubscribe(Subscription s) {
			if (Operators.validate(upstream, s)) {
				upstream = s;
				actual.onSubscribe(this);
				drain();
			}
		}

		@Override
		public void onNext(DataBuffer buffer) {
			if (upstreamDone) {
				Operators.onNextDropped(buffer, currentContext());
				return;
			}
			Entry entry = new Entry(buffer, nextPosition);
			nextPosition += buffer.readableByteCount();
			entries.offer(entry);
			if (cancelled || writeError != null) {
				entry.settle();
			}
			else {
				entry.start();
			}
		}

		@Override
		public void onError(Throwable t) {
			if (upstreamDone) {
				Operators.onErrorDropped(t, currentContext());
				return;
			}
			upstreamError = t;
			upstreamDone = true;
			drain();
		}

		@Override
		public void onComplete() {
			upstreamDone = true;
			drain();
		}

		@Override
		public void request(long n) {
			if (Operators.validate(n)) {
				Operators.addCap(REQUESTED, this, n);
				drain();
			}
		}

		@Override
		public void cancel() {
			if (!cancelled) {
				cancelled = true;
				drain();
			}
		}

		private void failWrite(Throwable t) {
			if (writeError == null) {
				writeError = t;
			}
			else {
				Operators.onErrorDropped(t, currentContext());
			}
		}

		private void drain() {
			if (WIP.getAndIncrement(this) != 0) {
				return;
			}
			int missed = 1;
			do {
				drainOnce();
				missed = WIP.addAndGet(this, -missed);
			}
			while (missed != 0);
		}

		private void drainOnce() {
			if (terminated) {
				discardSettled();
				return;
			}
			if (cancelled) {
				cancelUpstream();
				discardSettled();
				return;
			}
			long r = requested;
			long emitted = 0;
			Entry head;
			while (emitted != r && (head = entries.peek()) != null && head.settled) {
				entries.poll();
				removed++;
				emitted++;
				actual.onNext(head.buffer);
				if (cancelled) {
					break;
				}
			}
			if (emitted != 0) {
				Operators.produced(REQUESTED, this, emitted);
			}
			if (cancelled) {
				return;
			}
			Throwable failure = writeError;
			if (failure != null) {
				cancelUpstream();
			}
			if (entries.isEmpty() && (failure != null || upstreamDone)) {
				terminated = true;
				Throwable error = failure != null ? failure : upstreamError;
				if (error != null) {
					actual.onError(error);
				}
				else {
					actual.onComplete();
				}
				return;
			}
			requestUpstream();
		}

		private void requestUpstream() {
			Subscription s = upstream;
			if (s == null || upstreamDone || upstreamCancelled) {
				return;
			}
			long credit = Math.min(window, requested) - (requestedUpstream - removed);
			if (credit > 0) {
				requestedUpstream += credit;
				s.request(credit);
			}
		}

		private void cancelUpstream() {
			if (!upstreamCancelled) {
				upstreamCancelled = true;
				Subscription s = upstream;
				if (s != null) {
					s.cancel();
				}
			}
		}

		/** After cancellation: every buffer whose writes have settled goes to the discard hook. */
		private void discardSettled() {
			entries.removeIf(entry -> {
				if (entry.settled) {
					Operators.onDiscard(entry.buffer, currentContext());
					return true;
				}
				return false;
			});
		}

		@Override
		@SuppressWarnings("rawtypes")
		public @Nullable Object scanUnsafe(Attr key) {
			if (key == Attr.PARENT) {
				return upstream;
			}
			if (key == Attr.ACTUAL) {
				return actual;
			}
			if (key == Attr.PREFETCH) {
				return window;
			}
			if (key == Attr.REQUESTED_FROM_DOWNSTREAM) {
				return requested;
			}
			if (key == Attr.BUFFERED) {
				return entries.size();
			}
			if (key == Attr.CANCELLED) {
				return cancelled;
			}
			if (key == Attr.TERMINATED) {
				return terminated;
			}
			return null;
		}

		/** One upstream buffer: its readable regions are written one after the other from {@code position}. */
		final class Entry {
			final DataBuffer buffer;
			private long position;
			private DataBuffer.@Nullable ByteBufferIterator regions;
			private @Nullable ByteBuffer region;
			volatile boolean settled;

			Entry(DataBuffer buffer, long position) {
				this.buffer = buffer;
				this.position = position;
			}

			void start() {
				try {
					regions = buffer.readableByteBuffers();
					writeNext();
				}
				catch (Throwable t) {
					failed(t);
				}
			}

			private void writeNext() {
				ByteBuffer current = region;
				while (current == null || !current.hasRemaining()) {
					DataBuffer.ByteBufferIterator it = regions;
					if (it == null || !it.hasNext()) {
						settle();
						return;
					}
					current = it.next();
					region = current;
				}
				if (cancelled || writeError != null) {
					settle();
					return;
				}
				file.write(current, position).subscribe(this::written, this::failed);
			}

			private void written(int bytes) {
				if (bytes <= 0) {
					failed(new IOException("write of " + file.path() + " at " + position + " made no progress"));
					return;
				}
				position += bytes;
				writeNext();
			}

			private void failed(Throwable t) {
				failWrite(t);
				settle();
			}

			/** The kernel is done with this buffer: close its region iterator and let the drain take it. */
			void settle() {
				DataBuffer.ByteBufferIterator it = regions;
				regions = null;
				if (it != null) {
					it.close();
				}
				settled = true;
				drain();
			}
		}
	}
}
