package dev.reactoraio.internal.flow;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonReadableChannelException;
import java.util.ArrayDeque;
import java.util.Objects;

import dev.reactoraio.BufferProvider;
import dev.reactoraio.internal.core.FileHandle;
import dev.reactoraio.internal.core.IoCompletion;
import dev.reactoraio.internal.core.IoErrors;
import dev.reactoraio.internal.core.IoLoop;
import dev.reactoraio.internal.core.IoRequest;
import dev.reactoraio.internal.core.OpenSpec;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * A streaming read: chunks of a file, in file order, as fast as demand allows and no faster.
 * <p>
 * <b>Backpressure.</b> At most {@code readahead} chunks are read or waiting in the reorder window at
 * any time, so no more than {@code emitted + readahead} reads are ever issued, whatever the demand
 * (unbounded demand included). Reads start with the first request. Completions arrive in any order;
 * the window holds completed chunks until those before them are delivered.
 * <p>
 * <b>Short reads, errors and the end.</b> A short read is resubmitted for the rest of its chunk; a read
 * of zero bytes is the end of file: the stream completes after the chunks before it, and chunks read
 * ahead past the end are released. A read at or past the size the file had when opened (page-cache
 * files) goes into a few bytes of its own and takes a chunk's buffer only if it finds data there. A
 * failed read ends the stream in file order too: the chunks before it are delivered first, then the
 * bytes its chunk did read (a shorter chunk), then the error, which names the first byte not
 * delivered; nothing is read past a failure.
 * <p>
 * <b>Cancellation.</b> Cancelling flips state at once: nothing more is emitted, completed chunks are
 * released, and each chunk still in flight is released when its completion arrives (after the kernel
 * was asked to cancel it), never before. All state except {@code requested}, {@code wip} and
 * {@code cancelled} is confined to the file's loop.
 *
 * @param <B> the buffer type
 */
final class FluxReadChunks<B> extends Flux<B> {

	private final FileHandle file;
	private final long position;
	private final long count;
	private final int chunkSize;
	private final int readahead;
	private final BufferProvider<B> provider;

	FluxReadChunks(FileHandle file, long position, long count, int chunkSize, int readahead,
			BufferProvider<B> provider) {
		this.file = file;
		this.position = position;
		this.count = count;
		this.chunkSize = chunkSize;
		this.readahead = readahead;
		this.provider = provider;
	}

	@Override
	public void subscribe(CoreSubscriber<? super B> actual) {
		ReadStream<B> stream = new ReadStream<>(actual, this);
		actual.onSubscribe(stream);
		stream.schedule();
	}

	static final class ReadStream<B> extends LoopDrain<B> implements Scannable {

		private static final Logger log = Loggers.getLogger(FluxReadChunks.class);

		/** What a read at the known end of the file asks for before a chunk's buffer is taken. */
		static final int PROBE_BYTES = 64;

		/** About what the open of a stream of its own file reads with it; the largest chunk that does it. */
		static final int HEAD_BYTES = 60 << 10;
		static final int HEAD_MAX = 1 << 20;

		/** The file; for a stream that opens its own ({@link #owned}), null until it is open. */
		private @Nullable FileHandle file;
		/** What to open, for a stream that opens and closes its own file ({@code AioFiles.read}); else null. */
		private final @Nullable OpenSpec owned;
		private final int chunkSize;
		private final int readahead;
		private final BufferProvider<B> provider;

		// ---- loop-confined ----
		private final ArrayDeque<Chunk> window;
		/** Chunks that left the window with no read of theirs in flight, to take again (linked by {@code nextSpare}). */
		private @Nullable Chunk spare;
		private long nextPosition;
		private long remaining;
		private boolean started;
		private boolean opening;
		/** The open read the whole file with it and closed it: the window holds every chunk. */
		private boolean wholeInWindow;
		/** The chain that opens the file and reads its head, until it completes (cancelled with the stream). */
		private @Nullable IoRequest headChain;
		private boolean demanded;
		private boolean noMoreChunks;
		private boolean terminated;

		ReadStream(CoreSubscriber<? super B> actual, FluxReadChunks<B> parent) {
			this(actual, parent.file.loop, parent.file, null, parent.position, parent.count, parent.chunkSize,
					parent.readahead, parent.provider);
		}

		/**
		 * A stream of {@code owned} (when not null; {@code file} is then null): it opens the file on
		 * {@code loop} with the first request, and closes it before its terminal signal, or after a cancel.
		 */
		ReadStream(CoreSubscriber<? super B> actual, IoLoop loop, @Nullable FileHandle file, @Nullable OpenSpec owned,
				long position, long count, int chunkSize, int readahead, BufferProvider<B> provider) {
			super(actual, loop);
			this.file = file;
			this.owned = owned;
			this.chunkSize = chunkSize;
			this.readahead = readahead;
			this.provider = provider;
			this.nextPosition = position;
			this.remaining = count;
			this.window = new ArrayDeque<>(readahead);
		}

