package dev.reactoraio.internal.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads a {@code struct statx} (include/uapi/linux/stat.h) out of a 256-byte buffer.
 * <pre>{@code
 * struct statx {
 *     __u32 stx_mask;            //   0
 *     __u32 stx_blksize;         //   4
 *     __u64 stx_attributes;      //   8
 *     __u32 stx_nlink;           //  16
 *     __u32 stx_uid;             //  20
 *     __u32 stx_gid;             //  24
 *     __u16 stx_mode;            //  28
 *     __u16 __spare0;
 *     __u64 stx_ino;             //  32
 *     __u64 stx_size;            //  40
 *     __u64 stx_blocks;          //  48
 *     __u64 stx_attributes_mask; //  56
 *     struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime; // 64, 80, 96, 112
 *     __u32 stx_rdev_major;      // 128
 *     __u32 stx_rdev_minor;      // 132
 *     __u32 stx_dev_major;       // 136
 *     __u32 stx_dev_minor;       // 140
 *     __u64 stx_mnt_id;          // 144
 *     __u32 stx_dio_mem_align;   // 152  (STATX_DIOALIGN, Linux 6.1)
 *     __u32 stx_dio_offset_align;// 156
 *     ...                        // up to 256 bytes
 * };
 * }</pre>
 */
public final class Statx {

	public static final int SIZE = 256;
	public static final int STATX_TYPE = 0x1;
	public static final int STATX_MODE = 0x2;
	public static final int STATX_MTIME = 0x40;
	public static final int STATX_SIZE = 0x200;
	public static final int STATX_DIOALIGN = 0x2000;
	public static final int MASK = STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_MTIME | STATX_DIOALIGN;

	private static final int S_IFMT = 0170000;
	private static final int S_IFDIR = 0040000;
	private static final int S_IFREG = 0100000;
	private static final int S_IFBLK = 0060000;

	public final int mask;
	public final int mode;
	public final long size;
	public final long mtimeSeconds;
	public final int devMajor;
	public final int devMinor;
	public final int dioMemAlign;
	public final int dioOffsetAlign;

	public Statx(ByteBuffer buffer) {
		ByteBuffer b = buffer.duplicate().order(ByteOrder.nativeOrder());
		this.mask = b.getInt(0);
		this.mode = b.getShort(28) & 0xffff;
		this.size = b.getLong(40);
		this.mtimeSeconds = b.getLong(112);
		this.devMajor = b.getInt(136);
		this.devMinor = b.getInt(140);
		this.dioMemAlign = b.getInt(152);
		this.dioOffsetAlign = b.getInt(156);
	}

	public static ByteBuffer newBuffer() {
		return ByteBuffer.allocateDirect(SIZE).order(ByteOrder.nativeOrder());
	}

	public boolean isDirectory() {
		return (mode & S_IFMT) == S_IFDIR;
	}

	public boolean isRegularFile() {
		return (mode & S_IFMT) == S_IFREG;
	}

	/**
	 * Whether a read at a position reads there: regular files, block devices, directories. A pipe, a
	 * socket or a character device (a terminal) hands out its bytes in the order reads arrive, whatever
	 * position they name.
	 */
	public boolean isPositional() {
		int type = mode & S_IFMT;
		return type == S_IFREG || type == S_IFBLK || type == S_IFDIR;
	}

	/** True when the kernel filled the O_DIRECT alignment fields. */
	public boolean hasDioAlign() {
		return (mask & STATX_DIOALIGN) != 0 && dioOffsetAlign > 0;
	}
}
