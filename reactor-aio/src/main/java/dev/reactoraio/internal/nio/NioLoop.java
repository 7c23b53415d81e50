package dev.reactoraio.internal.nio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

import dev.reactoraio.internal.core.BlockingPool;
import dev.reactoraio.internal.core.FileHandle;
import dev.reactoraio.internal.core.IoErrors;
import dev.reactoraio.internal.core.IoLoop;
import dev.reactoraio.internal.core.IoRequest;
import dev.reactoraio.internal.core.OpenCallback;
import dev.reactoraio.internal.core.OpenSpec;
import dev.reactoraio.internal.core.SizeCallback;
import org.jspecify.annotations.Nullable;

/**
 * The portable engine: positional {@link FileChannel} calls on the bounded {@link BlockingPool}.
 * Publishers, capacity and ordering are the same as with the kernel engines; only the engine differs.
 * It needs nothing from the kernel beyond what the JDK uses, so it is what non-Linux systems and
 * fully locked-down containers get.
 */
public final class NioLoop extends IoLoop {

	private final int capacity;

	public NioLoop(String name, BlockingPool blockingPool, int entries) {
		super(name, blockingPool, false);
		this.capacity = 2 * entries;
	}

	@Override
	protected int init() {
		return capacity;
	}

	@Override
	public String describe() {
		return "NIO FileChannel pool threads=" + blockingPool.threads() + " capacity=" + capacity;
	}

	@Override
	protected void issue(IoRequest request) {
		offload(request, NioLoop::perform);
	}

	private static long perform(IoRequest request) {
		try {
			return transfer(request);
		}
		catch (IOException e) {
			throw new java.io.UncheckedIOException(e);
		}
	}

	private static long transfer(IoRequest request) throws IOException {
		NioFile file = (NioFile) request.file;
		if (file == null) {
			throw new IllegalArgumentException("no file for " + request);
		}
		FileChannel channel = file.channelFor(request);
		switch (request.op) {
			case IoRequest.READ: {
				// -1: the channel's own position (a pipe's next bytes), as the native engines read it
				int n = request.offset < 0 ? channel.read(memory(request)) : channel.read(memory(request), request.offset);
				return n < 0 ? 0 : n;
			}
			case IoRequest.WRITE:
				// an APPEND channel's relative write goes to the end atomically; a positional one is unspecified
				return file.append ? channel.write(memory(request)) : channel.write(memory(request), request.offset);
			case IoRequest.READV:
				return vectored(channel, request, true);
			case IoRequest.WRITEV:
				return vectored(channel, request, false);
			case IoRequest.FSYNC:
				channel.force(request.flags != IoRequest.FSYNC_DATASYNC);
				return 0;
			case IoRequest.FTRUNCATE:
				channel.truncate(request.offset);
				return 0;
			case IoRequest.STATX:
				return file.channel.size();
			case IoRequest.FALLOCATE:
				// zeros through the page cache: they need no alignment, even for a DIRECT file
				zeroFillBeyondEnd(file.buffered, request.offset, request.offset2);
				return 0;
			default:
				throw new UnsupportedOperationException(IoRequest.opName(request.op) + " on the NIO backend");
		}
	}

	/**
	 * FileChannel has no positional scatter or gather: one positional transfer per buffer, in order, until
	 * one falls short (the end of the file for a read). Returns the bytes moved, as preadv/pwritev would.
	 */
	private static long vectored(FileChannel channel, IoRequest request, boolean read) throws IOException {
		long at = request.offset;
		long total = 0;
		for (ByteBuffer buffer : java.util.Objects.requireNonNull(request.vector)) {
			ByteBuffer b = buffer.duplicate();
			while (b.hasRemaining()) {
				int n = read ? channel.read(b, at) : channel.write(b, at);
				if (n <= 0) {
					return total;
				}
				at += n;
				total += n;
			}
		}
		return total;
	}

	/** FileChannel has no fallocate: make the range beyond the current end real by writing zeros. */
	private static void zeroFillBeyondEnd(FileChannel channel, long position, long length) throws IOException {
		long end = position + length;
		ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
		for (long at = Math.max(position, channel.size()); at < end; ) {
			zeros.clear().limit((int) Math.min(zeros.capacity(), end - at));
			at += channel.write(zeros, at);
		}
	}

	private static ByteBuffer memory(IoRequest request) {
		ByteBuffer memory = request.memory;
		if (memory == null) {
			throw new IllegalArgumentException("no buffer for " + request);
		}
		ByteBuffer view = memory.duplicate();
		return request.memoryAt >= 0 ? view.limit(request.memoryAt + request.length).position(request.memoryAt) : view;
	}

	@Override
	protected void cancelIssued(IoRequest request) {
		// a FileChannel call that started cannot be cancelled without closing the channel; it completes soon
	}

