package dev.reactoraio.internal.aio;

import java.nio.ByteBuffer;

/**
 * The kernel AIO structures (include/uapi/linux/aio_abi.h), little-endian layout as on x86_64 and aarch64.
 * They are filled and read per operation, so through ByteBuffer views in native byte order (plain Java
 * accesses), never through a native call per field.
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

	/** {@code aio_rw_flags} of slot {@code slot} of {@code iocbs}. */
	static int rwFlags(ByteBuffer iocbs, int slot) {
		return iocbs.getInt(SIZE * slot + 12);
	}

	static void setRwFlags(ByteBuffer iocbs, int slot, int rwFlags) {
		iocbs.putInt(SIZE * slot + 12, rwFlags);
	}

	/** Fills slot {@code slot} of {@code iocbs}. */
	static void fill(ByteBuffer iocbs, int slot, long data, short opcode, int fd, long buf, long nbytes, long offset,
			int rwFlags, int resfd) {
		fill(iocbs, slot, data, opcode, fd, buf, nbytes, offset, rwFlags, IOCB_FLAG_RESFD, resfd);
	}

	/** Fills slot {@code slot} of {@code iocbs} with explicit {@code aio_flags}. */
	static void fill(ByteBuffer iocbs, int slot, long data, short opcode, int fd, long buf, long nbytes, long offset,
			int rwFlags, int flags, int resfd) {
		int base = SIZE * slot;
		iocbs.putLong(base, data);
		iocbs.putInt(base + 8, 0);
		iocbs.putInt(base + 12, rwFlags);
		iocbs.putInt(base + 16, opcode & 0xffff);
		iocbs.putInt(base + 20, fd);
		iocbs.putLong(base + 24, buf);
		iocbs.putLong(base + 32, nbytes);
		iocbs.putLong(base + 40, offset);
		iocbs.putLong(base + 48, 0);
		iocbs.putInt(base + 56, flags);
		iocbs.putInt(base + 60, resfd);
	}
}
