package dev.reactoraio.internal.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import dev.reactoraio.internal.jnr.Errno;
import dev.reactoraio.internal.jnr.Native;
import org.jspecify.annotations.Nullable;

/**
 * What the two kernel engines (io_uring and kernel AIO) share: files are open(2) descriptors, and an
 * operation the engine cannot queue runs as a blocking system call on the {@link BlockingPool}.
 * <p>
 * Opening is a chain of requests, so that each step goes to the ring when the kernel supports it:
 * open (twice for O_DIRECT: the direct descriptor and its page-cache companion), unlink for
 * DELETE_ON_CLOSE (right after opening, as the JDK does), then statx for the size and the O_DIRECT
 * alignment, then, on kernels without {@code STATX_DIOALIGN}, the device's logical block size from
 * sysfs on the blocking pool.
 */
public abstract class NativeLoop extends IoLoop {

	/**
	 * While a loop handles a batch of completions, what they issued (a {@code flatMap} lane's next read)
	 * goes to the kernel after every this many, not only once the whole batch is handled. A disk that
	 * completes its 32 reads at once would otherwise have the first re-issued read wait behind the Java
	 * work of the other 31 (W1 at depth 32: about 15 % more reads per second). Every completion would be
	 * too often: a page-cached read runs inside its submission, and a system call per read cost W2 a third.
	 */
	private static final int SUBMIT_EVERY = 8;

	/** Loop thread: completions handled since the engine last handed its queue to the kernel in this batch. */
	private int handledSinceSubmit;

	/** Logical block size per block device (major:minor), read from sysfs once. */
	private static final ConcurrentHashMap<Long, Integer> LOGICAL_BLOCK_SIZE = new ConcurrentHashMap<>();

	protected NativeLoop(String name, BlockingPool blockingPool) {
		super(name, blockingPool, true);
	}

	/** Engine, loop thread: hands what is queued for the kernel to it now, without waiting. */
	protected abstract void submitQueued();

	/** Engine, loop thread: a batch of completions is about to be handled. */
	protected final void batchStarts() {
		handledSinceSubmit = 0;
	}

	/** Engine, loop thread: one completion of the batch ran; every {@link #SUBMIT_EVERY}, what was issued is submitted. */
	protected final void handledInBatch() {
		if (++handledSinceSubmit == SUBMIT_EVERY) {
			handledSinceSubmit = 0;
			submitQueued();
		}
	}

	@Override
	public final void open(OpenSpec spec, OpenCallback callback) {
		if (isShuttingDown()) {
			callback.opened(null, new IllegalStateException(name + " is disposed"));
			return;
		}
		int directFlags = spec.direct ? spec.flags | Native.table().oDirect : spec.flags;
		openat(spec, directFlags, (fd, error) -> {
			if (error != null) {
				callback.opened(null, error);
			}
			else if (!spec.direct) {
				unlinkIfAsked(spec, () -> inspect(spec, new NativeFile(spec.path, this, spec, fd, fd), callback));
			}
			else {
				openat(spec, spec.bufferedCompanionFlags(), (bufferedFd, error2) -> {
					if (error2 != null) {
						closeQuietly(fd);
						callback.opened(null, error2);
					}
					else {
						unlinkIfAsked(spec,
								() -> inspect(spec, new NativeFile(spec.path, this, spec, fd, bufferedFd), callback));
					}
				});
			}
		});
	}

	/**
	 * DELETE_ON_CLOSE: the name goes as soon as the file is open, as the JDK does on Unix, so that the file
	 * disappears with its last descriptor even if the process dies before close. As the JDK, a failure to
	 * unlink is ignored; unlinking at close instead could remove another file created at that path since.
	 */
	private void unlinkIfAsked(OpenSpec spec, Runnable then) {
		if (!spec.deleteOnClose) {
			then.run();
			return;
		}
		IoRequest unlink = new IoRequest(IoRequest.UNLINK, null, (r, result) -> then.run()).use(pathBuffer(spec.absolutePath));
		unlink.onCompletionFailure = t -> then.run();
		submit(unlink);
	}

