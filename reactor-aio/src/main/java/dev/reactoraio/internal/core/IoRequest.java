package dev.reactoraio.internal.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.Objects;

import dev.reactoraio.internal.jnr.Errno;
import org.jspecify.annotations.Nullable;

/**
 * One operation handed to an {@link IoLoop}. The fields describe it in engine-neutral terms; each
 * engine turns them into an SQE, an iocb or a FileChannel call.
 * <p>
 * <b>Ownership.</b> {@link #memory} is referenced from here until the completion is delivered, and
 * the loop keeps every request it issued reachable until then: that keeps a buffer alive (and out of the
 * hands of the GC) while the kernel may still write into it. Pooled memory the request {@linkplain #use
 * uses} goes back to the pool only after the completion ran, whichever way the request ended (completed,
 * cancelled, refused because its file was closing), so no completion can return it early.
 */
public final class IoRequest {

	public static final byte READ = 1;
	public static final byte WRITE = 2;
	/** fsync, or fdatasync when {@link #flags} is {@link #FSYNC_DATASYNC}. */
	public static final byte FSYNC = 3;
	/** openat(AT_FDCWD, memory, flags, mode): {@link #offset} holds the open flags, {@link #length} the mode. */
	public static final byte OPEN = 4;
	public static final byte CLOSE = 5;
	/** statx of the open file into {@link #memory} (256 bytes), mask in {@link #length}. */
	public static final byte STATX = 6;
	/** ftruncate to {@link #offset}. */
	public static final byte FTRUNCATE = 7;
	/** fallocate(mode = {@link #flags}, offset, length = {@link #offset2}). */
	public static final byte FALLOCATE = 8;
	/** unlinkat(AT_FDCWD, memory, 0). */
	public static final byte UNLINK = 9;
	/**
	 * The head of a file in one linked chain (io_uring with direct descriptors): openat(AT_FDCWD, path at
	 * {@link #memory}'s start, flags in {@link #offset}) into the direct descriptor {@link #directSlot}, a
	 * read of {@link #length} bytes into {@link #DATA_OFFSET} of {@link #memory}, and a read of
	 * {@link #PROBE_BYTES} more into {@link #PROBE_OFFSET}, both at the descriptor's own file position, so
	 * that the second starts where the first stopped: a second read of nothing proves the end of the file,
	 * whatever the file is (a short read alone proves nothing for /proc files and pipes). The second read
	 * does not wait (RWF_NOWAIT): -EAGAIN or -EOPNOTSUPP from it proves nothing either way. Three completions,
	 * results in {@link #results}. The descriptor stays open: whoever takes the completion reads on or
	 * closes it with requests naming {@link #directSlot}.
	 */
	public static final byte OPEN_READ = 10;
	/** Blocking work on the pool ({@link #blocking}), holding a slot like any request. */
	public static final byte BLOCKING = 11;
	/**
	 * Scattering read / gathering write at {@link #offset}: {@link #memory} holds {@link #length}
	 * {@code struct iovec}s (native engines), {@link #vector} the same buffers (the FileChannel engine).
	 */
	public static final byte READV = 12;
	public static final byte WRITEV = 13;

	/**
	 * The direct descriptor {@link #directSlot} as a descriptor of the process (IORING_OP_FIXED_FD_INSTALL,
	 * close-on-exec): the result is the new descriptor. The slot stays open.
	 */
	public static final byte INSTALL = 14;

	/** The steps (and completions) of an {@link #OPEN_READ}. */
	public static final int OPEN_READ_STEPS = 3;

	/**
	 * Whether a result of an {@link #OPEN_READ}'s last read, which does not wait, proves nothing: a pipe
	 * between pieces says EAGAIN, a file that cannot read without waiting (a pipe, a /proc file)
	 * EOPNOTSUPP. Neither is an error: the file is read on.
	 */
	public static boolean probeProvesNothing(long result) {
		return result == -Errno.EAGAIN || result == -Errno.EOPNOTSUPP;
	}

	/** Where an {@link #OPEN_READ} reads to in its buffer: the path comes first. */
	public static final int DATA_OFFSET = 4096;