		private FileHandle file() {
			return Objects.requireNonNull(file);
		}

		private String filePath() {
			FileHandle f = file;
			return String.valueOf(f != null ? f.path : owned != null ? owned.path : "?");
		}

		@Override
		void drainFailed(Throwable t) {
			// an Error too (OutOfMemoryError from a provider's allocate): the subscriber must hear of it
			log.error("read stream of " + filePath() + " failed", t);
			stopQuietly(t);
		}

		private void stopQuietly(Throwable t) {
			try {
				stop(t, true);
			}
			catch (Throwable t2) {
				log.error("ending the read stream of " + filePath() + " failed", t2);
			}
		}

		private reactor.util.context.Context currentContext() {
			CoreSubscriber<? super B> a = actual;
			return a != null ? a.currentContext() : reactor.util.context.Context.empty();
		}

		@Override
		void drainOnce() {
			if (terminated) {
				return;
			}
			if (cancelled) {
				stop(null, false);
				return;
			}
			Throwable invalid = invalidRequest;
			if (invalid != null) {
				stop(invalid, true);
				return;
			}
			OpenSpec spec = owned;
			if (spec != null && file == null && !wholeInWindow) {
				// opened at subscription, as usingWhen does: a missing file is an error signal without demand
				if (!opening) {
					opening = true;
					int head = headLength();
					if (head > 0) {
						headChain = loop.openWithHead(spec, head, new Head());
					}
					else {
						loop.open(spec, this::opened);
					}
				}
				return;
			}
			FileHandle f = file;
			if (f != null && !started) {
				started = true;
				if (f.isClosing()) {
					stop(new ClosedChannelException(), true);
					return;
				}
				if (!f.readable) {
					stop(new NonReadableChannelException(), true);
					return;
				}
				f.attach(this);
			}
			if (error != null) {
				stop(error, true);
				return;
			}
			CoreSubscriber<? super B> a = actual;
			if (a == null) {
				stop(null, false);
				return;
			}
			long r = requested;
			if (r > 0) {
				demanded = true;
			}
			long emitted = 0;
			while (!window.isEmpty() && window.peek().complete && (emitted != r || window.peek().filled == 0)) {
				Chunk chunk = window.poll();
				Throwable failure = chunk.failure;
				boolean eof = chunk.eof;
				if (chunk.filled > 0) {
					B buffer = chunk.buffer;
					provider.written(buffer, chunk.filled);
					emitted++;
					chunk.emitted = true;
					recycle(chunk);
					a.onNext(buffer);
					if (cancelled || terminated || error != null) {
						produced(emitted);
						return;
					}
				}
				else {
					release(chunk);
					recycle(chunk);
				}
				if (failure != null) {
					produced(emitted);
					stop(failure, true);
					return;
				}
				if (eof) {
					noMoreChunks = true;
					discardWindow();
				}
			}
			if (emitted != 0) {
				produced(emitted);
			}
			if (noMoreChunks && window.isEmpty()) {
				terminated = true;
				if (f != null) {
					f.detach(this);
				}
				end(null, true);
				return;
			}
			if (demanded && f != null) {
				issueChunks();
			}
		}

		/**
		 * What the open of a stream of its own file reads with it where the loop can (a chain on io_uring):
		 * as many whole chunks as fit 60 KiB and the readahead, at least one; none for chunks over 1 MiB.
		 */
		private int headLength() {
			if (!loop.headChains() || nextPosition != 0 || remaining != Long.MAX_VALUE || chunkSize > HEAD_MAX) {
				return 0;
			}
			return chunkSize * Math.max(1, Math.min(readahead, HEAD_BYTES / chunkSize));
		}

		/**
		 * The head of the stream's own file, read with its open: its bytes become the first chunks of the
		 * window (a last one partly filled, unless the end was seen, is read on once the file is open); with
		 * the end seen, the file is already closed and the window holds all of it.
		 */
		private final class Head implements dev.reactoraio.internal.core.HeadCallback {

