package dev.reactoraio;

import java.io.IOException;
import java.nio.file.Path;

import dev.reactoraio.internal.jnr.Errno;
import org.jspecify.annotations.Nullable;

/**
 * An I/O error reported by the kernel for which the JDK has no more specific exception: it names the
 * errno, the operation, the file and the position, e.g.
 * {@code write of 65536 bytes at position 1048576 of /data/out.bin failed: ENOSPC (No space left on device)}.
 * <p>
 * Failures that do have a JDK exception are reported with it instead: {@code NoSuchFileException},
 * {@code AccessDeniedException}, {@code FileAlreadyExistsException}, {@code ClosedChannelException}, …
 */
public class AioIOException extends IOException {

	private static final long serialVersionUID = 1L;

	/** The positive errno value. */
	private final int errno;
	/** The failed operation. */
	private final String operation;
	/** The file (not serialized: Path implementations are not serializable). */
	private final transient @Nullable Path path;
	/** The file offset, or -1. */
	private final long position;

	/**
	 * An error of a transfer or file operation.
	 *
	 * @param errno the positive errno value
	 * @param operation the operation, e.g. {@code read}, {@code write}, {@code fsync}
	 * @param path the file, if known
	 * @param position the file offset of the transfer, or -1 when the operation has none
	 * @param length the number of bytes of the transfer, or 0
	 */
	public AioIOException(int errno, String operation, @Nullable Path path, long position, long length) {
		super(transferMessage(errno, operation, path, position, length));
		this.errno = errno;
		this.operation = operation;
		this.path = path;
		this.position = position;
	}

	/**
	 * An error of a system call that is not tied to a file, such as ring setup.
	 *
	 * @param errno the positive errno value
	 * @param operation the system call, e.g. {@code io_uring_setup}
	 * @param explanation what the error means here and what a user can change
	 */
	public AioIOException(int errno, String operation, String explanation) {
		super(operation + ": " + Errno.describe(errno) + (explanation.isEmpty() ? "" : " — " + explanation));
		this.errno = errno;
		this.operation = operation;
		this.path = null;
		this.position = -1;
	}

	private static String transferMessage(int errno, String operation, @Nullable Path path, long position,
			long length) {
		StringBuilder sb = new StringBuilder(operation);
		if (length > 0) {
			sb.append(" of ").append(length).append(" bytes");
		}
		if (position >= 0) {
			sb.append(" at position ").append(position);
		}
		if (path != null) {
			sb.append(" of ").append(path);
		}
		return sb.append(" failed: ").append(Errno.describe(errno)).toString();
	}

	/** {@return the positive errno value, e.g. 28 for ENOSPC} */
	public int errno() {
		return errno;
	}

	/** {@return the symbolic errno name, e.g. {@code ENOSPC}} */
	public String errnoName() {
		return Errno.name(errno);
	}

	/** {@return the operation that failed, e.g. {@code write} or {@code io_uring_setup}} */
	public String operation() {
		return operation;
	}

	/** {@return the file, or {@code null} when the error is not tied to one} */
	public @Nullable Path path() {
		return path;
	}

	/** {@return the file offset of the failed transfer, or -1} */
	public long position() {
		return position;
	}
}
