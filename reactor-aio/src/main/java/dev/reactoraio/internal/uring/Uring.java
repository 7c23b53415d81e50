package dev.reactoraio.internal.uring;

/**
 * io_uring constants from {@code include/uapi/linux/io_uring.h}, under their kernel names, plus the
 * names used to decode them in diagnostics.
 */
public final class Uring {

	// ---- io_uring_setup flags ----
	public static final int IORING_SETUP_IOPOLL = 1;
	public static final int IORING_SETUP_SQPOLL = 1 << 1;
	public static final int IORING_SETUP_SQ_AFF = 1 << 2;
	public static final int IORING_SETUP_CQSIZE = 1 << 3;
	public static final int IORING_SETUP_CLAMP = 1 << 4;
	public static final int IORING_SETUP_ATTACH_WQ = 1 << 5;
	public static final int IORING_SETUP_R_DISABLED = 1 << 6;
	public static final int IORING_SETUP_SUBMIT_ALL = 1 << 7;
	public static final int IORING_SETUP_COOP_TASKRUN = 1 << 8;
	public static final int IORING_SETUP_TASKRUN_FLAG = 1 << 9;
	public static final int IORING_SETUP_SQE128 = 1 << 10;
	public static final int IORING_SETUP_CQE32 = 1 << 11;
	public static final int IORING_SETUP_SINGLE_ISSUER = 1 << 12;
	public static final int IORING_SETUP_DEFER_TASKRUN = 1 << 13;
	public static final int IORING_SETUP_NO_MMAP = 1 << 14;
	public static final int IORING_SETUP_REGISTERED_FD_ONLY = 1 << 15;
	public static final int IORING_SETUP_NO_SQARRAY = 1 << 16;

	static final String[] SETUP_FLAG_NAMES = {"IOPOLL", "SQPOLL", "SQ_AFF", "CQSIZE", "CLAMP", "ATTACH_WQ",
			"R_DISABLED", "SUBMIT_ALL", "COOP_TASKRUN", "TASKRUN_FLAG", "SQE128", "CQE32", "SINGLE_ISSUER",
			"DEFER_TASKRUN", "NO_MMAP", "REGISTERED_FD_ONLY", "NO_SQARRAY", "HYBRID_IOPOLL", "CQE_MIXED",
			"SQE_MIXED", "SQ_REWIND"};

	/**
	 * The flag ladder of DESIGN §3, richest first. Ring setup walks down it on EINVAL (a flag the kernel
	 * does not know) and stops at the first set it accepts.
	 */
	public static final int[] SETUP_LADDER = {
			IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN
					| IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
			IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN
					| IORING_SETUP_SINGLE_ISSUER,
			IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN,
			IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP,
			0,
	};

	// ---- features ----
	public static final int IORING_FEAT_SINGLE_MMAP = 1;
	public static final int IORING_FEAT_NODROP = 1 << 1;
	public static final int IORING_FEAT_SUBMIT_STABLE = 1 << 2;
	public static final int IORING_FEAT_EXT_ARG = 1 << 8;

	static final String[] FEATURE_NAMES = {"SINGLE_MMAP", "NODROP", "SUBMIT_STABLE", "RW_CUR_POS",
			"CUR_PERSONALITY", "FAST_POLL", "POLL_32BITS", "SQPOLL_NONFIXED", "EXT_ARG", "NATIVE_WORKERS",
			"RSRC_TAGS", "CQE_SKIP", "LINKED_FILE", "REG_REG_RING", "RECVSEND_BUNDLE", "MIN_TIMEOUT", "RW_ATTR",
			"NO_IOWAIT"};

	// ---- opcodes ----
	public static final byte IORING_OP_NOP = 0;
	public static final byte IORING_OP_FSYNC = 3;
	public static final byte IORING_OP_ASYNC_CANCEL = 14;
	public static final byte IORING_OP_FALLOCATE = 17;
	public static final byte IORING_OP_OPENAT = 18;
	public static final byte IORING_OP_CLOSE = 19;
	public static final byte IORING_OP_STATX = 21;
	public static final byte IORING_OP_READ = 22;
	public static final byte IORING_OP_WRITE = 23;
	public static final byte IORING_OP_UNLINKAT = 36;
	public static final byte IORING_OP_FIXED_FD_INSTALL = 54;
	/** A read's rw_flags: do not wait (-EAGAIN instead). */
	public static final int RWF_NOWAIT = 0x8;
	public static final byte IORING_OP_FTRUNCATE = 55;
	public static final byte IORING_OP_READV = 1;
	public static final byte IORING_OP_WRITEV = 2;