			@Override
			public void head(ByteBuffer first, ByteBuffer more, boolean end) {
				headChain = null;
				if (terminated) {
					return; // cancelled while the chain ran: nothing is taken, the loop closes the file
				}
				int total = first.remaining() + more.remaining();
				int at = 0;
				while (at < total) {
					int n = Math.min(chunkSize, total - at);
					Chunk chunk = chunk(at, chunkSize);
					chunk.allocate(end ? n : chunkSize);
					ByteBuffer v = Objects.requireNonNull(chunk.view);
					int fromFirst = Math.max(0, Math.min(n, first.remaining() - at));
					if (fromFirst > 0) {
						v.put(v.position(), first, first.position() + at, fromFirst);
					}
					if (fromFirst < n) {
						int skip = Math.max(0, at - first.remaining());
						v.put(v.position() + fromFirst, more, more.position() + skip, n - fromFirst);
					}
					chunk.filled = n;
					chunk.complete = end || n == chunkSize;
					window.add(chunk);
					at += n;
				}
				nextPosition = window.isEmpty() ? 0 : window.peekLast().position + chunkSize;
				if (end) {
					noMoreChunks = true;
				}
			}

			@Override
			public void opened(@Nullable FileHandle handle, @Nullable Throwable failure) {
				headChain = null;
				if (handle == null && failure == null) {
					opening = false;
					wholeInWindow = true; // the end was seen and the file is closed
					schedule();
					return;
				}
				ReadStream.this.opened(handle, failure);
			}
		}

		/** Loop thread: the stream's own file is open (or could not be). */
		private void opened(@Nullable FileHandle handle, @Nullable Throwable failure) {
			opening = false;
			if (handle == null) {
				stop(failure != null ? failure : new IllegalStateException("open failed"), true);
				return;
			}
			file = handle;
			if (terminated) {
				loop.closeFile(handle, ignored -> { }); // cancelled while it opened
				return;
			}
			for (Chunk chunk : window) {
				if (!chunk.complete && chunk.current == null) {
					chunk.issue(); // the rest of the chunk the head ended in
				}
			}
			schedule();
		}

		private void issueChunks() {
			FileHandle file = file();
			if (file.isClosing()) {
				abort(new java.nio.channels.AsynchronousCloseException());
				return;
			}
			// past the known end of the file, one read at a time: it finds the end (or data written since)
			long knownEnd = file.sizeHint();
			// a pipe or terminal hands its bytes to reads in the order they come: one at a time keeps them in order
			int ahead = file.sequential() ? 1 : readahead;
			while (!noMoreChunks && window.size() < ahead && (nextPosition <= knownEnd || window.isEmpty())) {
				if (remaining == 0) {
					noMoreChunks = true;
					return;
				}
				int length = (int) Math.min(chunkSize, remaining);
				Chunk chunk = chunk(nextPosition, length);
				long known = file.direct ? length : Math.min(length, knownEnd - nextPosition);
				if (known > 0) {
					chunk.allocate((int) known);
				}
				nextPosition += length;
				if (remaining != Long.MAX_VALUE) {
					remaining -= length;
				}
				window.add(chunk);
				chunk.issue();
				if (remaining == 0) {
					noMoreChunks = true;
				}
			}
		}

		/** A chunk of the window: a spare one made new, or a new one. */
		private Chunk chunk(long position, int length) {
			Chunk chunk = spare;
			if (chunk == null) {
				return new Chunk(position, length);
			}
			spare = chunk.nextSpare;
			chunk.reset(position, length);
			return chunk;
		}

		/**
		 * Loop thread: a chunk that left the window, complete (no read of it in flight, and its buffer emitted
		 * or released), becomes a spare.
		 */
		private void recycle(Chunk chunk) {
			chunk.reset(0, 0);
			chunk.nextSpare = spare;
			spare = chunk;
		}

		/** Ends the stream: releases every chunk (in-flight ones when they complete), then signals. */
		private void stop(@Nullable Throwable failure, boolean signal) {
			if (terminated) {
				return;
			}
			terminated = true;
			FileHandle f = file;
			if (f != null) {
				f.detach(this);
			}
			IoRequest chain = headChain;
			if (chain != null) {
				headChain = null;
				loop.cancel(chain); // a pipe with no writer would hold it (and the loop's disposal) for good
			}
			discardWindow();
			end(failure, signal && failure != null);
		}

		/**
		 * The terminal signal (none after a cancel): at once for a file of the subscriber's, after the close
		 * for a file the stream opened, as {@code usingWhen} does; a close error is the signal's error when
		 * there is no other.
		 */
		private void end(@Nullable Throwable failure, boolean signal) {
			CoreSubscriber<? super B> a = actual;
			actual = null;
			FileHandle f = file;
			if (owned != null && f != null) {
				loop.closeFile(f, closeError -> {
					if (signal && a != null) {
						signal(a, failure != null ? failure : closeError);
					}
				});
			}
			else if (signal && a != null) {
				signal(a, failure);
			}
		}

		private void signal(CoreSubscriber<? super B> a, @Nullable Throwable failure) {
			if (failure != null) {
				a.onError(failure);
			}
			else {
				a.onComplete();
			}
		}

