package dev.reactoraio.internal.jnr;

/**
 * Linux errno values (identical on x86_64 and aarch64) with their symbolic names and the
 * {@code strerror} text, so that error messages read the same whatever libc is underneath.
 */
public final class Errno {

	public static final int EPERM = 1;
	public static final int ENOENT = 2;
	public static final int EINTR = 4;
	public static final int EIO = 5;
	public static final int EBADF = 9;
	public static final int EAGAIN = 11;
	public static final int ENOMEM = 12;
	public static final int EACCES = 13;
	public static final int EFAULT = 14;
	public static final int EBUSY = 16;
	public static final int EEXIST = 17;
	public static final int ENODEV = 19;
	public static final int ENOTDIR = 20;
	public static final int EISDIR = 21;
	public static final int EINVAL = 22;
	public static final int ENFILE = 23;
	public static final int EMFILE = 24;
	public static final int EFBIG = 27;
	public static final int ENOSPC = 28;
	public static final int ESPIPE = 29;
	public static final int EROFS = 30;
	public static final int ENAMETOOLONG = 36;
	public static final int ENOSYS = 38;
	public static final int ELOOP = 40;
	public static final int EBADR = 53;
	public static final int EOVERFLOW = 75;
	public static final int EOPNOTSUPP = 95;
	public static final int ETIMEDOUT = 110;
	public static final int EALREADY = 114;
	public static final int EDQUOT = 122;
	public static final int ECANCELED = 125;

	private static final String[][] TABLE = new String[134][];

	static {
		define(EPERM, "EPERM", "Operation not permitted");
		define(ENOENT, "ENOENT", "No such file or directory");
		define(3, "ESRCH", "No such process");
		define(EINTR, "EINTR", "Interrupted system call");
		define(EIO, "EIO", "Input/output error");
		define(6, "ENXIO", "No such device or address");
		define(7, "E2BIG", "Argument list too long");
		define(EBADF, "EBADF", "Bad file descriptor");
		define(EAGAIN, "EAGAIN", "Resource temporarily unavailable");
		define(ENOMEM, "ENOMEM", "Cannot allocate memory");
		define(EACCES, "EACCES", "Permission denied");
		define(EFAULT, "EFAULT", "Bad address");
		define(EBUSY, "EBUSY", "Device or resource busy");
		define(EEXIST, "EEXIST", "File exists");
		define(18, "EXDEV", "Invalid cross-device link");
		define(ENODEV, "ENODEV", "No such device");
		define(ENOTDIR, "ENOTDIR", "Not a directory");
		define(EISDIR, "EISDIR", "Is a directory");
		define(EINVAL, "EINVAL", "Invalid argument");
		define(ENFILE, "ENFILE", "Too many open files in system");
		define(EMFILE, "EMFILE", "Too many open files");
		define(26, "ETXTBSY", "Text file busy");
		define(EFBIG, "EFBIG", "File too large");
		define(ENOSPC, "ENOSPC", "No space left on device");
		define(ESPIPE, "ESPIPE", "Illegal seek");
		define(EROFS, "EROFS", "Read-only file system");
		define(ENAMETOOLONG, "ENAMETOOLONG", "File name too long");
		define(ENOSYS, "ENOSYS", "Function not implemented");
		define(ELOOP, "ELOOP", "Too many levels of symbolic links");
		define(EBADR, "EBADR", "Invalid request descriptor");
		define(61, "ENODATA", "No data available");
		define(62, "ETIME", "Timer expired");
		define(EOVERFLOW, "EOVERFLOW", "Value too large for defined data type");
		define(EOPNOTSUPP, "EOPNOTSUPP", "Operation not supported");
		define(ETIMEDOUT, "ETIMEDOUT", "Connection timed out");
		define(EALREADY, "EALREADY", "Operation already in progress");
		define(EDQUOT, "EDQUOT", "Disk quota exceeded");
		define(ECANCELED, "ECANCELED", "Operation canceled");
	}

	private Errno() {
	}

	private static void define(int errno, String name, String message) {
		TABLE[errno] = new String[] {name, message};
	}

	/** The symbolic name, e.g. {@code ENOSPC}; {@code errno 200} for values this table lacks. */
	public static String name(int errno) {
		String[] row = errno > 0 && errno < TABLE.length ? TABLE[errno] : null;
		return row != null ? row[0] : "errno " + errno;
	}

	/** The {@code strerror} text, e.g. {@code No space left on device}. */
	public static String message(int errno) {
		String[] row = errno > 0 && errno < TABLE.length ? TABLE[errno] : null;
		return row != null ? row[1] : "Unknown error " + errno;
	}

	/** The errno whose {@code strerror} text is {@code message}, or 0 when none is known. */
	public static int fromMessage(String message) {
		for (int errno = 1; errno < TABLE.length; errno++) {
			if (TABLE[errno] != null && TABLE[errno][1].equals(message)) {
				return errno;
			}
		}
		return 0;
	}

	/** {@code "ENOSPC (No space left on device)"}. */
	public static String describe(int errno) {
		return name(errno) + " (" + message(errno) + ")";
	}
}