	/**
	 * Whether opening and reading a buffered file are asynchronous here (io_uring), so that a whole-file
	 * read is worth doing as requests of the ring rather than one task of the blocking pool.
	 */
	protected boolean asyncOpenAndRead() {
		return false;
	}

	/** Bytes of memory a whole-file chain reads into: the path, then the data. */
	static final int CHAIN_BUFFER = 64 << 10;

	/** The most one read of a larger whole file asks for. */
	private static final int WHOLE_FILE_CHUNK = 1 << 20;

	/**
	 * A whole file: on io_uring with direct descriptors, one linked submission (open, read up to
	 * {@link #CHAIN_BUFFER} less the path's room, read a few bytes more) and, when that second read found
	 * nothing, a close: two round trips for a small file. A file with more goes on being read through the
	 * same descriptor, so a pipe loses nothing and a /proc file is one snapshot. Where the kernel has no
	 * direct descriptors: an open, reads sized by statx, a close. Kernel AIO reads buffered files on the
	 * blocking pool anyway: there, one task does it all.
	 */
	@Override
	public void readWholeFile(OpenSpec spec, WholeFileCallback callback) {
		if (!asyncOpenAndRead()) {
			super.readWholeFile(spec, callback);
			return;
		}
		byte[] path = spec.absolutePath.getBytes(java.nio.charset.StandardCharsets.UTF_8);
		if (wholeFileChains() && path.length < IoRequest.PROBE_OFFSET) {
			readInOneChain(spec, path, callback);
		}
		else {
			new WholeFileReader(spec, callback).open();
		}
	}

	private void readInOneChain(OpenSpec spec, byte[] path, WholeFileCallback callback) {
		int wanted = CHAIN_BUFFER - IoRequest.DATA_OFFSET;
		IoRequest chain = submitChain(spec, path, wanted, (r, result) -> chainDone(spec, r, wanted, callback),
				t -> callback.done(null, t));
		callback.waitingFor(chain);
	}

	/**
	 * Submits an {@link IoRequest#OPEN_READ} of the first {@code length} bytes of {@code spec}'s file. If
	 * the completion throws, {@code failed} is told, after the direct descriptor is closed when the chain
	 * opened one.
	 */
	private IoRequest submitChain(OpenSpec spec, byte[] path, int length, IoCompletion completion,
			java.util.function.Consumer<Throwable> failed) {
		BufferPool.Pooled buffer = buffers.acquire(IoRequest.DATA_OFFSET + length, BufferPool.PAGE);
		buffer.buffer.put(0, path).put(path.length, (byte) 0);
		IoRequest chain = new IoRequest(IoRequest.OPEN_READ, null, completion, IoRequest.OPEN_READ_STEPS).use(buffer);
		chain.offset = spec.flags;
		chain.length = length;
		chain.onCompletionFailure = t -> {
			long[] results = Objects.requireNonNull(chain.results);
			if (results[0] >= 0 && chain.directSlot >= 0) {
				closeDirect(chain.directSlot, () -> failed.accept(t));
			}
			else {
				failed.accept(t);
			}
		};
		submit(chain);
		return chain;
	}

	/** The error of a chain's reads (it opened), or null: the first read's, or the second's unless it proves nothing. */
	private static @Nullable Throwable readError(OpenSpec spec, long[] results, int length) {
		if (results[1] < 0) {
			return new dev.reactoraio.AioIOException((int) -results[1], "read", spec.path, 0, length);
		}
		if (results[2] < 0 && !IoRequest.probeProvesNothing(results[2])) {
			return new dev.reactoraio.AioIOException((int) -results[2], "read", spec.path, results[1], IoRequest.PROBE_BYTES);
		}
		return null;
	}