	/** How many bytes the second read of an {@link #OPEN_READ} asks for, and where they go. */
	public static final int PROBE_BYTES = 64;
	public static final int PROBE_OFFSET = DATA_OFFSET - PROBE_BYTES;

	/** An {@link #OPEN_READ} the engine had no free direct descriptor for: nothing was issued. */
	public static final int NO_DIRECT_SLOT = 2;

	public static final int FSYNC_DATASYNC = 1;

	public byte op;
	/** The file, or {@code null} for OPEN and UNLINK. */
	public @Nullable FileHandle file;
	/**
	 * The descriptor of a request that has no {@link #file}: the one a CLOSE closes, or a whole-file read's
	 * own; -1 for those that name a path (OPEN, UNLINK).
	 */
	public int fd = -1;
	/** The buffers of a READV/WRITEV, position to limit each, in file order. */
	public java.nio.ByteBuffer @Nullable [] vector;
	/** Use the file's page-cache descriptor even when it was opened with O_DIRECT. */
	public boolean buffered;
	/** The bytes to read into or write from: position to limit. A path for OPEN/UNLINK. */
	public @Nullable ByteBuffer memory;
	/** Native address of {@code memory}'s position, or 0 to let the engine compute it. */
	public long address;
	/**
	 * Where in {@link #memory} the bytes begin, or -1 for its position: an index taken when the request was
	 * made, so that no view of a buffer needs to be made to name a part of it.
	 */
	public int memoryAt = -1;
	public int length;
	public long offset;
	public long offset2;
	public int flags;
	/** The pooled memory {@link #memory} lives in; the loop drops this reference after the completion. */
	BufferPool.@Nullable Pooled pooled;
	/**
	 * A bounced read: the buffer the bytes asked for go to ({@link #copyLength} of them at index
	 * {@link #copyAt}, copied only when the issuer takes the result, see {@code Transfers.deliver}), and how
	 * many bytes of {@link #memory} precede them.
	 */
	public @Nullable ByteBuffer copyTo;
	public int copyAt;
	public int copyLength;
	public int copySkip;
	/** A hint for io_uring: issue it from an io-wq worker at once (a large copy out of the page cache). */
	public boolean async;
	public IoCompletion completion;
	/**
	 * Told when {@link #completion} itself throws (an error of the code handling the result, not of the
	 * I/O), so that the operation waiting for it fails instead of waiting forever.
	 */
	public java.util.function.@Nullable Consumer<Throwable> onCompletionFailure;
	/** Set by engines that fail with a Java exception rather than an errno; the result is then -EIO. */
	public @Nullable Throwable failure;
	/** The work of a {@link #BLOCKING} request: returns a result or -errno; may throw (then -EIO and {@link #failure}). */
	public java.util.function.@Nullable ToLongFunction<IoRequest> blocking;
	/** How many completions the request produces (a linked chain: one per step); it holds as many units of capacity. */
	public final int completions;
	/** The result of each step of a chain, in order; null for a single request. */
	public final long @Nullable [] results;

	// ---- owned by the loop ----
	/** True once the issuer asked for cancellation; the completion still arrives. */
	boolean cancelled;

	private static final VarHandle CANCELLED;

	static {
		try {
			CANCELLED = MethodHandles.lookup().findVarHandle(IoRequest.class, "cancelled", boolean.class);
		}
		catch (ReflectiveOperationException e) {
			throw new ExceptionInInitializerError(e);
		}
	}

	/**
	 * {@link #cancelled}, read from the blocking pool's thread, which runs an offloaded request: a stale
	 * false only means the work runs, as it would have without the cancel.
	 */
	boolean cancelledAsSeenOffLoop() {
		return (boolean) CANCELLED.getOpaque(this);
	}
	/** System.nanoTime() when issued, for the latency statistics. */
	long issuedAt;
	/** The loop's slot while in flight, or -1. */
	int slot = -1;
	/** Sequence number of a write, for write barriers. */
	long writeSeq;
	boolean done;
	/** Which engine path carried it, for the per-operation fallback statistics. */
	boolean offloaded;
	/** Completions of a chain still to arrive. */
	int pending;
	/**
	 * The direct descriptor (io_uring's registered file table) the request works on, or -1: the slot an
	 * {@link #OPEN_READ} opened (set by the engine), and the one a READ or CLOSE without a {@link #file}
	 * reads or closes. A CLOSE of a direct descriptor gives its slot back to the engine.
	 */
	public int directSlot = -1;

