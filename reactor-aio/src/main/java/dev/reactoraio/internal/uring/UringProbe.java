package dev.reactoraio.internal.uring;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import dev.reactoraio.AioIOException;
import dev.reactoraio.internal.core.SysFiles;
import dev.reactoraio.internal.jnr.Errno;
import dev.reactoraio.internal.jnr.JvmAccess;
import dev.reactoraio.internal.jnr.Native;
import org.jspecify.annotations.Nullable;

/**
 * What this process's kernel offers through io_uring, learned once by asking it: ring setup with each
 * step of the flag ladder, the feature bits, {@code IORING_REGISTER_PROBE}'s opcode list, and whether
 * io-wq worker limits can be set. Never decided by kernel version.
 */
public final class UringProbe {

	private static final int PROBE_OPS = 256;
	private static final int PROBE_SIZE = 16 + 8 * PROBE_OPS;

	private static volatile @Nullable UringProbe instance;

	private final @Nullable Throwable unavailabilityCause;
	private final int ladderStep;
	private final int acceptedFlags;
	private final int features;
	private final int lastOp;
	private final boolean[] supported = new boolean[PROBE_OPS];
	private final boolean iowqMaxWorkers;
	private final List<String> rejectedFlags;

	private UringProbe() {
		Throwable cause = Native.loadFailure();
		int step = -1;
		int flags = 0;
		int feat = 0;
		int last = -1;
		boolean iowq = false;
		List<String> rejected = new ArrayList<>();
		if (cause == null) {
			long params = Native.allocate(120);
			long probe = Native.allocate(PROBE_SIZE);
			try {
				int[] ladder = Uring.SETUP_LADDER;
				int errno = Errno.EINVAL;
				for (int i = 0; i < ladder.length; i++) {
					for (int off = 0; off < 120; off += 8) {
						Native.putLong(params + off, 0);
					}
					Native.putInt(params + 8, ladder[i]);
					if ((ladder[i] & Uring.IORING_SETUP_CQSIZE) != 0) {
						Native.putInt(params + 4, 8);
					}
					int fd = Native.ioUringSetup(4, params);
					if (fd >= 0) {
						step = i;
						flags = ladder[i];
						feat = Native.getInt(params + 20);
						int r = Native.ioUringRegister(fd, Uring.IORING_REGISTER_PROBE, probe, PROBE_OPS);
						if (r >= 0) {
							last = Byte.toUnsignedInt((byte) Native.getInt(probe));
							int len = (Native.getInt(probe) >>> 8) & 0xff;
							for (int op = 0; op < len; op++) {
								int opFlags = (Native.getInt(probe + 16 + 8L * op) >>> 16) & 0xffff;
								supported[op] = (opFlags & Uring.IO_URING_OP_SUPPORTED) != 0;
							}
						}
						long workers = Native.allocate(8);
						iowq = Native.ioUringRegister(fd, Uring.IORING_REGISTER_IOWQ_MAX_WORKERS, workers, 2) >= 0;
						Native.free(workers);
						Native.close(fd);
						break;
					}
					errno = -fd;
					if (errno != Errno.EINVAL) {
						break;
					}
					rejected.add(Uring.setupFlagNames(ladder[i]) + ": " + Errno.name(errno));
				}
				if (step < 0) {
					cause = explainSetupFailure(errno);
				}
				else if (!supported[Uring.IORING_OP_READ] || !supported[Uring.IORING_OP_WRITE]) {
					cause = new UnsupportedOperationException("io_uring lacks IORING_OP_READ/WRITE (Linux < 5.6, "
							+ "last opcode " + last + "): the kernel AIO or NIO backend is used instead");
				}
				else if ((feat & Uring.IORING_FEAT_NODROP) == 0) {
					cause = new UnsupportedOperationException("io_uring lacks IORING_FEAT_NODROP (Linux < 5.5)");
				}
			}
			catch (Throwable t) {
				cause = JvmAccess.explain(t);
			}
			finally {
				Native.free(params);
				Native.free(probe);
			}
		}
		this.unavailabilityCause = cause;
		this.ladderStep = step;
		this.acceptedFlags = flags;
		this.features = feat;
		this.lastOp = last;
		this.iowqMaxWorkers = iowq;
		this.rejectedFlags = Collections.unmodifiableList(rejected);
	}