	/** The chain's three results: the whole file, or an error, or more to read through the same descriptor. */
	private void chainDone(OpenSpec spec, IoRequest chain, int wanted, WholeFileCallback callback) {
		if (chain.flags == IoRequest.NO_DIRECT_SLOT) {
			new WholeFileReader(spec, callback).open();
			return;
		}
		long[] results = Objects.requireNonNull(chain.results);
		if (results[0] < 0 || chain.directSlot < 0) {
			Throwable failure = chain.failure;
			callback.done(null, failure != null ? failure : explainOpenFailure(spec, (int) -results[0], spec.flags));
			return;
		}
		WholeFileReader reader = new WholeFileReader(spec, callback).onSlot(chain.directSlot);
		Throwable error = readError(spec, results, wanted);
		if (error != null) {
			reader.finish(null, error);
			return;
		}
		int first = (int) results[1];
		int more = (int) Math.max(0, results[2]);
		ByteBuffer memory = Objects.requireNonNull(chain.memory);
		byte[] bytes = new byte[first + more];
		memory.get(IoRequest.DATA_OFFSET, bytes, 0, first);
		memory.get(IoRequest.PROBE_OFFSET, bytes, first, more);
		if (results[2] == 0) {
			reader.finish(bytes, null); // a read of nothing where the first ended: the end, for any kind of file
			return;
		}
		long size = regularFileSize(spec);
		if (size > WholeFiles.MAX_ARRAY) {
			reader.finish(null, WholeFiles.tooLarge());
		}
		else {
			reader.readOn(bytes, size);
		}
	}

	/**
	 * The open of a streaming read with its first {@code length} bytes in the same submission (an
	 * {@link IoRequest#OPEN_READ}): when the chain saw the end, the descriptor is closed and the stream has
	 * the whole file; otherwise the direct descriptor becomes an ordinary one (FIXED_FD_INSTALL: the same
	 * open file, its position and all) that the stream reads on, so no byte is read twice from two opens of
	 * a path that may have changed in between, and a pipe loses nothing.
	 */
	@Override
	public @Nullable IoRequest openWithHead(OpenSpec spec, int length, HeadCallback callback) {
		byte[] path = spec.absolutePath.getBytes(java.nio.charset.StandardCharsets.UTF_8);
		if (!headChains() || spec.direct || spec.deleteOnClose || spec.write || isShuttingDown()
				|| path.length >= IoRequest.PROBE_OFFSET) {
			open(spec, callback);
			return null;
		}
		return submitChain(spec, path, length, (r, result) -> headDone(spec, r, length, callback),
				t -> callback.opened(null, t));
	}

	private void headDone(OpenSpec spec, IoRequest chain, int length, HeadCallback callback) {
		if (chain.flags == IoRequest.NO_DIRECT_SLOT) {
			open(spec, callback);
			return;
		}
		long[] results = Objects.requireNonNull(chain.results);
		int slot = chain.directSlot;
		if (results[0] < 0 || slot < 0) {
			Throwable failure = chain.failure;
			callback.opened(null, failure != null ? failure : explainOpenFailure(spec, (int) -results[0], spec.flags));
			return;
		}
		Throwable error = readError(spec, results, length);
		if (error != null) {
			closeDirect(slot, () -> callback.opened(null, error));
			return;
		}
		ByteBuffer memory = Objects.requireNonNull(chain.memory);
		boolean end = results[2] == 0;
		callback.head(memory.duplicate().limit(IoRequest.DATA_OFFSET + (int) results[1]).position(IoRequest.DATA_OFFSET),
				memory.duplicate().limit(IoRequest.PROBE_OFFSET + (int) Math.max(0, results[2]))
						.position(IoRequest.PROBE_OFFSET), end);
		if (end) {
			closeDirect(slot, () -> callback.opened(null, null));
			return;
		}
		IoRequest install = new IoRequest(IoRequest.INSTALL, null, (r, fd) -> {
			closeDirect(slot, () -> {
				if (fd < 0) {
					callback.opened(null, IoErrors.forPath((int) -fd, spec.path));
				}
				else {
					inspect(spec, new NativeFile(spec.path, this, spec, (int) fd, (int) fd), callback);
				}
			});
		});
		install.directSlot = slot;
		install.onCompletionFailure = t -> closeDirect(slot, () -> callback.opened(null, t));
		submit(install);
	}

	/** Closes a direct descriptor (which frees its slot), then runs {@code then}. */
	private void closeDirect(int slot, Runnable then) {
		IoRequest close = new IoRequest(IoRequest.CLOSE, null, (r, ignored) -> then.run());
		close.directSlot = slot;
		submit(close); // if then throws, the loop logs it: it must not run twice
	}