	/**
	 * A read the loop takes back after its completion ran ({@link IoLoop#readRequest}), to hand out
	 * again: nothing may hold it past its completion (an issuer clears its reference there).
	 */
	boolean recyclable;

	public IoRequest(byte op, @Nullable FileHandle file, IoCompletion completion) {
		this(op, file, completion, 1);
	}

	/** Loop thread: a recycled single-step request made new, every field as a constructor leaves it. */
	void reuse(byte newOp, @Nullable FileHandle newFile, IoCompletion newCompletion) {
		op = newOp;
		file = newFile;
		completion = newCompletion;
		fd = -1;
		vector = null;
		buffered = false;
		memory = null;
		address = 0;
		memoryAt = -1;
		length = 0;
		offset = 0;
		offset2 = 0;
		flags = 0;
		pooled = null;
		copyTo = null;
		copyAt = 0;
		copyLength = 0;
		copySkip = 0;
		async = false;
		onCompletionFailure = null;
		failure = null;
		blocking = null;
		cancelled = false;
		issuedAt = 0;
		slot = -1;
		writeSeq = 0;
		done = false;
		offloaded = false;
		pending = 0;
		directSlot = -1;
	}

	/**
	 * What a finished chain counts as in the loop's statistics: its first failed step, else 0. The last
	 * step, an {@link #OPEN_READ}'s read that does not wait, is left out: its EAGAIN only means the file is
	 * read on (the issuer sees every step's result either way).
	 */
	long chainOutcome() {
		long[] steps = Objects.requireNonNull(results);
		for (int i = 0; i < steps.length - 1; i++) {
			if (steps[i] < 0) {
				return steps[i];
			}
		}
		return 0;
	}

	/** A request producing {@code completions} completions (a linked chain of that many steps). */
	public IoRequest(byte op, @Nullable FileHandle file, IoCompletion completion, int completions) {
		this.op = op;
		this.file = file;
		this.completion = completion;
		this.completions = completions;
		this.results = completions > 1 ? new long[completions] : null;
	}

	public static IoRequest transfer(byte op, FileHandle file, ByteBuffer memory, long position, IoCompletion completion) {
		IoRequest r = new IoRequest(op, file, completion);
		r.memory = memory;
		r.length = memory.remaining();
		r.offset = position;
		return r;
	}

	/** Reads or writes {@code buffer}'s memory, taking over the caller's reference to it. */
	public IoRequest use(BufferPool.Pooled buffer) {
		pooled = buffer;
		memory = buffer.buffer;
		address = buffer.address;
		return this;
	}

	/**
	 * Holds a reference to {@code buffer}, the pooled buffer {@link #memory} is a slice of (a staging buffer
	 * several writes share); the loop drops it after the completion, as for {@link #use}.
	 */
	public IoRequest keep(BufferPool.Pooled buffer) {
		if (pooled != null) {
			throw new IllegalStateException("the request holds pooled memory already");
		}
		buffer.retain();
		pooled = buffer;
		return this;
	}

	public boolean isCancelled() {
		return cancelled;
	}

	/** The loop slot while in flight (engines index their per-slot native structures with it), or -1. */
	public int slotIndex() {
		return slot;
	}

	/** True when the engine handed it to the blocking pool (the kernel queue cannot cancel it). */
	public boolean isOffloaded() {
		return offloaded;
	}

	public static String opName(byte op) {
		switch (op) {
			case READ: return "read";
			case WRITE: return "write";
			case FSYNC: return "fsync";
			case OPEN: return "open";
			case CLOSE: return "close";
			case STATX: return "statx";
			case FTRUNCATE: return "ftruncate";
			case FALLOCATE: return "fallocate";
			case UNLINK: return "unlink";
			case OPEN_READ: return "open-read";
			case BLOCKING: return "blocking";
			case READV: return "readv";
			case WRITEV: return "writev";
			case INSTALL: return "install";
			default: return "op" + op;
		}
	}

	@Override
	public String toString() {
		return opName(op) + (file != null ? " " + file.path : "") + " @" + offset + " len=" + length;
	}
}
