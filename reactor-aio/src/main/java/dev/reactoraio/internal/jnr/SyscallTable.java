package dev.reactoraio.internal.jnr;

import java.util.Locale;

/**
 * System call numbers and open(2) flag values that differ between the architectures reactor-aio
 * supports. The io_uring calls (425, 426, 427) share one number everywhere; the older AIO calls and
 * several {@code O_*} flags do not.
 */
public final class SyscallTable {

	/** The table of the running JVM's architecture, or {@code null} when it is not supported. */
	public static final SyscallTable CURRENT = forArch(System.getProperty("os.arch", ""));

	public final String arch;
	public final int ioSetup;
	public final int ioDestroy;
	public final int ioSubmit;
	public final int ioCancel;
	public final int ioGetevents;
	public final int ioUringSetup = 425;
	public final int ioUringEnter = 426;
	public final int ioUringRegister = 427;
	public final int openat;
	public final int statx;
	public final int prlimit64;
	public final int preadv2;
	public final int pwritev2;
	public final int unlinkat;
	public final int mmap;
	public final int munmap;

	/** {@code O_DIRECT}. */
	public final int oDirect;
	/** {@code O_NOFOLLOW}. */
	public final int oNofollow;
	/** {@code O_DIRECTORY}. */
	public final int oDirectory;
	/** {@code O_LARGEFILE} as the kernel defines it (glibc hides it on 64-bit targets). */
	public final int oLargefile;

	private SyscallTable(String arch, int[] calls, int[] flags) {
		this.arch = arch;
		this.ioSetup = calls[0];
		this.ioDestroy = calls[1];
		this.ioSubmit = calls[2];
		this.ioCancel = calls[3];
		this.ioGetevents = calls[4];
		this.openat = calls[5];
		this.statx = calls[6];
		this.prlimit64 = calls[7];
		this.preadv2 = calls[8];
		this.pwritev2 = calls[9];
		this.unlinkat = calls[10];
		this.mmap = calls[11];
		this.munmap = calls[12];
		this.oDirect = flags[0];
		this.oNofollow = flags[1];
		this.oDirectory = flags[2];
		this.oLargefile = flags[3];
	}

	static SyscallTable forArch(String osArch) {
		switch (osArch.toLowerCase(Locale.ROOT)) {
			case "amd64":
			case "x86_64":
				// arch/x86/entry/syscalls/syscall_64.tbl; arch/x86/include/uapi/asm (generic fcntl.h values)
				return new SyscallTable("x86_64",
						new int[] {206, 207, 209, 210, 208, 257, 332, 302, 327, 328, 263, 9, 11},
						new int[] {0x4000, 0x20000, 0x10000, 0x8000});
			case "aarch64":
			case "arm64":
				// include/uapi/asm-generic/unistd.h; arch/arm64/include/uapi/asm/fcntl.h
				return new SyscallTable("aarch64",
						new int[] {0, 1, 2, 3, 4, 56, 291, 261, 286, 287, 35, 222, 215},
						new int[] {0x10000, 0x8000, 0x4000, 0x20000});
			default:
				return null;
		}
	}
}