	/**
	 * The size of the regular file at {@code spec}'s path, or -1 (anything else, or no answer): statx of
	 * the path a chain has just opened, here on the loop thread, which finds its dentry and inode in
	 * memory (AT_STATX_DONT_SYNC keeps network file systems from asking their server). A direct
	 * descriptor has no statx of its own; the size only sizes the array (and refuses a file no array can
	 * hold, as the JDK does): the reads still go on until one finds nothing.
	 */
	private long regularFileSize(OpenSpec spec) {
		BufferPool.Pooled path = pathBuffer(spec.absolutePath);
		BufferPool.Pooled buffer = buffers.acquire(Statx.SIZE, 8);
		try {
			int flags = Native.AT_STATX_DONT_SYNC | (spec.noFollow ? Native.AT_SYMLINK_NOFOLLOW : 0);
			int r = Native.statx(Native.AT_FDCWD, path.address, flags, Statx.MASK, buffer.address);
			if (r < 0) {
				return -1;
			}
			Statx statx = new Statx(buffer.buffer);
			return statx.isRegularFile() ? statx.size : -1;
		}
		finally {
			buffers.release(buffer);
			buffers.release(path);
		}
	}

	/**
	 * A whole file read with separate requests into a pooled buffer copied into the array, then closed:
	 * either one it opens (open, statx for the size, reads at positions) or the rest of one a chain opened
	 * into a direct descriptor (reads at the descriptor's position, sized by a statx of the path). A regular
	 * file whose own statx gave its size ends where a read comes back short at that size; any other file (a
	 * pipe, a character device, a /proc file, whose size says nothing, or a size only the path gave) ends at
	 * a read of nothing. The descriptor is closed whatever happens, by the last completion, and only then
	 * is the callback told; nothing else can see the descriptor.
	 */
	private final class WholeFileReader implements IoCompletion {
		private final OpenSpec spec;
		private final WholeFileCallback callback;
		private int fd = -1;
		/** The direct descriptor a chain opened, or -1 for a descriptor of this reader's own ({@link #fd}). */
		private int slot = -1;
		private byte[] bytes = new byte[0];
		private int filled;
		private int asked;
		/** The size a short read may end at (a regular file's own statx), or -1. */
		private long size = -1;

		WholeFileReader(OpenSpec spec, WholeFileCallback callback) {
			this.spec = spec;
			this.callback = callback;
		}

		/** Takes over the direct descriptor {@code slot} a chain opened (and read nothing else of). */
		WholeFileReader onSlot(int directSlot) {
			slot = directSlot;
			return this;
		}

		void open() {
			IoRequest open = openat(spec, spec.flags, (descriptor, error) -> {
				if (error != null) {
					callback.done(null, error);
					return;
				}
				fd = descriptor;
				Statx statx = statxNow(descriptor);
				if (statx == null) {
					finish(null, IoErrors.forPath(statxErrno, spec.path));
				}
				else if (statx.size > WholeFiles.MAX_ARRAY) {
					finish(null, WholeFiles.tooLarge());
				}
				else {
					size = statx.isRegularFile() && statx.size > 0 ? statx.size : -1;
					bytes = new byte[(int) Math.max(0, size)];
					readMore();
				}
			});
			callback.waitingFor(open);
		}

		/**
		 * Goes on after {@code start} through the direct descriptor, into an array of {@code pathSize} bytes
		 * when that is known: the size of what the path names now, which only sizes the array.
		 */
		void readOn(byte[] start, long pathSize) {
			bytes = pathSize > start.length ? Arrays.copyOf(start, (int) pathSize) : start;
			filled = start.length;
			readMore();
		}

		/** Reads what the array has room for and one byte more. */
		private void readMore() {
			asked = (int) Math.min(WHOLE_FILE_CHUNK, bytes.length - filled + 1L);
			IoRequest read = new IoRequest(IoRequest.READ, null, this).use(buffers.acquire(asked, BufferPool.PAGE));
			read.length = asked;
			if (slot >= 0) {
				read.directSlot = slot;
				read.offset = -1; // the descriptor's position, where the chain's reads left it
			}
			else {
				read.fd = fd;
				read.offset = filled;
			}
			read.onCompletionFailure = t -> finish(null, t);
			submit(read);
			callback.waitingFor(read);
		}

