package dev.reactoraio.internal.aio;

import dev.reactoraio.internal.jnr.Native;

/**
 * The kernel AIO structures (include/uapi/linux/aio_abi.h), little-endian layout as on x86_64 and aarch64.
 * <pre>{@code
 * struct iocb {                      // 64 bytes
 *     __u64 aio_data;                //  0  echoed in io_event.data
 *     __u32 aio_key;                 //  8
 *     __kernel_rwf_t aio_rw_flags;   // 12  RWF_NOWAIT, ...
 *     __u16 aio_lio_opcode;          // 16  IOCB_CMD_*
 *     __s16 aio_reqprio;             // 18
 *     __u32 aio_fildes;              // 20
 *     __u64 aio_buf;                 // 24
 *     __u64 aio_nbytes;              // 32
 *     __s64 aio_offset;              // 40
 *     __u64 aio_reserved2;           // 48
 *     __u32 aio_flags;               // 56  IOCB_FLAG_RESFD, ...
 *     __u32 aio_resfd;               // 60  eventfd signalled on completion
 * };
 * struct io_event {                  // 32 bytes
 *     __u64 data;                    //  0  the iocb's aio_data
 *     __u64 obj;                     //  8  the iocb's address
 *     __s64 res;                     // 16  result or -errno
 *     __s64 res2;                    // 24
 * };
 * }</pre>
 */
final class Iocb {

	static final int SIZE = 64;
	static final int EVENT_SIZE = 32;

	static final short IOCB_CMD_PREAD = 0;
	static final short IOCB_CMD_PWRITE = 1;
	static final short IOCB_CMD_FSYNC = 2;
	static final short IOCB_CMD_FDSYNC = 3;

	static final int IOCB_FLAG_RESFD = 1;
	static final int RWF_NOWAIT = 0x8;

	private Iocb() {
	}

	/** The iocb of slot {@code slot} in an array of them at {@code base}. */
	static long at(long base, int slot) {
		return base + (long) SIZE * slot;
	}

	/** {@code aio_rw_flags} of the iocb at {@code address}. */
	static int rwFlags(long address) {
		return Native.getInt(address + 12);
	}

	static void setRwFlags(long address, int rwFlags) {
		Native.putInt(address + 12, rwFlags);
	}

	/** Fills the iocb at {@code address}. */
	static void fill(long address, long data, short opcode, int fd, long buf, long nbytes, long offset, int rwFlags,
			int resfd) {
		fill(address, data, opcode, fd, buf, nbytes, offset, rwFlags, IOCB_FLAG_RESFD, resfd);
	}

	/** Fills the iocb at {@code address} with explicit {@code aio_flags}. */
	static void fill(long address, long data, short opcode, int fd, long buf, long nbytes, long offset, int rwFlags,
			int flags, int resfd) {
		Native.putLong(address, data);
		Native.putInt(address + 8, 0);
		setRwFlags(address, rwFlags);
		Native.putInt(address + 16, opcode & 0xffff);
		Native.putInt(address + 20, fd);
		Native.putLong(address + 24, buf);
		Native.putLong(address + 32, nbytes);
		Native.putLong(address + 40, offset);
		Native.putLong(address + 48, 0);
		Native.putInt(address + 56, flags);
		Native.putInt(address + 60, resfd);
	}
}
