package dev.reactoraio.internal.flow;

import java.nio.ByteBuffer;

import dev.reactoraio.internal.core.BufferPool;
import dev.reactoraio.internal.core.FileHandle;
import dev.reactoraio.internal.core.IoCompletion;
import dev.reactoraio.internal.core.IoRequest;

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

	/**
	 * A read of {@code target.remaining()} bytes at {@code position} into {@code target} (whose position
	 * and limit are left alone). The completion gets the kernel's result; {@link #deliver} turns it into
	 * the number of bytes placed at {@code target.position()} (0 at end of file), or -errno.
	 */
	static IoRequest read(FileHandle file, ByteBuffer target, long position, IoCompletion completion) {
		int length = target.remaining();
		if (!file.direct) {
			if (target.isDirect()) {
				return IoRequest.transfer(IoRequest.READ, file, target.slice(), position, completion);
			}
			return bounced(file, target, position, position, Math.min(length, MAX_BOUNCE), completion);
		}
		long start = file.alignDown(position);
		long end = file.alignUp(position + length);
		if (start == position && end == position + length && inPlace(file, target)) {
			return IoRequest.transfer(IoRequest.READ, file, target.slice(), position, completion);
		}
		long span = Math.min(end - start, file.alignDown(MAX_BOUNCE));
		return bounced(file, target, position, start, (int) span, completion);
	}

	private static boolean inPlace(FileHandle file, ByteBuffer buffer) {
		return buffer.isDirect() && buffer.alignmentOffset(buffer.position(), file.memoryAlignment) == 0;
	}

	private static IoRequest bounced(FileHandle file, ByteBuffer target, long position, long start, int span,
			IoCompletion completion) {
		IoRequest request = new IoRequest(IoRequest.READ, file, completion)
				.use(file.loop.buffers.acquire(span, file.memoryAlignment));
		request.length = span;
		request.offset = start;
		request.copyTo = target.duplicate();
		request.copySkip = (int) (position - start);
		return request;
	}

	/**
	 * Loop thread, inside a read's completion, when its issuer takes the result: copies a bounced read's
	 * bytes into the target. Returns the bytes now at the target's position (0 at end of file), or the
	 * negative result unchanged.
	 */
	static long deliver(IoRequest read, long result) {
		ByteBuffer target = read.copyTo;
		if (result <= 0 || target == null) {
			return result;
		}
		ByteBuffer bounce = java.util.Objects.requireNonNull(read.memory);
		int available = (int) Math.min(target.remaining(), result - read.copySkip);
		if (available <= 0) {
			return 0;
		}
		target.put(target.position(), bounce, read.copySkip, available);
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
		boolean inPlace = source.isDirect() && (!file.direct || buffered || inPlace(file, source));
		IoRequest request;
		if (inPlace) {
			request = IoRequest.transfer(IoRequest.WRITE, file, source.slice(), position, completion);
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
