package dev.reactoraio.internal.aio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.reactoraio.AioIOException;
import dev.reactoraio.internal.core.SysFiles;
import dev.reactoraio.internal.jnr.Errno;
import dev.reactoraio.internal.jnr.JvmAccess;
import dev.reactoraio.internal.jnr.Native;
import org.jspecify.annotations.Nullable;

/**
 * What kernel AIO offers this process, learned once: whether an AIO context can be created (seccomp,
 * {@code fs.aio-max-nr}, CONFIG_AIO), and whether {@code IOCB_CMD_FDSYNC} works (Linux 4.18), tried on
 * a scratch file.
 */
public final class AioProbe {

	private static volatile @Nullable AioProbe instance;

	private final @Nullable Throwable unavailabilityCause;
	private final boolean fdsync;

	private AioProbe() {
		Throwable cause = Native.loadFailure();
		boolean sync = false;
		if (cause == null) {
			long ctxp = Native.allocate(8);
			long ctx = 0;
			try {
				int r = Native.ioSetup(1, ctxp);
				if (r < 0) {
					cause = explainSetupFailure(-r);
				}
				else {
					ctx = Native.getLong(ctxp);
					sync = tryFdsync(ctx);
				}
			}
			catch (Throwable t) {
				cause = JvmAccess.explain(t);
			}
			finally {
				if (ctx != 0) {
					Native.ioDestroy(ctx);
				}
				Native.free(ctxp);
			}
		}
		this.unavailabilityCause = cause;
		this.fdsync = sync;
	}

	public static AioProbe get() {
		AioProbe probe = instance;
		if (probe == null) {
			synchronized (AioProbe.class) {
				probe = instance;
				if (probe == null) {
					probe = new AioProbe();
					instance = probe;
				}
			}
		}
		return probe;
	}

	/** io_setup failed: the cause in words a user can act on. */
	static AioIOException explainSetupFailure(int errno) {
		switch (errno) {
			case Errno.ENOSYS:
				return new AioIOException(errno, "io_setup", "kernel AIO is absent: the kernel was built without "
						+ "CONFIG_AIO, or a seccomp profile answers ENOSYS for io_setup");
			case Errno.EPERM:
				return new AioIOException(errno, "io_setup", "io_setup is denied by a seccomp profile");
			case Errno.EAGAIN:
				return new AioIOException(errno, "io_setup", "fs.aio-max-nr is exhausted (fs.aio-nr "
						+ sysctl("fs/aio-nr") + " of fs.aio-max-nr " + sysctl("fs/aio-max-nr")
						+ "): raise fs.aio-max-nr");
			default:
				return new AioIOException(errno, "io_setup", "");
		}
	}

	static String sysctl(String name) {
		String value = SysFiles.sysctl(name);
		return value == null ? "?" : value;
	}



	/** Submits an IOCB_CMD_FDSYNC on a scratch file: EINVAL means the kernel predates AIO fsync. */
	private static boolean tryFdsync(long ctx) throws IOException {
		Path scratch = Files.createTempFile("reactor-aio-probe", ".tmp");
		int fd = -1;
		long iocb = Native.allocate(Iocb.SIZE + 8 + Iocb.EVENT_SIZE + 16);
		try {
			java.nio.ByteBuffer name = Native.cStringBuffer(scratch.toString());
			fd = Native.openat(Native.AT_FDCWD, Native.address(name), Native.O_RDWR | Native.O_CLOEXEC, 0);
			if (fd < 0) {
				return false;
			}
			Iocb.fill(Native.view(iocb, Iocb.SIZE), 0, 1, Iocb.IOCB_CMD_FDSYNC, fd, 0, 0, 0, 0, 0, 0);
			Native.putLong(iocb + Iocb.SIZE, iocb);
			if (Native.ioSubmit(ctx, 1, iocb + Iocb.SIZE) != 1) {
				return false;
			}
			long events = iocb + Iocb.SIZE + 8;
			long timeout = events + Iocb.EVENT_SIZE;
			Native.putLong(timeout, 5);
			Native.putLong(timeout + 8, 0);
			int n = Native.ioGetevents(ctx, 1, 1, events, timeout);
			return n == 1 && Native.getLong(events + 16) == 0;
		}
		finally {
			if (fd >= 0) {
				Native.close(fd);
			}
			Native.free(iocb);
			Files.deleteIfExists(scratch);
		}
	}

	public boolean isAvailable() {
		return unavailabilityCause == null;
	}

	public @Nullable Throwable unavailabilityCause() {
		return unavailabilityCause;
	}

	/** Whether IOCB_CMD_FSYNC/FDSYNC are accepted (otherwise force runs on the blocking pool). */
	public boolean supportsFsync() {
		return fdsync;
	}
}
