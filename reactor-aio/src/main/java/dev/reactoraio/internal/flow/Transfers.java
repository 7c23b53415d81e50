package dev.reactoraio.internal.flow;

import java.nio.ByteBuffer;

import dev.reactoraio.internal.core.BufferPool;
import dev.reactoraio.internal.core.FileHandle;
import dev.reactoraio.internal.core.IoCompletion;
import dev.reactoraio.internal.core.IoLoop;
import dev.reactoraio.internal.core.IoRequest;
import dev.reactoraio.internal.jnr.Native;
import org.jspecify.annotations.Nullable;

/**
 * Builds read and write requests that are legal for their file, whatever buffer the caller has.
 * <ul>
 * <li>A direct buffer at a legal address is used in place (zero copy); the request holds it until the
 * completion arrives.</li>
 * <li>A heap buffer, or a direct buffer misaligned for O_DIRECT, is bounced through a pooled,
 * page-aligned native buffer.</li>
 * <li>An O_DIRECT read of a misaligned range reads the aligned range around it into a bounce buffer
 * and copies out the part asked for.</li>
 * <li>An O_DIRECT write of a misaligned range (or any write of a file opened for APPEND, whose offset
 * the kernel chooses) goes through the file's page-cache descriptor.</li>
 * </ul>
 * A bounced read copies into the caller's buffer only when the issuer takes the result with
 * {@link #deliver}: an operation cancelled before its completion never touches the caller's memory.
 * The bounce buffer itself goes back to the pool when the loop has run the completion.
 * <p>
 * A bounced transfer moves at most {@link #MAX_BOUNCE} bytes per request: the result then reports a
 * short transfer, which streams resubmit and which single reads and writes report as their count.
 */
final class Transfers {

	/** The most a single bounced transfer moves. */
	static final int MAX_BOUNCE = 64 << 20;

	private Transfers() {
	}

	/** Boxed counts that are whole multiples of 512 bytes up to 4 MiB, made once: what reads usually return. */
	private static final Integer[] COUNTS = new Integer[(4 << 20) / 512 + 1];

	/**
	 * {@code n} boxed, without a new object for the counts reads and writes usually have (sectors and
	 * pages up to 4 MiB); others as {@link Integer#valueOf}. A racing first use makes two equal objects,
	 * either of which is right.
	 */
	static Integer count(int n) {
		if (n >= 0 && (n & 511) == 0 && n <= (4 << 20)) {
			Integer boxed = COUNTS[n >>> 9];
			if (boxed == null) {
				boxed = n;
				COUNTS[n >>> 9] = boxed;
			}
			return boxed;
		}
		return n;
	}

	/**
	 * A read of {@code target.remaining()} bytes at {@code position} into {@code target} (whose position
	 * and limit are left alone), submitted on {@code loop}: the file's, or one of {@link FileHandle#readLoop}'s
	 * (the request and its bounce buffer are that loop's). The completion gets the kernel's result;
	 * {@link #deliver} turns it into the number of bytes placed at {@code target.position()} (0 at end of
	 * file), or -errno.
	 */
	static IoRequest read(IoLoop loop, FileHandle file, ByteBuffer target, long position, IoCompletion completion) {
		return read(loop, file, target, target.position(), target.remaining(), position, completion);
	}

	/**
	 * A read of {@code length} bytes at {@code position} into {@code target} from index {@code at} (its
	 * position and limit are neither used nor changed: no view of it is made), submitted on {@code loop}.
	 * {@link #deliver} turns the kernel's result into the number of bytes placed at {@code at}.
	 */
	static IoRequest read(IoLoop loop, FileHandle file, ByteBuffer target, int at, int length, long position,
			IoCompletion completion) {
		if (!file.direct) {
			if (target.isDirect()) {
				return inPlace(loop, file, target, at, length, position, completion);
			}
			return bounced(loop, file, target, at, length, position, position, Math.min(length, MAX_BOUNCE), completion);
		}
		long start = file.alignDown(position);
		long end = file.alignUp(position + length);
		if (start == position && end == position + length && inPlace(file, target, at)) {
			return inPlace(loop, file, target, at, length, position, completion);
		}
		long span = Math.min(end - start, file.alignDown(MAX_BOUNCE));
		return bounced(loop, file, target, at, length, position, start, (int) span, completion);
	}