	/** The process-wide probe, run on first use. */
	public static UringProbe get() {
		UringProbe probe = instance;
		if (probe == null) {
			synchronized (UringProbe.class) {
				probe = instance;
				if (probe == null) {
					probe = new UringProbe();
					instance = probe;
				}
			}
		}
		return probe;
	}

	/**
	 * Why io_uring_setup failed, in words a user can act on: EPERM names the seccomp profile and the
	 * {@code kernel.io_uring_disabled} sysctl (with its value when readable), ENOSYS says io_uring is
	 * absent, ENOMEM names RLIMIT_MEMLOCK.
	 */
	static AioIOException explainSetupFailure(int errno) {
		switch (errno) {
			case Errno.EPERM:
				return new AioIOException(errno, "io_uring_setup", explainEperm(SysFiles.sysctl("kernel/io_uring_disabled")));
			case Errno.ENOSYS:
				return new AioIOException(errno, "io_uring_setup", "io_uring is absent: the kernel was built without it "
						+ "(Linux < 5.1 or CONFIG_IO_URING=n), or a sandbox (gVisor, a seccomp profile answering "
						+ "ENOSYS) does not implement it");
			case Errno.ENOMEM:
				long[] memlock = Native.getrlimit(Native.RLIMIT_MEMLOCK);
				return new AioIOException(errno, "io_uring_setup", "RLIMIT_MEMLOCK is " + formatLimit(memlock[0])
						+ "; kernels before 5.12 charge io_uring rings to it: raise it (docker run --ulimit "
						+ "memlock=-1:-1) or grant CAP_IPC_LOCK");
			default:
				return new AioIOException(errno, "io_uring_setup", "the kernel refused every ring setup");
		}
	}

	static String explainEperm(@Nullable String disabled) {
		if ("2".equals(disabled)) {
			return "kernel.io_uring_disabled=2 disables io_uring for every process (set it to 0)";
		}
		if ("1".equals(disabled)) {
			return "kernel.io_uring_disabled=1 allows io_uring only to CAP_SYS_ADMIN and members of "
					+ "kernel.io_uring_group";
		}
		String base = "blocked by a seccomp profile (Docker >= 25, containerd 2 and Podman deny io_uring_setup, "
				+ "io_uring_enter and io_uring_register by default; run with a profile that allows them)";
		return disabled == null ? base + " or by kernel.io_uring_disabled" : base;
	}

	static String formatLimit(long bytes) {
		return bytes < 0 ? "unlimited" : (bytes / 1024) + " KiB";
	}

	public boolean isAvailable() {
		return unavailabilityCause == null;
	}

	public @Nullable Throwable unavailabilityCause() {
		return unavailabilityCause;
	}

	/**
	 * The ladder from the first step the kernel accepted down to the plainest; without {@code deferTaskrun},
	 * DEFER_TASKRUN is left out of every step (see {@code AioProperties.DEFER_TASKRUN}).
	 */
	int[] ladder(boolean deferTaskrun) {
		int from = Math.max(0, ladderStep);
		return java.util.Arrays.stream(Uring.SETUP_LADDER, from, Uring.SETUP_LADDER.length)
				.map(flags -> withoutUnasked(flags, deferTaskrun)).distinct().toArray();
	}

	public int acceptedFlags() {
		return acceptedFlags;
	}

	/** The setup flags rings are created with: the accepted set, without DEFER_TASKRUN unless asked for. */
	public int ringFlags(boolean deferTaskrun) {
		return withoutUnasked(acceptedFlags, deferTaskrun);
	}

	private static int withoutUnasked(int flags, boolean deferTaskrun) {
		return deferTaskrun ? flags : flags & ~Uring.IORING_SETUP_DEFER_TASKRUN;
	}

	public int features() {
		return features;
	}

	public int lastOp() {
		return lastOp;
	}

	public boolean supports(int opcode) {
		return opcode >= 0 && opcode < PROBE_OPS && supported[opcode];
	}

	public boolean canLimitWorkers() {
		return iowqMaxWorkers;
	}

	/** Flag sets the kernel rejected (EINVAL) before accepting one, e.g. {@code "...|DEFER_TASKRUN: EINVAL"}. */
	public List<String> rejectedFlags() {
		return rejectedFlags;
	}

	/** Names of the opcodes the kernel supports. */
	public List<String> supportedOpcodes() {
		List<String> names = new ArrayList<>();
		for (int op = 0; op < PROBE_OPS; op++) {
			if (supported[op]) {
				names.add(Uring.opcodeName(op));
			}
		}
		return names;
	}
}
