package dev.reactoraio.internal.flow;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonReadableChannelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

import dev.reactoraio.BufferProvider;
import dev.reactoraio.FileRange;
import dev.reactoraio.RangeRead;
import dev.reactoraio.internal.core.BufferPool;
import dev.reactoraio.internal.core.FileHandle;
import dev.reactoraio.internal.core.IoCompletion;
import dev.reactoraio.internal.core.IoErrors;
import dev.reactoraio.internal.core.IoRequest;
import dev.reactoraio.internal.jnr.Native;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * Many ranges of one file (the "shopping list" of columnar readers), each delivered with its bytes as
 * soon as its read completes, in no particular order.
 * <p>
 * <b>Merging.</b> Ranges are sorted and those close together (a gap of at most {@link #MAX_GAP} bytes,
 * a merged span of at most {@link #MAX_SPAN}, as Hadoop's vectored reads merge) are read by one request:
 * with direct buffers and a file without O_DIRECT, one {@code preadv} straight into the ranges' buffers,
 * the gaps going to a scratch area; otherwise one read of the span into a native buffer, copied out.
 * <p>
 * <b>Backpressure.</b> Reads start with the first request; at most {@code window} merged reads are in
 * flight or hold ranges not yet delivered. A read that falls short is continued for the rest of its span;
 * a range the file ends inside fails the stream with {@link EOFException}.
 * <p>
 * <b>Buffers.</b> Each range's buffer is taken from the provider when its read is issued; delivered
 * buffers are the subscriber's, the others are released once the kernel is done with them.
 *
 * @param <B> the buffer type
 */
final class FluxReadRanges<B> extends Flux<RangeRead<B>> {

	/** Ranges at most this far apart are read by one request. */
	static final int MAX_GAP = 4096;
	/** A merged read covers at most this much (a single range may be longer). */
	static final int MAX_SPAN = 1 << 20;
	/** The most ranges one {@code preadv} takes, with a gap between each two (IOV_MAX is 1024). */
	static final int MAX_RANGES_PER_READ = Transfers.IOV_MAX / 2;

	private final FileHandle file;
	private final List<List<FileRange>> groups;
	private final int window;
	private final BufferProvider<B> provider;
	/** Merged reads of a page-cached file from this size on copy on io-wq workers, in parallel. */
	static final long ASYNC_SPAN = 256 << 10;

	FluxReadRanges(FileHandle file, List<List<FileRange>> groups, int window, BufferProvider<B> provider) {
		this.file = file;
		this.groups = groups;
		this.window = window;
		this.provider = provider;
	}

	/**
	 * The ranges sorted and merged into groups read by one request each.
	 *
	 * @throws IllegalArgumentException when two ranges overlap
	 */
	static List<List<FileRange>> merge(List<FileRange> ranges) {
		List<FileRange> sorted = new ArrayList<>(ranges);
		sorted.sort(Comparator.comparingLong(FileRange::offset));
		List<List<FileRange>> groups = new ArrayList<>();
		List<FileRange> group = new ArrayList<>();
		for (FileRange range : sorted) {
			if (!group.isEmpty()) {
				FileRange last = group.get(group.size() - 1);
				if (range.offset() < last.end()) {
					throw new IllegalArgumentException("overlapping ranges " + last + " and " + range);
				}
				boolean near = range.offset() - last.end() <= MAX_GAP
						&& range.end() - group.get(0).offset() <= MAX_SPAN && group.size() < MAX_RANGES_PER_READ;
				if (!near) {
					groups.add(group);
					group = new ArrayList<>();
				}
			}
			group.add(range);
		}
		if (!group.isEmpty()) {
			groups.add(group);
		}
		return groups;
	}

	@Override
	public void subscribe(CoreSubscriber<? super RangeRead<B>> actual) {
		RangeStream<B> stream = new RangeStream<>(actual, this);
		actual.onSubscribe(stream);
		stream.schedule();
	}

	static final class RangeStream<B> extends LoopDrain<RangeRead<B>> {

		private static final Logger log = Loggers.getLogger(FluxReadRanges.class);

		private final FileHandle file;
		private final int window;
		private final BufferProvider<B> provider;

		// ---- loop-confined ----
		private final ArrayDeque<List<FileRange>> toRead;
		private final ArrayDeque<RangeRead<B>> ready = new ArrayDeque<>();
		private final List<Group> held = new ArrayList<>();
		private boolean started;
		private boolean terminated;

		RangeStream(CoreSubscriber<? super RangeRead<B>> actual, FluxReadRanges<B> parent) {
			super(actual, parent.file.loop);
			this.file = parent.file;
			this.window = parent.window;
			this.provider = parent.provider;
			this.toRead = new ArrayDeque<>(parent.groups);
		}

		@Override
		void drainFailed(Throwable t) {
			log.error("range reads of " + file.path + " failed", t);
			try {
				stop(t, true);
			}
			catch (Throwable t2) {
				log.error("ending the range reads of " + file.path + " failed", t2);
			}
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
			if (!started) {
				started = true;
				if (file.isClosing()) {
					stop(new ClosedChannelException(), true);
					return;
				}
				if (!file.readable) {
					stop(new NonReadableChannelException(), true);
					return;
				}
				file.attach(this);
			}
			Throwable invalid = invalidRequest;
			if (invalid != null || error != null) {
				stop(invalid != null ? invalid : error, true);
				return;
			}
			CoreSubscriber<? super RangeRead<B>> a = actual;
			if (a == null) {
				stop(null, false);
				return;
			}
			long r = requested;
			long emitted = 0;
			while (emitted != r && !ready.isEmpty()) {
				emitted++;
				a.onNext(ready.poll());
				if (cancelled || terminated || error != null) {
					produced(emitted);
					return;
				}
			}
			if (emitted != 0) {
				produced(emitted);
			}
			held.removeIf(g -> g.complete && g.undelivered() == 0);
			if (toRead.isEmpty() && held.isEmpty() && ready.isEmpty()) {
				terminated = true;
				file.detach(this);
				actual = null;
				a.onComplete();
				return;
			}
			if (requested > 0) {
				// what waits for demand counts too: no more than the window of reads and of ranges read
				while (!toRead.isEmpty() && held.size() < window && ready.size() < window) {
					Group group = new Group(toRead.poll());
					held.add(group);
					group.issue();
				}
			}
		}

		/** Ends the stream: buffers not delivered are released, those in flight when their read completes. */
		private void stop(@Nullable Throwable failure, boolean signal) {
			if (terminated) {
				return;
			}
			terminated = true;
			file.detach(this);
			for (RangeRead<B> read : ready) {
				release(read.buffer());
			}
			ready.clear();
			for (Group group : held) {
				group.discard();
			}
			held.clear();
			toRead.clear();
			CoreSubscriber<? super RangeRead<B>> a = actual;
			actual = null;
			if (signal && a != null && failure != null) {
				a.onError(failure);
			}
		}

		private void release(B buffer) {
			try {
				provider.release(buffer);
			}
			catch (Throwable t) {
				log.warn("BufferProvider.release threw", t);
			}
		}

		/** One merged read: its ranges, their buffers, and how much of the span has arrived. */
		final class Group implements IoCompletion {
			final List<FileRange> ranges;
			final long start;
			final long end;
			final List<B> buffers = new ArrayList<>();
			final List<ByteBuffer> views = new ArrayList<>();
			long done;
			boolean complete;
			boolean discarded;
			int delivered;
			@Nullable IoRequest current;
			/** The read into the range's own buffer, when {@link #inPlace} made one. */
			private @Nullable IoRequest readInPlace;

			Group(List<FileRange> ranges) {
				this.ranges = ranges;
				this.start = ranges.get(0).offset();
				this.end = ranges.get(ranges.size() - 1).end();
			}

			int undelivered() {
				return ranges.size() - delivered;
			}

			void issue() {
				boolean direct = true;
				for (FileRange range : ranges) {
					B buffer = provider.allocate(range.length());
					buffers.add(buffer);
					ByteBuffer view = provider.writableView(buffer);
					views.add(view);
					direct &= view.isDirect();
				}
				IoRequest request = ranges.size() == 1 && direct ? inPlace() : null;
				if (request == null) {
					request = direct && !file.direct ? vectored() : span(start);
				}
				request.onCompletionFailure = RangeStream.this;
				request.async = !file.direct && end - start >= ASYNC_SPAN;
				current = request;
				loop.submit(request);
			}

			/**
			 * A lone range into its own direct buffer: one plain read, by address (for O_DIRECT only where
			 * the buffer, offset and length are aligned), or null.
			 */
			private @Nullable IoRequest inPlace() {
				ByteBuffer view = views.get(0);
				int length = ranges.get(0).length();
				if (file.direct && (view.alignmentOffset(view.position(), file.memoryAlignment) != 0
						|| file.alignDown(start) != start || file.alignDown(length) != length)) {
					return null;
				}
				IoRequest request = IoRequest.transfer(IoRequest.READ, file,
						view.duplicate().limit(view.position() + length), start, this);
				readInPlace = request;
				return request;
			}

			/** One preadv into the ranges' own buffers, each gap into a scratch area after the iovec table. */
			private IoRequest vectored() {
				int entries = 2 * ranges.size() - 1;
				int scratchAt = (16 * entries + 63) & ~63;
				BufferPool.Pooled table = loop.buffers.acquire(scratchAt + MAX_GAP, 64);
				ByteBuffer iov = table.buffer.duplicate().order(ByteOrder.nativeOrder());
				ByteBuffer[] vector = new ByteBuffer[entries];
				for (int i = 0, e = 0; i < ranges.size(); i++) {
					if (i > 0) {
						int gap = (int) (ranges.get(i).offset() - ranges.get(i - 1).end());
						iov.putLong(16 * e, table.address + scratchAt).putLong(16 * e + 8, gap);
						vector[e++] = table.buffer.duplicate().position(scratchAt).limit(scratchAt + gap);
					}
					ByteBuffer view = views.get(i);
					iov.putLong(16 * e, Native.address(view) + view.position()).putLong(16 * e + 8, ranges.get(i).length());
					vector[e++] = view.duplicate().limit(view.position() + ranges.get(i).length());
				}
				IoRequest request = new IoRequest(IoRequest.READV, file, this).use(table);
				request.length = entries;
				request.offset = start;
				request.vector = vector;
				return request;
			}

			/** A read of the span from {@code from} into a native buffer (aligned around it for O_DIRECT), copied out. */
			private IoRequest span(long from) {
				long alignedFrom = file.alignDown(from);
				long span = Math.min(file.alignUp(end) - alignedFrom, Transfers.MAX_BOUNCE);
				IoRequest request = new IoRequest(IoRequest.READ, file, this)
						.use(loop.buffers.acquire((int) span, file.memoryAlignment));
				request.length = (int) span;
				request.offset = alignedFrom;
				request.copySkip = (int) (from - alignedFrom);
				return request;
			}

			@Override
			public void onComplete(IoRequest request, long result) {
				current = null;
				if (discarded) {
					buffers.forEach(RangeStream.this::release);
					return;
				}
				if (result < 0) {
					abort(IoErrors.of(request, result));
					return;
				}
				boolean own = request.op == IoRequest.READV || request == readInPlace;
				long n = own ? Math.min(result, end - start - done)
						: Math.max(0, Math.min(result - request.copySkip, end - start - done));
				if (!own) {
					copyOut(Objects.requireNonNull(request.memory), request.copySkip, start + done, n);
				}
				done += n;
				int before = delivered;
				for (int i = delivered; i < ranges.size() && ranges.get(i).end() <= start + done; i++) {
					FileRange range = ranges.get(i);
					provider.written(buffers.get(i), range.length());
					ready.add(RangeRead.of(range, buffers.get(i)));
					delivered++;
				}
				if (start + done >= end) {
					complete = true;
				}
				else if (n == 0) {
					abort(new EOFException("range " + ranges.get(delivered) + " of " + file.path + " ends past the end of the file, at "
							+ (start + done)));
					return;
				}
				else {
					issueRest(); // a short read: the rest of the span, through a native buffer
					return;
				}
				if (delivered != before || complete) {
					schedule();
				}
			}

			private void issueRest() {
				IoRequest rest = span(start + done);
				rest.onCompletionFailure = RangeStream.this;
				current = rest;
				loop.submit(rest);
				schedule();
			}

			/** Copies the file bytes {@code [at, at + n)}, which start at {@code skip} of {@code bounce}, into the ranges. */
			private void copyOut(ByteBuffer bounce, int skip, long at, long n) {
				for (int i = 0; i < ranges.size(); i++) {
					FileRange range = ranges.get(i);
					long from = Math.max(at, range.offset());
					long to = Math.min(at + n, range.end());
					if (from < to) {
						ByteBuffer view = views.get(i);
						view.put(view.position() + (int) (from - range.offset()), bounce, skip + (int) (from - at),
								(int) (to - from));
					}
				}
			}

			/** The stream ended: buffers not delivered go back, now if no read of them is in flight. */
			void discard() {
				discarded = true;
				List<B> rest = new ArrayList<>(buffers.subList(delivered, buffers.size()));
				buffers.clear();
				buffers.addAll(rest);
				IoRequest request = current;
				if (request == null) {
					rest.forEach(RangeStream.this::release);
					buffers.clear();
				}
				else {
					loop.cancel(request);
				}
			}
		}
	}
}