	/**
	 * A read straight into {@code target}, in a request the loop takes back after the completion: every
	 * issuer of {@link #read} drops its reference in the completion (loop thread, the caller's too).
	 */
	private static IoRequest inPlace(IoLoop loop, FileHandle file, ByteBuffer target, int at, int length, long position,
			IoCompletion completion) {
		IoRequest request = loop.readRequest(file, completion);
		request.memory = target;
		request.memoryAt = at;
		request.length = length;
		request.offset = position;
		return request;
	}

	private static boolean inPlace(FileHandle file, ByteBuffer buffer, int at) {
		return buffer.isDirect() && buffer.alignmentOffset(at, file.memoryAlignment) == 0;
	}

	/**
	 * A read of {@code span} bytes at {@code start} into a pooled buffer; the bytes asked for begin at
	 * {@code position} and go to {@code target} ({@code length} of them from index {@code at}), or to the
	 * buffers of a vectored read when {@code target} is null.
	 */
	private static IoRequest bounced(IoLoop loop, FileHandle file, @Nullable ByteBuffer target, int at, int length,
			long position, long start, int span, IoCompletion completion) {
		IoRequest request = (target != null ? loop.readRequest(file, completion)
				: new IoRequest(IoRequest.READ, file, completion)).use(loop.buffers.acquire(span, file.memoryAlignment));
		request.length = span;
		request.offset = start;
		request.copyTo = target;
		request.copyAt = at;
		request.copyLength = length;
		request.copySkip = (int) (position - start);
		return request;
	}

	/** The most buffers one readv/writev takes (IOV_MAX); more go through a bounce buffer. */
	static final int IOV_MAX = 1024;

	private static long remaining(ByteBuffer[] buffers) {
		long total = 0;
		for (ByteBuffer b : buffers) {
			total += b.remaining();
		}
		return total;
	}

	/** In place with readv/writev: every buffer direct, not too many, and a file without O_DIRECT's alignment. */
	private static boolean vectorInPlace(FileHandle file, ByteBuffer[] buffers) {
		if (file.direct || buffers.length > IOV_MAX) {
			return false;
		}
		for (ByteBuffer b : buffers) {
			if (!b.isDirect()) {
				return false;
			}
		}
		return true;
	}

	/** A request for the buffers' regions (position to limit) as a {@code struct iovec} array in pooled memory. */
	private static IoRequest vectored(byte op, FileHandle file, ByteBuffer[] buffers, long position,
			IoCompletion completion) {
		BufferPool.Pooled iovecs = file.loop.buffers.acquire(16 * buffers.length, 8);
		ByteBuffer table = iovecs.buffer.duplicate().order(java.nio.ByteOrder.nativeOrder());
		for (int i = 0; i < buffers.length; i++) {
			table.putLong(16 * i, Native.address(buffers[i]) + buffers[i].position());
			table.putLong(16 * i + 8, buffers[i].remaining());
		}
		IoRequest request = new IoRequest(op, file, completion).use(iovecs);
		request.length = buffers.length;
		request.offset = position;
		request.vector = buffers;
		return request;
	}

	/**
	 * A scattering read of the buffers' remaining bytes at {@code position} (their positions and limits left
	 * alone): in place with readv where {@link #vectorInPlace} allows, else one read into a bounce buffer
	 * (aligned around the range for O_DIRECT) that {@link #deliverVector} copies out. At most
	 * {@link #MAX_BOUNCE} bytes when bounced.
	 */
	static IoRequest readVector(FileHandle file, ByteBuffer[] dsts, long position, IoCompletion completion) {
		if (vectorInPlace(file, dsts)) {
			return vectored(IoRequest.READV, file, dsts, position, completion);
		}
		long total = remaining(dsts);
		if (!file.direct) {
			return bounced(file.loop, file, null, 0, 0, position, position, (int) Math.min(total, MAX_BOUNCE), completion);
		}
		long start = file.alignDown(position);
		long end = file.alignUp(position + total);
		return bounced(file.loop, file, null, 0, 0, position, start, (int) Math.min(end - start, file.alignDown(MAX_BOUNCE)),
				completion);
	}

