package dev.reactoraio;

import java.nio.file.OpenOption;

/**
 * Open options reactor-aio adds to {@link java.nio.file.StandardOpenOption}.
 */
public enum AioOpenOption implements OpenOption {

	/**
	 * Open with {@code O_DIRECT}: transfers bypass the page cache. The same as
	 * {@code com.sun.nio.file.ExtendedOpenOption.DIRECT}, which is accepted too.
	 * <p>
	 * O_DIRECT needs aligned memory, offsets and lengths; reactor-aio learns the alignment from
	 * {@code statx(STATX_DIOALIGN)} (Linux 6.1) or the device's logical block size, and makes every
	 * transfer legal: heap or misaligned buffers are copied through aligned native buffers, reads of a
	 * misaligned range read the aligned range around it, and writes of a misaligned range go through
	 * the page cache on a second descriptor of the same file. Aligned direct buffers at aligned
	 * positions go straight to the device.
	 */
	DIRECT
}
