package dev.reactoraio.internal.jnr;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import com.kenai.jffi.MemoryIO;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import org.jspecify.annotations.Nullable;

/**
 * The only door to native code. Each wrapper returns what the kernel would: a non-negative result,
 * or {@code -errno} on failure, so that results of synchronous calls and of io_uring completions are
 * handled by the same code. Nothing here throws for an errno.
 */
public final class Native {

	public static final int AT_FDCWD = -100;
	public static final int AT_EMPTY_PATH = 0x1000;
	public static final int AT_STATX_DONT_SYNC = 0x4000;
	public static final int AT_SYMLINK_NOFOLLOW = 0x100;
	public static final int AT_REMOVEDIR = 0x200;

	public static final int O_RDONLY = 0;
	public static final int O_WRONLY = 1;
	public static final int O_RDWR = 2;
	public static final int O_CREAT = 0x40;
	public static final int O_EXCL = 0x80;
	public static final int O_TRUNC = 0x200;
	public static final int O_APPEND = 0x400;
	public static final int O_DSYNC = 0x1000;
	public static final int O_SYNC = 0x101000;
	public static final int O_CLOEXEC = 0x80000;

	public static final int EFD_CLOEXEC = 0x80000;
	public static final int EFD_NONBLOCK = 0x800;

	public static final int PROT_READ = 1;
	public static final int PROT_WRITE = 2;
	public static final int MAP_SHARED = 1;
	public static final int MAP_POPULATE = 0x8000;

	public static final int RLIMIT_MEMLOCK = 8;

	private static final @Nullable LibC LIBC;
	private static final @Nullable Runtime RUNTIME;
	private static final @Nullable MemoryIO MEMORY;
	private static final @Nullable Throwable LOAD_FAILURE;