	/**
	 * Loop thread, when the issuer takes a vectored read's result: the bytes now at the buffers' positions
	 * (copied out of a bounce buffer, in order), 0 at end of file, or the negative result.
	 */
	static long deliverVector(IoRequest read, long result, ByteBuffer[] dsts) {
		if (result <= 0 || read.op == IoRequest.READV) {
			return result;
		}
		ByteBuffer bounce = java.util.Objects.requireNonNull(read.memory);
		long available = Math.min(remaining(dsts), result - read.copySkip);
		int from = read.copySkip;
		long left = available;
		for (int i = 0; i < dsts.length && left > 0; i++) {
			int n = (int) Math.min(left, dsts[i].remaining());
			dsts[i].put(dsts[i].position(), bounce, from, n);
			from += n;
			left -= n;
		}
		return Math.max(available, 0);
	}

	/**
	 * A gathering write of the buffers' remaining bytes at {@code position} (their positions left alone): in
	 * place with writev where {@link #vectorInPlace} allows, else gathered into one pooled buffer first (at
	 * most {@link #MAX_BOUNCE} bytes) and written as {@link #write} writes a direct buffer.
	 */
	static IoRequest writeVector(FileHandle file, ByteBuffer[] srcs, long position, IoCompletion completion) {
		if (vectorInPlace(file, srcs)) {
			return vectored(IoRequest.WRITEV, file, srcs, position, completion);
		}
		int span = (int) Math.min(remaining(srcs), MAX_BOUNCE);
		BufferPool.Pooled gathered = file.loop.buffers.acquire(span, file.memoryAlignment);
		int at = 0;
		for (int i = 0; i < srcs.length && at < span; i++) {
			int n = Math.min(srcs[i].remaining(), span - at);
			gathered.buffer.put(at, srcs[i], srcs[i].position(), n);
			at += n;
		}
		IoRequest request = write(file, gathered.buffer.duplicate().position(0).limit(span), position, completion);
		request.keep(gathered);
		file.loop.buffers.release(gathered);
		return request;
	}

	/**
	 * Loop thread, inside a read's completion, when its issuer takes the result: copies a bounced read's
	 * bytes into the target. Returns the bytes now at the index the read was asked to fill (0 at end of
	 * file), or the negative result unchanged.
	 */
	static long deliver(IoRequest read, long result) {
		ByteBuffer target = read.copyTo;
		if (result <= 0 || target == null) {
			return result;
		}
		ByteBuffer bounce = java.util.Objects.requireNonNull(read.memory);
		int available = (int) Math.min(read.copyLength, result - read.copySkip);
		if (available <= 0) {
			return 0;
		}
		target.put(read.copyAt, bounce, read.copySkip, available);
		return available;
	}

	/**
	 * A write of {@code source.remaining()} bytes (at most {@link #MAX_BOUNCE} when bounced) at
	 * {@code position}; {@code source}'s position is left alone. The completion gets the bytes written or
	 * -errno.
	 */
	static IoRequest write(FileHandle file, ByteBuffer source, long position, IoCompletion completion) {
		int length = source.remaining();
		boolean buffered = file.direct && (file.append || !file.isAligned(position, length));
		boolean inPlace = source.isDirect() && (!file.direct || buffered || inPlace(file, source, source.position()));
		IoRequest request;
		if (inPlace) {
			request = IoRequest.transfer(IoRequest.WRITE, file, source, position, completion);
		}
		else {
			int span = Math.min(length, buffered || !file.direct ? MAX_BOUNCE : (int) file.alignDown(MAX_BOUNCE));
			BufferPool.Pooled bounce = file.loop.buffers.acquire(span, file.memoryAlignment);
			bounce.buffer.put(0, source, source.position(), span);
			request = new IoRequest(IoRequest.WRITE, file, completion).use(bounce);
			request.length = span;
			request.offset = position;
		}
		request.buffered = buffered;
		return request;
	}
}