		@Override
		public void onComplete(IoRequest read, long result) {
			if (result < 0) {
				finish(null, new dev.reactoraio.AioIOException((int) -result, "read", spec.path, filled, read.length));
				return;
			}
			int n = (int) result;
			try {
				while (filled + n > bytes.length) {
					bytes = WholeFiles.grow(bytes); // the file grew since statx, or its size said nothing
				}
			}
			catch (OutOfMemoryError e) {
				finish(null, e);
				return;
			}
			Objects.requireNonNull(read.memory).get(0, bytes, filled, n);
			filled += n;
			if (n == 0 || n < asked && filled == size) {
				finish(filled == bytes.length ? bytes : Arrays.copyOf(bytes, filled), null);
			}
			else {
				readMore();
			}
		}

		/** Closes the descriptor, then tells the callback (once, even if it throws): closed before the Mono signals. */
		void finish(byte @Nullable [] result, @Nullable Throwable error) {
			if (slot >= 0) {
				closeDirect(slot, () -> callback.done(result, error));
			}
			else {
				submit(closeRequest(fd, (r, ignored) -> callback.done(result, error)));
			}
		}
	}

	private interface FdCallback {
		void done(int fd, @Nullable Throwable error);
	}

	private IoRequest openat(OpenSpec spec, int flags, FdCallback callback) {
		IoRequest open = new IoRequest(IoRequest.OPEN, null, (request, result) -> {
			if (result >= 0) {
				callback.done((int) result, null);
			}
			else {
				int errno = (int) -result;
				callback.done(-1, explainOpenFailure(spec, errno, flags));
			}
		});
		open.use(pathBuffer(spec.absolutePath));
		open.offset = flags;
		open.length = 0666;
		open.onCompletionFailure = t -> callback.done(-1, t);
		submit(open);
		return open;
	}

	/** A NUL-terminated path in a pooled native buffer, for the request that will use it. */
	private BufferPool.Pooled pathBuffer(String path) {
		byte[] bytes = path.getBytes(java.nio.charset.StandardCharsets.UTF_8);
		BufferPool.Pooled buffer = buffers.acquire(bytes.length + 1, 1);
		buffer.buffer.put(0, bytes).put(bytes.length, (byte) 0);
		return buffer;
	}

	private static IOException explainOpenFailure(OpenSpec spec, int errno, int flags) {
		if (errno == Errno.ELOOP && spec.noFollow) {
			// what FileChannel.open says
			return new IOException(Errno.message(errno) + " (NOFOLLOW_LINKS specified)");
		}
		if (errno == Errno.EINVAL && (flags & Native.table().oDirect) != 0) {
			return new FileSystemException(spec.path.toString(), null,
					Errno.message(errno) + " (the file system does not support O_DIRECT)");
		}
		return IoErrors.forPath(errno, spec.path);
	}

	private void inspect(OpenSpec spec, NativeFile file, OpenCallback callback) {
		inlineStatx(file, (statx, error) -> {
			if (error != null || statx == null) {
				abandon(file, callback, error);
				return;
			}
			// a directory opens for reading, as with FileChannel: force(true) on it makes a rename durable,
			// and reads fail with EISDIR
			file.noteSize(statx.isDirectory() ? 0 : statx.size);
			if (!statx.isPositional()) {
				file.noteSequential();
			}
			if (!file.direct) {
				opened(file, callback);
			}
			else if (statx.hasDioAlign()) {
				file.memoryAlignment = Math.max(1, statx.dioMemAlign);
				file.offsetAlignment = statx.dioOffsetAlign;
				file.alignmentSource = "statx";
				opened(file, callback);
			}
			else {
				logicalBlockSize(file, statx, callback);
			}
		});
	}

