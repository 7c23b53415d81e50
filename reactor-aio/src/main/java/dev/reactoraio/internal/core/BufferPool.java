package dev.reactoraio.internal.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import dev.reactoraio.internal.jnr.Native;

/**
 * Page-aligned native buffers for bouncing (heap or misaligned user buffers, O_DIRECT staging),
 * pooled per loop in power-of-two size classes from 4 KiB to 8 MiB. Confined to the loop thread, so it
 * needs no synchronisation. Page alignment satisfies every O_DIRECT alignment up to 4 KiB; a file that
 * needs more gets an unpooled buffer of its own alignment.
 * <p>
 * <b>Ownership.</b> A buffer is reference-counted: {@link #acquire} hands out one reference,
 * {@link IoRequest#use} moves it into a request (and {@link Pooled#retain} adds one for a second request
 * of the same memory), and the loop drops a request's reference only after the request's completion ran.
 * The memory goes back to the pool when the last reference is gone, so a buffer the kernel may still
 * touch is never handed out again. Releasing more references than were taken is a bug and throws.
 */
public final class BufferPool {

	public static final int PAGE = 4096;
	private static final int MIN_SHIFT = 12;
	private static final int MAX_SHIFT = 23;
	private static final long MAX_CACHED_BYTES = 32L << 20;

	private final List<ArrayDeque<Pooled>> free = new ArrayList<>(MAX_SHIFT - MIN_SHIFT + 1);
	/** Whether buffers carry their native address (native engines); the NIO engine makes no native call. */
	private final boolean addresses;
	private long cachedBytes;
	private int outstanding;
	private long outstandingBytes;
	private volatile int publishedOutstanding;
	private volatile long publishedOutstandingBytes;
	private volatile long publishedCachedBytes;

	/** A pool for the NIO engine: buffers without native addresses. */
	public BufferPool() {
		this(false);
	}

	/** @param addresses whether each buffer learns its native address once, when allocated (native engines) */
	public BufferPool(boolean addresses) {
		this.addresses = addresses;
		for (int shift = MIN_SHIFT; shift <= MAX_SHIFT; shift++) {
			free.add(new ArrayDeque<>());
		}
	}

	/** A buffer of at least {@code size} bytes, position 0, limit {@code size}, aligned to {@code alignment}. */
	public Pooled acquire(int size, int alignment) {
		Pooled buffer;
		int shift = shiftFor(size);
		if (shift <= MAX_SHIFT && alignment <= PAGE) {
			ArrayDeque<Pooled> list = free.get(shift - MIN_SHIFT);
			buffer = list.poll();
			if (buffer != null) {
				cachedBytes -= buffer.buffer.capacity();
			}
			else {
				buffer = new Pooled(allocateAligned(1 << shift, PAGE), shift, addresses);
			}
		}
		else {
			buffer = new Pooled(allocateAligned(size, Math.max(alignment, PAGE)), -1, addresses);
		}
		buffer.refs = 1;
		buffer.buffer.clear().limit(size);
		outstanding++;
		outstandingBytes += buffer.buffer.capacity();
		return buffer;
	}

	/**
	 * Drops one reference; the memory returns to the pool with the last one.
	 *
	 * @throws IllegalStateException when the buffer has no reference left (released twice)
	 */
	public void release(Pooled buffer) {
		if (buffer.refs <= 0) {
			throw new IllegalStateException("pooled buffer released twice");
		}
		if (--buffer.refs > 0) {
			return;
		}
		outstanding--;
		int capacity = buffer.buffer.capacity();
		outstandingBytes -= capacity;
		if (buffer.shift > 0 && cachedBytes + capacity <= MAX_CACHED_BYTES) {
			free.get(buffer.shift - MIN_SHIFT).push(buffer);
			cachedBytes += capacity;
		}
	}

	void publish() {
		publishedOutstanding = outstanding;
		publishedOutstandingBytes = outstandingBytes;
		publishedCachedBytes = cachedBytes;
	}

	/** Buffers acquired and not yet released, as of the loop's last turn. */
	public int outstanding() {
		return publishedOutstanding;
	}

	public long outstandingBytes() {
		return publishedOutstandingBytes;
	}

	public long cachedBytes() {
		return publishedCachedBytes;
	}

	private static int shiftFor(int size) {
		int shift = 32 - Integer.numberOfLeadingZeros(Math.max(size, 1) - 1);
		return Math.max(shift, MIN_SHIFT);
	}

	/**
	 * A direct buffer of exactly {@code size} bytes whose address is a multiple of {@code alignment}; its
	 * memory is freed by the GC once the buffer (and every slice of it) is unreachable.
	 */
	public static ByteBuffer allocateAligned(int size, int alignment) {
		if (alignment <= 1) {
			return ByteBuffer.allocateDirect(size);
		}
		int rounded = (int) Math.min(Integer.MAX_VALUE - (long) alignment, ((long) size + alignment - 1) / alignment * alignment);
		ByteBuffer raw = ByteBuffer.allocateDirect(rounded + alignment - 1);
		ByteBuffer aligned = raw.alignedSlice(alignment);
		return aligned.limit(size).slice().order(ByteOrder.BIG_ENDIAN);
	}

	/** A pooled native buffer and its address. */
	public static final class Pooled {
		public final ByteBuffer buffer;
		public final long address;
		final int shift;
		/** References held (loop-confined): the acquirer's, and one per request that uses the memory. */
		int refs;

		Pooled(ByteBuffer buffer, int shift, boolean address) {
			this.buffer = buffer;
			this.address = address ? Native.address(buffer) : 0;
			this.shift = shift;
		}

		/** Adds a reference, for a second request of the same memory (loop thread). */
		public void retain() {
			refs++;
		}
	}
}