	static final String[] OPCODE_NAMES = {"NOP", "READV", "WRITEV", "FSYNC", "READ_FIXED", "WRITE_FIXED",
			"POLL_ADD", "POLL_REMOVE", "SYNC_FILE_RANGE", "SENDMSG", "RECVMSG", "TIMEOUT", "TIMEOUT_REMOVE", "ACCEPT",
			"ASYNC_CANCEL", "LINK_TIMEOUT", "CONNECT", "FALLOCATE", "OPENAT", "CLOSE", "FILES_UPDATE", "STATX", "READ",
			"WRITE", "FADVISE", "MADVISE", "SEND", "RECV", "OPENAT2", "EPOLL_CTL", "SPLICE", "PROVIDE_BUFFERS",
			"REMOVE_BUFFERS", "TEE", "SHUTDOWN", "RENAMEAT", "UNLINKAT", "MKDIRAT", "SYMLINKAT", "LINKAT", "MSG_RING",
			"FSETXATTR", "SETXATTR", "FGETXATTR", "GETXATTR", "SOCKET", "URING_CMD", "SEND_ZC", "SENDMSG_ZC",
			"READ_MULTISHOT", "WAITID", "FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_WAITV", "FIXED_FD_INSTALL", "FTRUNCATE",
			"BIND", "LISTEN", "RECV_ZC", "EPOLL_WAIT", "READV_FIXED", "WRITEV_FIXED", "PIPE", "NOP128", "URING_CMD128"};

	// ---- SQE / enter / register ----
	public static final int IORING_FSYNC_DATASYNC = 1;
	public static final int IORING_ENTER_GETEVENTS = 1;
	/** The fd given to io_uring_enter is the index of a ring registered with the calling thread. */
	public static final int IORING_ENTER_REGISTERED_RING = 1 << 4;
	/** Registers ring descriptors with the calling thread (5.18). */
	public static final int IORING_REGISTER_RING_FDS = 20;
	public static final int IORING_UNREGISTER_RING_FDS = 21;
	public static final int IORING_REGISTER_PROBE = 8;
	/** Registers a table of files, -1 for an empty slot (sparse tables since 5.5). */
	public static final int IORING_REGISTER_FILES = 2;
	public static final int IORING_UNREGISTER_FILES = 3;

	// ---- SQE flags ----
	/** The SQE's fd is an index into the registered file table. */
	public static final byte IOSQE_FIXED_FILE = 1;
	/** The next SQE starts only after this one completed successfully (a short read is a failure). */
	public static final byte IOSQE_IO_LINK = 1 << 2;
	/** The next SQE starts after this one, whatever its result. */
	public static final byte IOSQE_IO_HARDLINK = 1 << 3;
	/** Issue the request from an io-wq worker right away, rather than inline first. */
	public static final byte IOSQE_ASYNC = 1 << 4;
	public static final int IORING_REGISTER_IOWQ_MAX_WORKERS = 19;
	public static final int IO_URING_OP_SUPPORTED = 1;

	public static final long IORING_OFF_SQ_RING = 0L;
	public static final long IORING_OFF_CQ_RING = 0x8000000L;
	public static final long IORING_OFF_SQES = 0x10000000L;

	private Uring() {
	}

	/** {@code "CQSIZE|CLAMP"}, or {@code "none"}. */
	public static String setupFlagNames(int flags) {
		return names(flags, SETUP_FLAG_NAMES);
	}

	public static String featureNames(int features) {
		return names(features, FEATURE_NAMES);
	}

	public static String opcodeName(int opcode) {
		return opcode >= 0 && opcode < OPCODE_NAMES.length ? OPCODE_NAMES[opcode] : "OP_" + opcode;
	}

	private static String names(int bits, String[] table) {
		if (bits == 0) {
			return "none";
		}
		StringBuilder sb = new StringBuilder();
		for (int i = 0; i < 32; i++) {
			if ((bits & (1 << i)) != 0) {
				if (sb.length() > 0) {
					sb.append('|');
				}
				sb.append(i < table.length ? table[i] : "bit" + i);
			}
		}
		return sb.toString();
	}
}