	/**
	 * statx of a descriptor just opened, right here on the loop thread. It cannot wait for a device:
	 * the inode is in memory while the descriptor is open, and AT_STATX_DONT_SYNC stops network file
	 * systems from asking their server. IORING_OP_STATX would instead always hand it to an io-wq worker,
	 * a thread hop each way for every file opened.
	 */
	private void inlineStatx(NativeFile file, java.util.function.BiConsumer<@Nullable Statx, @Nullable Throwable> callback) {
		Statx statx = statxNow(file.fd);
		if (statx == null) {
			callback.accept(null, IoErrors.forPath(statxErrno, file.path));
		}
		else {
			callback.accept(statx, null);
		}
	}

	/** Loop thread: the errno of the last {@link #statxNow} that failed. */
	private int statxErrno;

	/** statx of an open descriptor, here and now; null on failure ({@link #statxErrno} says why). */
	private @Nullable Statx statxNow(int fd) {
		BufferPool.Pooled buffer = buffers.acquire(Statx.SIZE, 8);
		int r = Native.statx(fd, emptyPath(), Native.AT_EMPTY_PATH | Native.AT_STATX_DONT_SYNC, Statx.MASK,
				buffer.address);
		statxErrno = -r;
		Statx statx = r < 0 ? null : new Statx(buffer.buffer);
		buffers.release(buffer);
		return statx;
	}

	/** Loop thread: statx of an open file; the callback gets the parsed struct or the error. */
	public final void statx(FileHandle file, java.util.function.BiConsumer<@Nullable Statx, @Nullable Throwable> callback) {
		IoRequest request = new IoRequest(IoRequest.STATX, file, (r, result) -> {
			if (result < 0) {
				callback.accept(null, IoErrors.of(r, result));
			}
			else {
				callback.accept(new Statx(Objects.requireNonNull(r.memory)), null);
			}
		});
		request.use(buffers.acquire(Statx.SIZE, 8));
		request.length = Statx.MASK;
		request.onCompletionFailure = t -> callback.accept(null, t);
		submit(request);
	}

	@Override
	public final void size(FileHandle file, SizeCallback callback) {
		statx(file, (statx, error) -> {
			if (statx == null) {
				callback.done(-1, error);
			}
			else {
				callback.done(statx.size, null);
			}
		});
	}

	private void logicalBlockSize(NativeFile file, Statx statx, OpenCallback callback) {
		long device = ((long) statx.devMajor << 32) | statx.devMinor;
		Integer known = LOGICAL_BLOCK_SIZE.get(device);
		if (known != null) {
			applyBlockSize(file, known);
			opened(file, callback);
			return;
		}
		int[] size = new int[1];
		runBlocking(() -> {
			size[0] = readLogicalBlockSize(statx.devMajor, statx.devMinor);
			LOGICAL_BLOCK_SIZE.put(device, size[0]);
		}, () -> {
			applyBlockSize(file, size[0]);
			opened(file, callback);
		});
	}

	private static void applyBlockSize(NativeFile file, int size) {
		file.memoryAlignment = Math.abs(size);
		file.offsetAlignment = Math.abs(size);
		file.alignmentSource = size > 0 ? "sysfs" : "default";
	}

	/** The logical block size of a device or of the disk holding a partition; -4096 (default) when unknown. */
	static int readLogicalBlockSize(int major, int minor) {
		Path dev = Path.of("/sys/dev/block/" + major + ":" + minor);
		for (Path candidate : new Path[] {dev.resolve("queue/logical_block_size"),
				dev.resolve("../queue/logical_block_size")}) {
			String value = SysFiles.read(candidate);
			try {
				int size = value == null ? -1 : Integer.parseInt(value);
				if (size > 0 && Integer.bitCount(size) == 1) {
					return size;
				}
			}
			catch (NumberFormatException e) {
				// not a block device with a queue (e.g. an overlay or virtual file system): try the next
			}
		}
		return -BufferPool.PAGE;
	}

	private void opened(NativeFile file, OpenCallback callback) {
		if (isShuttingDown()) {
			abandon(file, callback, new IllegalStateException(name + " is disposed"));
			return;
		}
		register(file);
		callback.opened(file, null);
	}