	@Override
	protected void runIo(boolean mayBlock) {
		if (mayBlock) {
			LockSupport.park(this);
		}
	}

	@Override
	protected void wakeup() {
		LockSupport.unpark(loopThread());
	}

	@Override
	protected void destroy() {
		// nothing beyond the threads
	}

	@Override
	public void open(OpenSpec spec, OpenCallback callback) {
		if (isShuttingDown()) {
			callback.opened(null, new IllegalStateException(name + " is disposed"));
			return;
		}
		Opening opening = new Opening();
		runBlocking(() -> opening.open(spec), () -> {
			Throwable error = opening.error;
			FileChannel channel = opening.channel;
			FileChannel buffered = opening.buffered;
			if (error != null || channel == null || buffered == null) {
				callback.opened(null, error);
				return;
			}
			if (isShuttingDown()) {
				closeQuietly(channel);
				closeQuietly(buffered);
				callback.opened(null, new IllegalStateException(name + " is disposed"));
				return;
			}
			NioFile file = new NioFile(spec, this, channel, buffered);
			file.noteSize(opening.size);
			if (opening.sequential) {
				file.noteSequential();
			}
			if (spec.direct) {
				file.memoryAlignment = opening.alignment;
				file.offsetAlignment = opening.alignment;
				file.alignmentSource = "file store block size";
			}
			register(file);
			callback.opened(file, null);
		});
	}

	/** The blocking half of {@link #open}: FileChannel.open, and for DIRECT the page-cache companion. */
	private static final class Opening {
		@Nullable FileChannel channel;
		@Nullable FileChannel buffered;
		@Nullable Throwable error;
		int alignment = 1;
		long size = -1;
		/** A pipe, socket or character device: its reads take the next bytes, whatever position they name. */
		boolean sequential;

		void open(OpenSpec spec) {
			try {
				if (spec.direct && OpenSpec.JDK_DIRECT == null) {
					throw new UnsupportedOperationException("DIRECT: this Java runtime lacks the jdk.unsupported "
							+ "module, whose ExtendedOpenOption.DIRECT FileChannel needs for O_DIRECT");
				}
				channel = FileChannel.open(spec.path, spec.nioOptions);
				buffered = channel;
				size = channel.size();
				sequential = isSequential(spec.path);
				if (spec.direct) {
					Set<OpenOption> options = new HashSet<>(spec.nioOptions);
					options.remove(OpenSpec.JDK_DIRECT);
					options.remove(StandardOpenOption.CREATE);
					options.remove(StandardOpenOption.CREATE_NEW);
					options.remove(StandardOpenOption.TRUNCATE_EXISTING);
					buffered = FileChannel.open(spec.path, options);
					alignment = (int) Files.getFileStore(spec.path).getBlockSize();
				}
				if (spec.deleteOnClose) {
					// as the JDK does on Unix, once every channel of the file is open (errors ignored, as there)
					try {
						Files.deleteIfExists(spec.path);
					}
					catch (IOException ignored) {
						// the file stays; it is still only this process's to use
					}
				}
			}
			catch (Throwable t) {
				error = t;
				closeQuietly(channel);
				closeQuietly(buffered);
				channel = null;
				buffered = null;
			}
		}
	}

	/** Whether the file is a pipe, a socket or a character device (st_mode's type), as far as the JDK can tell. */
	private static boolean isSequential(java.nio.file.Path path) {
		try {
			int type = ((Integer) Files.getAttribute(path, "unix:mode")) & 0170000;
			return type == 0010000 || type == 0140000 || type == 0020000;
		}
		catch (IOException | RuntimeException e) {
			return false; // no unix view: a FileChannel's positional reads then tell
		}
	}

	private static void closeQuietly(@Nullable FileChannel channel) {
		if (channel != null) {
			try {
				channel.close();
			}
			catch (IOException ignored) {
				// best effort on a failure path
			}
		}
	}

	@Override
	protected void closeDescriptors(FileHandle handle) {
		NioFile file = (NioFile) handle;
		Throwable[] error = new Throwable[1];
		runBlocking(() -> {
			try {
				if (file.buffered != file.channel) {
					file.buffered.close();
				}
				file.channel.close();
			}
			catch (Throwable t) {
				error[0] = t;
			}
		}, () -> file.closed(error[0]));
	}

	/** The size is a request of the file like any other: counted by close, refused once the file is closing. */
	@Override
	public void size(FileHandle handle, SizeCallback callback) {
		IoRequest request = new IoRequest(IoRequest.STATX, handle, (r, result) -> {
			if (result < 0) {
				callback.done(-1, IoErrors.of(r, result));
			}
			else {
				callback.done(result, null);
			}
		});
		request.onCompletionFailure = t -> callback.done(-1, t);
		submit(request);
	}
}
