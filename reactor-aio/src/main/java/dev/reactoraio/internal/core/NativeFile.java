package dev.reactoraio.internal.core;

import java.nio.file.Path;

/**
 * A file opened through open(2) by a native engine. An O_DIRECT file has a second, page-cache
 * descriptor on the same inode, used for the transfers O_DIRECT cannot do (a write whose offset or
 * length is not aligned). Linux keeps the two coherent: a direct transfer flushes and invalidates the
 * page-cache range it covers.
 */
public final class NativeFile extends FileHandle {

	/** The descriptor transfers use (O_DIRECT for a direct file). */
	public final int fd;
	/** The page-cache descriptor of a direct file; {@code fd} otherwise. */
	public final int bufferedFd;

	/**
	 * Kernel AIO, the threads of the loops the file's reads go to ({@link FileHandle#readLoop}): whether
	 * reads still ask for RWF_NOWAIT. A hint: a loop that reads it late asks once more and is refused.
	 */
	public volatile boolean aioNowait = true;
	/** Kernel AIO, as {@link #aioNowait}: NOWAIT reads refused in a row (a racing count only delays the switch). */
	public int nowaitRefusals;

	NativeFile(Path path, IoLoop loop, OpenSpec spec, int fd, int bufferedFd) {
		super(path, loop, spec.read, spec.write, spec.direct, spec.append);
		this.fd = fd;
		this.bufferedFd = bufferedFd;
	}

	/** The descriptor a request uses. */
	public int fdFor(IoRequest request) {
		return request.buffered ? bufferedFd : fd;
	}
}
