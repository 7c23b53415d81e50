package dev.reactoraio.internal.core;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import dev.reactoraio.AioIOException;
import dev.reactoraio.internal.jnr.Errno;

/**
 * Turns a negative result into the exception a FileChannel user would see: the
 * {@code java.nio.file} exceptions for path operations (as the JDK's own {@code UnixException} does),
 * and an {@link AioIOException} naming errno, operation, file and position for transfers.
 */
public final class IoErrors {

	private IoErrors() {
	}

	/** Loads the classes of the error paths (see the note in IoLoop). */
	static void preload() {
		forPath(Errno.EMFILE, Path.of("")).getClass().getName();
		new AioIOException(Errno.EIO, "preload", null, 0, 0).getClass().getName();
		new AioIOException(Errno.EIO, "preload", "").getClass().getName();
	}

	/** The exception for a failed open/stat/unlink of {@code path}. */
	public static IOException forPath(int errno, Path path) {
		String file = path.toString();
		switch (errno) {
			case Errno.ENOENT:
				return new NoSuchFileException(file);
			case Errno.EACCES:
			case Errno.EPERM:
				return new AccessDeniedException(file);
			case Errno.EEXIST:
				return new FileAlreadyExistsException(file);
			case Errno.ELOOP:
				return new FileSystemException(file, null,
						Errno.message(errno) + " or unable to access attributes of symbolic link");
			default:
				return new FileSystemException(file, null, Errno.message(errno));
		}
	}

	/**
	 * A FileChannel failure (NIO backend) as the native backends report it: a plain {@code IOException}
	 * carrying a {@code strerror} text becomes an {@link AioIOException} naming errno, operation and position.
	 */
	private static Throwable named(IoRequest request, Throwable failure) {
		String message = failure.getMessage();
		int errno = failure.getClass() == IOException.class && message != null ? Errno.fromMessage(message) : 0;
		if (errno == 0) {
			return failure;
		}
		FileHandle file = request.file;
		AioIOException named = new AioIOException(errno, IoRequest.opName(request.op), file != null ? file.path : null,
				request.offset, request.length);
		named.initCause(failure);
		return named;
	}

	/** The exception for a request that completed with {@code result < 0}. */
	public static Throwable of(IoRequest request, long result) {
		Throwable failure = request.failure;
		if (failure != null) {
			return named(request, failure);
		}
		int errno = (int) -result;
		FileHandle file = request.file;
		if (request.op == IoRequest.OPEN || request.op == IoRequest.UNLINK || request.op == IoRequest.STATX) {
			return forPath(errno, file != null ? file.path : Path.of(""));
		}
		if (errno == Errno.EBADF && file != null && !file.isOpen()) {
			return new ClosedChannelException();
		}
		return new AioIOException(errno, IoRequest.opName(request.op), file != null ? file.path : null,
				request.offset, request.length);
	}
}