		private void discardWindow() {
			for (Chunk chunk : window) {
				if (chunk.complete || chunk.current == null) {
					release(chunk); // the kernel has no read of it in flight
				}
				else {
					chunk.discarded = true;
					IoRequest request = chunk.current;
					if (request != null) {
						loop.cancel(request);
					}
				}
			}
			window.clear();
		}

		private void release(Chunk chunk) {
			B buffer = chunk.buffer;
			if (chunk.emitted || buffer == null) {
				return;
			}
			try {
				provider.release(buffer);
			}
			catch (Throwable t) {
				log.warn("BufferProvider.release threw", t);
			}
		}

		@Override
		@SuppressWarnings("rawtypes")
		public @Nullable Object scanUnsafe(Attr key) {
			if (key == Attr.PREFETCH) {
				return readahead;
			}
			if (key == Attr.REQUESTED_FROM_DOWNSTREAM) {
				return requested;
			}
			if (key == Attr.CANCELLED) {
				return cancelled;
			}
			if (key == Attr.TERMINATED) {
				return terminated;
			}
			if (key == Attr.RUN_STYLE) {
				return Attr.RunStyle.ASYNC;
			}
			return null;
		}

		/**
		 * One chunk of the window: its buffer belongs to the kernel while {@link #current} is in flight. At
		 * the known end of the file its buffer is taken for what the file is known to hold (none past it);
		 * when that is full and the chunk is not, a probe of a few bytes of its own asks whether the file
		 * goes on, and only data found there makes the buffer grow to the chunk's length.
		 */
		final class Chunk implements IoCompletion {
			long position;
			int length;
			@Nullable B buffer;
			@Nullable ByteBuffer view;
			/** What {@link #buffer} was taken for: the chunk's length, or less at the known end (0: none yet). */
			int capacity;
			/** The few bytes a probe reads into. */
			@Nullable ByteBuffer probe;
			int filled;
			boolean complete;
			boolean eof;
			boolean discarded;
			boolean emitted;
			/** The error of the read that failed: the stream's, once the chunks before this one are delivered. */
			@Nullable Throwable failure;
			@Nullable IoRequest current;
			@Nullable Chunk nextSpare;

			Chunk(long position, int length) {
				this.position = position;
				this.length = length;
			}

			/** As new, for {@code length} bytes at {@code position}. */
			void reset(long newPosition, int newLength) {
				position = newPosition;
				length = newLength;
				buffer = null;
				view = null;
				capacity = 0;
				probe = null;
				filled = 0;
				complete = false;
				eof = false;
				discarded = false;
				emitted = false;
				failure = null;
				current = null;
				nextSpare = null;
			}

			void allocate(int bytes) {
				B allocated = provider.allocate(bytes);
				buffer = allocated;
				view = provider.writableView(allocated);
				capacity = bytes;
			}

			/** The file goes on past what the buffer was taken for: one of the chunk's length, with the bytes so far. */
			private void grow(ByteBuffer probed, int n) {
				B old = buffer;
				ByteBuffer oldView = view;
				allocate(length);
				ByteBuffer v = Objects.requireNonNull(view);
				if (old != null && oldView != null) {
					v.put(v.position(), oldView, oldView.position(), filled);
					provider.release(old); // never emitted, and no read of it in flight
				}
				v.put(v.position() + filled, probed, 0, n);
			}

			void issue() {
				ByteBuffer target;
				int at;
				int asked;
				ByteBuffer v = view;
				if (v == null || filled == capacity) {
					// the end the file was known to have: a buffer's worth is taken only for data found there
					target = ByteBuffer.allocate(Math.min(PROBE_BYTES, length - filled));
					probe = target;
					at = 0;
					asked = target.capacity();
				}
				else {
					target = v;
					at = v.position() + filled;
					asked = capacity - filled;
				}
				FileHandle f = file();
				// a pipe's reads take its next bytes: they name no position (-1), so that no engine refuses them
				IoRequest request = Transfers.read(f.loop, f, target, at, asked, f.sequential() ? -1 : position + filled, this);
				request.onCompletionFailure = ReadStream.this;
				current = request;
				loop.submit(request);
			}

			@Override
			public void onComplete(IoRequest request, long result) {
				current = null;
				if (discarded) {
					release(this);
					return;
				}
				long n = Transfers.deliver(request, result);
				ByteBuffer probed = probe;
				probe = null;
				if (n < 0) {
					complete = true;
					failure = IoErrors.of(request, n);
					noMoreChunks = true;
				}
				else if (n == 0) {
					complete = true;
					eof = true;
				}
				else {
					if (probed != null) {
						grow(probed, (int) n);
					}
					filled += (int) n;
					file().noteData(position + filled);
					if (filled < length) {
						issue(); // the rest of the chunk; refused with AsynchronousCloseException if the file is closing
						return;
					}
					complete = true;
				}
				schedule();
			}
		}
	}
}