	private void abandon(NativeFile file, OpenCallback callback, @Nullable Throwable error) {
		closeQuietly(file.fd);
		if (file.bufferedFd != file.fd) {
			closeQuietly(file.bufferedFd);
		}
		callback.opened(null, error != null ? error : new IOException("statx failed"));
	}

	private void closeQuietly(int fd) {
		submit(closeRequest(fd, (r, result) -> { }));
	}

	@Override
	protected final void closeDescriptors(FileHandle handle) {
		NativeFile file = (NativeFile) handle;
		AtomicReference<@Nullable Throwable> firstError = new AtomicReference<>();
		IoCompletion onClose = (r, result) -> {
			if (result < 0 && firstError.get() == null) {
				firstError.set(IoErrors.of(r, result));
			}
		};
		if (file.bufferedFd != file.fd) {
			submit(closeRequest(file.bufferedFd, onClose));
		}
		submit(closeRequest(file.fd, (r, result) -> {
			onClose.onComplete(r, result);
			file.closed(firstError.get());
		}));
	}

	private static IoRequest closeRequest(int fd, IoCompletion completion) {
		IoRequest close = new IoRequest(IoRequest.CLOSE, null, completion);
		close.fd = fd;
		return close;
	}

	@Override
	public int descriptorOf(FileHandle file) {
		return ((NativeFile) file).fd;
	}

	/** The descriptor a request addresses: its file's (direct or page-cache) descriptor, or {@code offset} for CLOSE. */
	protected static int fdOf(IoRequest request) {
		NativeFile file = (NativeFile) request.file;
		if (file != null) {
			return file.fdFor(request);
		}
		return request.fd >= 0 ? request.fd : Native.AT_FDCWD;
	}

	/** Address of a request's memory at its position (the engine's view of {@link IoRequest#memory}). */
	protected static long addressOf(IoRequest request) {
		if (request.address != 0) {
			return request.address;
		}
		ByteBuffer memory = request.memory;
		return memory == null ? 0 : Native.address(memory) + (request.memoryAt >= 0 ? request.memoryAt : memory.position());
	}

	/**
	 * Runs a request as a blocking system call (on the blocking pool). Returns what the kernel would put
	 * in a CQE: the result, or {@code -errno}.
	 */
	protected static long performBlocking(IoRequest request) {
		int fd = fdOf(request);
		switch (request.op) {
			case IoRequest.READ:
				// -1: the descriptor's own position (a pipe's next bytes), as io_uring reads it
				return request.offset < 0 ? Native.read(fd, addressOf(request), request.length)
						: Native.pread(fd, addressOf(request), request.length, request.offset);
			case IoRequest.WRITE:
				return Native.pwrite(fd, addressOf(request), request.length, request.offset);
			case IoRequest.READV:
				return Native.preadv2(fd, addressOf(request), request.length, request.offset, 0);
			case IoRequest.WRITEV:
				return Native.pwritev2(fd, addressOf(request), request.length, request.offset, 0);
			case IoRequest.FSYNC:
				return request.flags == IoRequest.FSYNC_DATASYNC ? Native.fdatasync(fd) : Native.fsync(fd);
			case IoRequest.OPEN:
				return Native.openat(Native.AT_FDCWD, addressOf(request), (int) request.offset, request.length);
			case IoRequest.CLOSE:
				return Native.close(fd);
			case IoRequest.STATX:
				return Native.statx(fd, emptyPath(), Native.AT_EMPTY_PATH, request.length, addressOf(request));
			case IoRequest.FTRUNCATE:
				return Native.ftruncate(fd, request.offset);
			case IoRequest.FALLOCATE:
				return Native.fallocate(fd, request.flags, request.offset, request.offset2);
			case IoRequest.UNLINK:
				return Native.unlinkat(Native.AT_FDCWD, addressOf(request), 0);
			default:
				return -Errno.EINVAL;
		}
	}

	private static final ByteBuffer EMPTY_PATH = ByteBuffer.allocateDirect(8);

	/** Address of a NUL byte that lives as long as the class: the empty path of statx(fd, "", AT_EMPTY_PATH). */
	protected static long emptyPath() {
		return Native.address(EMPTY_PATH);
	}
}
