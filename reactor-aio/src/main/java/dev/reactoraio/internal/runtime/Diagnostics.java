package dev.reactoraio.internal.runtime;

import java.util.List;

import dev.reactoraio.AioBackend;
import dev.reactoraio.AioProperties;
import dev.reactoraio.internal.aio.AioProbe;
import dev.reactoraio.internal.core.SysFiles;
import dev.reactoraio.internal.jnr.JvmAccess;
import dev.reactoraio.internal.jnr.Native;
import dev.reactoraio.internal.uring.Uring;
import dev.reactoraio.internal.uring.UringLoop;
import dev.reactoraio.internal.uring.UringProbe;
import org.jspecify.annotations.Nullable;

/** The report behind {@code Aio.describe()} and the CLI's {@code probe} command. */
public final class Diagnostics {

	private Diagnostics() {
	}

	public static String report() {
		StringBuilder sb = new StringBuilder();
		boolean nativeOk = Native.loadFailure() == null;
		line(sb, "", "reactor-aio diagnostics");
		line(sb, "  ", "os: " + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", kernel "
				+ (nativeOk ? Native.kernelRelease() : System.getProperty("os.version")) + ", java "
				+ System.getProperty("java.version"));
		if (!nativeOk) {
			line(sb, "  ", "native calls: unavailable: " + Backends.message(Native.loadFailure()));
		}
		else {
			line(sb, "  ", "jffi.unsafe.disabled: " + JvmAccess.jffiUnsafeDisabled());
			long[] memlock = Native.getrlimit(Native.RLIMIT_MEMLOCK);
			line(sb, "  ", "RLIMIT_MEMLOCK: soft " + limit(memlock[0]) + ", hard " + limit(memlock[1]));
			line(sb, "  ", "kernel.io_uring_disabled: " + orAbsent(sysctl("kernel/io_uring_disabled")));
			line(sb, "  ", "fs.aio-max-nr: " + orAbsent(sysctl("fs/aio-max-nr")) + ", fs.aio-nr: "
					+ orAbsent(sysctl("fs/aio-nr")));
		}
		UringProbe uring = UringProbe.get();
		line(sb, "", "IO_URING: " + status(uring.unavailabilityCause()));
		if (uring.acceptedFlags() != 0 || uring.features() != 0) {
			line(sb, "  ", "setup flags accepted: " + Uring.setupFlagNames(uring.acceptedFlags()));
			line(sb, "  ", "rings are created with: " + Uring.setupFlagNames(uring.ringFlags(AioProperties.deferTaskrun()))
					+ (AioProperties.deferTaskrun() ? "" : " (DEFER_TASKRUN only with -D" + AioProperties.DEFER_TASKRUN + "=true)"));
			List<String> rejected = uring.rejectedFlags();
			if (!rejected.isEmpty()) {
				line(sb, "  ", "setup flags rejected: " + String.join("; ", rejected));
			}
			line(sb, "  ", "features: 0x" + Integer.toHexString(uring.features()) + " "
					+ Uring.featureNames(uring.features()));
			line(sb, "  ", "opcodes (last " + uring.lastOp() + "): " + String.join(" ", uring.supportedOpcodes()));
			line(sb, "  ", "io-wq worker limit (IORING_REGISTER_IOWQ_MAX_WORKERS): "
					+ (uring.canLimitWorkers() ? "yes" : "no"));
			String chains = UringLoop.wholeFileChainsVerdict();
			line(sb, "  ", "whole-file chains (openat into a direct descriptor linked to its reads): "
					+ (chains == null ? "decided when the first ring is set up" : chains));
			line(sb, "  ", "streams read their head with the open (chains and IORING_OP_FIXED_FD_INSTALL): "
					+ (chains == null ? "decided when the first ring is set up"
							: chains.equals("yes") && uring.supports(Uring.IORING_OP_FIXED_FD_INSTALL) ? "yes" : "no"));
			String ringFd = UringLoop.registeredRingVerdict();
			line(sb, "  ", "ring descriptor registered with its loop thread (IORING_REGISTER_RING_FDS): "
					+ (ringFd == null ? "decided when the first ring is set up" : ringFd));
		}
		AioProbe aio = AioProbe.get();
		line(sb, "", "LIBAIO: " + status(aio.unavailabilityCause()));
		if (aio.isAvailable()) {
			line(sb, "  ", "fsync through io_submit (IOCB_CMD_FSYNC/FDSYNC): "
					+ (aio.supportsFsync() ? "yes" : "no, fsync runs on the blocking pool"));
		}
		line(sb, "", "NIO: available");
		AioBackend auto = Backends.auto();
		line(sb, "", "AUTO chooses: " + auto);
		return sb.toString();
	}

	private static String status(@Nullable Throwable cause) {
		return cause == null ? "available" : "unavailable: " + Backends.message(cause);
	}

	private static @Nullable String sysctl(String name) {
		return SysFiles.sysctl(name);
	}

	private static String orAbsent(@Nullable String value) {
		return value == null ? "(not present)" : value;
	}

	private static String limit(long value) {
		return value < 0 ? (value == -1 ? "unlimited" : "error " + value) : (value / 1024) + " KiB";
	}

	private static void line(StringBuilder sb, String indent, String text) {
		sb.append(indent).append(text).append(System.lineSeparator());
	}
}