	static {
		LibC libc = null;
		Runtime runtime = null;
		MemoryIO memory = null;
		Throwable failure = null;
		try {
			if (SyscallTable.CURRENT == null) {
				throw new UnsupportedOperationException("unsupported architecture " + System.getProperty("os.arch")
						+ " (reactor-aio's native backends support x86_64 and aarch64)");
			}
			if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
				throw new UnsupportedOperationException("not Linux: " + System.getProperty("os.name"));
			}
			// JNR-FFI registers its native stubs through jffi's shared accessors: JNI rather than
			// sun.misc.Unsafe where the JVM restricts Unsafe (JvmAccess).
			JvmAccess.preferJniMemoryAccess();
			// Our own accesses: jffi's JNI accessors, never its Unsafe ones, whatever jffi.unsafe.disabled says
			// (another library may have set jffi up first). They cost a JNI call each, so they serve setup and
			// probes only: the per-operation structures (SQEs, CQEs, iocbs, io_events, the iocb pointer array)
			// are read and written through ByteBuffer views (see view).
			memory = MemoryIO.getCheckedInstance();
			libc = LibraryLoader.create(LibC.class).load("c");
			runtime = Runtime.getRuntime(libc);
		}
		catch (Throwable t) {
			failure = JvmAccess.explain(t);
			libc = null;
			runtime = null;
			memory = null;
		}
		LIBC = libc;
		RUNTIME = runtime;
		MEMORY = memory;
		LOAD_FAILURE = failure;
	}

	private Native() {
	}

	/**
	 * {@code null} when libc was bound; otherwise why not (non-Linux OS, unknown architecture, no JNR stub,
	 * native access denied by the JVM: the cause then names the flag to pass).
	 */
	public static @Nullable Throwable loadFailure() {
		return LOAD_FAILURE;
	}

	public static SyscallTable table() {
		SyscallTable table = SyscallTable.CURRENT;
		if (table == null) {
			throw new IllegalStateException("no system call table for " + System.getProperty("os.arch"));
		}
		return table;
	}

	private static LibC libc() {
		LibC libc = LIBC;
		if (libc == null) {
			throw new IllegalStateException("libc is not available", LOAD_FAILURE);
		}
		return libc;
	}

	private static MemoryIO memory() {
		MemoryIO memory = MEMORY;
		if (memory == null) {
			throw new IllegalStateException("native memory access is not available", LOAD_FAILURE);
		}
		return memory;
	}

	/** The errno the calling thread's last native call saved. */
	public static int lastErrno() {
		Runtime runtime = RUNTIME;
		return runtime == null ? Errno.ENOSYS : runtime.getLastError();
	}

	private static long result(long r) {
		return r < 0 ? -lastErrno() : r;
	}

	private static int result(int r) {
		return r < 0 ? -lastErrno() : r;
	}

	public static long syscall(int number, long a1, long a2, long a3, long a4, long a5, long a6) {
		return result(libc().syscall(number, a1, a2, a3, a4, a5, a6));
	}

	/** A syscall of at most five arguments, on JNR's fast path (see {@link LibC#syscall(long, long, long, long, long, long)}). */
	private static long syscall5(int number, long a1, long a2, long a3, long a4, long a5) {
		return result(libc().syscall(number, a1, a2, a3, a4, a5));
	}

	// ---- io_uring ----

	public static int ioUringSetup(int entries, long params) {
		return (int) syscall(table().ioUringSetup, entries, params, 0, 0, 0, 0);
	}

	public static int ioUringEnter(int ringFd, int toSubmit, int minComplete, int flags) {
		return (int) syscall(table().ioUringEnter, ringFd, toSubmit, minComplete, flags, 0, 0);
	}

	public static int ioUringRegister(int ringFd, int opcode, long arg, int nrArgs) {
		return (int) syscall(table().ioUringRegister, ringFd, opcode, arg, nrArgs, 0, 0);
	}

	// ---- kernel AIO ----

	public static int ioSetup(int nrEvents, long ctxIdp) {
		return (int) syscall(table().ioSetup, nrEvents, ctxIdp, 0, 0, 0, 0);
	}

	public static int ioDestroy(long ctx) {
		return (int) syscall(table().ioDestroy, ctx, 0, 0, 0, 0, 0);
	}

	public static int ioSubmit(long ctx, long nr, long iocbpp) {
		return (int) syscall5(table().ioSubmit, ctx, nr, iocbpp, 0, 0);
	}

	public static int ioCancel(long ctx, long iocb, long result) {
		return (int) syscall(table().ioCancel, ctx, iocb, result, 0, 0, 0);
	}

	public static int ioGetevents(long ctx, long minNr, long nr, long events, long timeout) {
		return (int) syscall5(table().ioGetevents, ctx, minNr, nr, events, timeout);
	}

	// ---- files ----

	/** openat(2); {@code path} is the address of a NUL-terminated string. */
	public static int openat(int dirfd, long path, int flags, int mode) {
		return (int) syscall(table().openat, dirfd, path, flags | table().oLargefile, mode, 0, 0);
	}

	public static int statx(int dirfd, long path, int flags, int mask, long statxbuf) {
		return (int) syscall(table().statx, dirfd, path, flags, mask, statxbuf, 0);
	}

	public static int unlinkat(int dirfd, long path, int flags) {
		return (int) syscall(table().unlinkat, dirfd, path, flags, 0, 0, 0);
	}

	public static int close(int fd) {
		return result(libc().close(fd));
	}

	public static long pread(int fd, long buf, long count, long offset) {
		return result(libc().pread64(fd, buf, count, offset));
	}

	public static long pwrite(int fd, long buf, long count, long offset) {
		return result(libc().pwrite64(fd, buf, count, offset));
	}

	/** preadv2(2) of one buffer with {@code RWF_*} flags, e.g. {@code RWF_NOWAIT}. */
	public static long preadv2(int fd, long iovec, long offset, int rwFlags) {
		return preadv2(fd, iovec, 1, offset, rwFlags);
	}

	/** preadv2(2) of {@code count} {@code struct iovec}s. */
	public static long preadv2(int fd, long iovec, int count, long offset, int rwFlags) {
		return syscall(table().preadv2, fd, iovec, count, offset, offset >>> 32, rwFlags);
	}

	/** pwritev2(2) of {@code count} {@code struct iovec}s. */
	public static long pwritev2(int fd, long iovec, int count, long offset, int rwFlags) {
		return syscall(table().pwritev2, fd, iovec, count, offset, offset >>> 32, rwFlags);
	}

	public static int fsync(int fd) {
		return result(libc().fsync(fd));
	}

	public static int fdatasync(int fd) {
		return result(libc().fdatasync(fd));
	}

	public static int ftruncate(int fd, long length) {
		return result(libc().ftruncate64(fd, length));
	}

	public static int fallocate(int fd, int mode, long offset, long length) {
		return result(libc().fallocate64(fd, mode, offset, length));
	}

	public static long read(int fd, long buf, long count) {
		return result(libc().read(fd, buf, count));
	}

	public static long write(int fd, long buf, long count) {
		return result(libc().write(fd, buf, count));
	}

	public static int eventfd(int initval, int flags) {
		return result(libc().eventfd(initval, flags));
	}

	/** mmap(2): the address, or {@code -errno}. */
	public static long mmap(long length, int prot, int flags, int fd, long offset) {
		return syscall(table().mmap, 0, length, prot, flags, fd, offset);
	}

	public static int munmap(long addr, long length) {
		return (int) syscall(table().munmap, addr, length, 0, 0, 0, 0);
	}

	/** prlimit64(2) on this process: {@code {soft, hard}}, {@code -1} meaning unlimited. */
	public static long[] getrlimit(int resource) {
		long buf = allocate(16);
		try {
			long r = syscall(table().prlimit64, 0, resource, 0, buf, 0, 0);
			if (r < 0) {
				return new long[] {r, r};
			}
			return new long[] {getLong(buf), getLong(buf + 8)};
		}
		finally {
			free(buf);
		}
	}

	/** uname(2) {@code release}, e.g. {@code 6.1.0-47-cloud-amd64}. */
	public static String kernelRelease() {
		// struct utsname: six fields of 65 bytes; release is the third.
		long buf = allocate(65 * 6);
		try {
			if (libc().uname(buf) < 0) {
				return "unknown";
			}
			return cString(buf + 65 * 2, 65);
		}
		finally {
			free(buf);
		}
	}

	// ---- memory (setup and probes: each access below is a JNI call) ----

	/** Zeroed native memory outside the Java heap; give it back with {@link #free}. */
	public static long allocate(long size) {
		long address = memory().allocateMemory(size, true);
		if (address == 0) {
			throw new OutOfMemoryError("native allocation of " + size + " bytes failed");
		}
		return address;
	}

	public static void free(long address) {
		memory().freeMemory(address);
	}

	/**
	 * A direct ByteBuffer view of native memory the caller keeps alive (no cleaner is attached), in native
	 * byte order. Made once per structure (one JNI call): its absolute gets and puts are plain Java, the way
	 * every per-operation structure is accessed.
	 */
	public static ByteBuffer view(long address, int capacity) {
		return memory().newDirectByteBuffer(address, capacity).order(java.nio.ByteOrder.nativeOrder());
	}

	/** Address of the first byte of a direct buffer's storage (position ignored). */
	public static long address(Buffer directBuffer) {
		return memory().getDirectBufferAddress(directBuffer);
	}

	public static void putInt(long address, int value) {
		memory().putInt(address, value);
	}

	public static int getInt(long address) {
		return memory().getInt(address);
	}

	public static void putLong(long address, long value) {
		memory().putLong(address, value);
	}

	public static long getLong(long address) {
		return memory().getLong(address);
	}

	public static void copy(long from, long to, long size) {
		memory().copyMemory(from, to, size);
	}

	/** A NUL-terminated UTF-8 copy of {@code s} in a direct buffer that lives as long as the buffer. */
	public static ByteBuffer cStringBuffer(String s) {
		byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
		ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length + 1);
		buffer.put(bytes).put((byte) 0).flip();
		return buffer;
	}

	static String cString(long address, int max) {
		byte[] bytes = new byte[max];
		memory().getByteArray(address, bytes, 0, max);
		int n = 0;
		while (n < max && bytes[n] != 0) {
			n++;
		}
		return new String(bytes, 0, n, StandardCharsets.UTF_8);
	}
}
