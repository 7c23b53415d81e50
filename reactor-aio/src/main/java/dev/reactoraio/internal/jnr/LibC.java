package dev.reactoraio.internal.jnr;

/**
 * The glibc entry points reactor-aio binds through JNR-FFI. Pointers are passed as raw addresses
 * ({@code long}); every function saves {@code errno}, read back through {@link Native#lastErrno()}.
 * Calls whose number differs between architectures go through {@link #syscall} with the number taken
 * from {@link SyscallTable}.
 */
public interface LibC {

	long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

	/**
	 * {@code syscall} for calls of at most five arguments that the kernel AIO loop makes every turn: JNR-FFI
	 * passes up to six numeric parameters on its fast path, while seven take a heap buffer it allocates for
	 * every call. The kernel's sixth argument then holds whatever the C call leaves there, so this is only
	 * for calls that don't read it ({@code io_submit}, {@code io_getevents}). Not for {@code io_uring_enter}:
	 * the kernel checks its sixth argument, the size of an extended argument, and fails with EINVAL.
	 */
	long syscall(long number, long a1, long a2, long a3, long a4, long a5);

	int eventfd(int initval, int flags);

	int close(int fd);

	long read(int fd, long buf, long count);

	long write(int fd, long buf, long count);

	long pread64(int fd, long buf, long count, long offset);

	long pwrite64(int fd, long buf, long count, long offset);

	int fsync(int fd);

	int fdatasync(int fd);

	int ftruncate64(int fd, long length);

	int fallocate64(int fd, int mode, long offset, long length);

	int uname(long buf);
}
