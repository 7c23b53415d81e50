package dev.reactoraio.internal.core;

import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;

import dev.reactoraio.AioOpenOption;
import dev.reactoraio.internal.jnr.Native;
import dev.reactoraio.internal.jnr.SyscallTable;
import org.jspecify.annotations.Nullable;

/**
 * The open options of one {@code AsyncFile.open}, checked the way {@code FileChannel.open} and
 * {@code AsynchronousFileChannel.open} check them, and turned into open(2) flags.
 */
public final class OpenSpec {

	/**
	 * {@code com.sun.nio.file.ExtendedOpenOption.DIRECT} (module {@code jdk.unsupported}), or {@code null}
	 * where that module is absent. Looked up by name, the only reference this library makes to it: compiled
	 * with {@code --release 17} by a newer javac, a direct reference draws "internal proprietary API", a
	 * warning no {@code @SuppressWarnings} silences and {@code -Werror} turns into a failed build.
	 */
	public static final @Nullable OpenOption JDK_DIRECT = jdkDirect();

	public final Path path;
	/** Absolute path, so that the kernel resolves it as Java did, whatever the process working directory. */
	public final String absolutePath;
	public final boolean read;
	public final boolean write;
	public final boolean direct;
	/** Unlinked right after opening, as the JDK does on Unix: nothing is left behind whatever happens later. */
	public final boolean deleteOnClose;
	/** O_APPEND: every write goes to the end of the file, whatever position it names. */
	public final boolean append;
	/** NOFOLLOW_LINKS was asked (DELETE_ON_CLOSE refuses a link too, but reports it as the JDK does, differently). */
	public final boolean noFollow;
	/** open(2) flags without O_DIRECT (engines add it for the direct descriptor). */
	public final int flags;
	/** The same options for FileChannel.open (the NIO engine). */
	public final Set<OpenOption> nioOptions;

	private OpenSpec(Path path, boolean read, boolean write, boolean direct, boolean deleteOnClose, boolean append,
			boolean noFollow, int flags, Set<OpenOption> nioOptions) {
		this.path = path;
		this.absolutePath = path.isAbsolute() ? path.toString() : path.toAbsolutePath().toString();
		this.read = read;
		this.write = write;
		this.direct = direct;
		this.deleteOnClose = deleteOnClose;
		this.append = append;
		this.noFollow = noFollow;
		this.flags = flags;
		this.nioOptions = nioOptions;
	}

	/**
	 * Validates {@code options}: no option means READ; APPEND is refused as AsynchronousFileChannel
	 * refuses it (every write names its position); unknown options are unsupported.
	 *
	 * @throws IllegalArgumentException for contradictory options
	 * @throws UnsupportedOperationException for APPEND or an option this library does not know
	 */
	public static OpenSpec of(Path path, Set<? extends OpenOption> options) {
		return of(path, options, false);
	}

	/**
	 * As {@link #of(Path, Set)}; with {@code allowAppend} (whole-file writers, whose writes go one after
	 * the other) APPEND opens with the kernel's O_APPEND, so concurrent appenders, threads or processes,
	 * never overwrite each other.
	 *
	 * @throws IllegalArgumentException for contradictory options (APPEND with READ or TRUNCATE_EXISTING)
	 * @throws UnsupportedOperationException for APPEND unless allowed, or an unknown option
	 */
	public static OpenSpec of(Path path, Set<? extends OpenOption> options, boolean allowAppend) {
		boolean read = false;
		boolean write = false;
		boolean create = false;
		boolean createNew = false;
		boolean truncate = false;
		boolean direct = false;
		boolean deleteOnClose = false;
		boolean noFollow = false;
		boolean sync = false;
		boolean dsync = false;
		boolean append = false;
		for (OpenOption option : options) {
			if (option == StandardOpenOption.READ) {
				read = true;
			}
			else if (option == StandardOpenOption.WRITE) {
				write = true;
			}
			else if (option == StandardOpenOption.APPEND) {
				if (!allowAppend) {
					throw new UnsupportedOperationException("APPEND not allowed: every AsyncFile write names its "
							+ "position (AioFiles.write supports APPEND)");
				}
				append = true;
				write = true;
			}
			else if (option == StandardOpenOption.CREATE) {
				create = true;
			}
			else if (option == StandardOpenOption.CREATE_NEW) {
				createNew = true;
			}
			else if (option == StandardOpenOption.TRUNCATE_EXISTING) {
				truncate = true;
			}
			else if (option == StandardOpenOption.DELETE_ON_CLOSE) {
				deleteOnClose = true;
			}
			else if (option == StandardOpenOption.SYNC) {
				sync = true;
			}
			else if (option == StandardOpenOption.DSYNC) {
				dsync = true;
			}
			else if (option == StandardOpenOption.SPARSE) {
				continue; // a hint; Linux files are sparse anyway
			}
			else if (option == LinkOption.NOFOLLOW_LINKS) {
				noFollow = true;
			}
			else if (option == AioOpenOption.DIRECT || (JDK_DIRECT != null && option == JDK_DIRECT)) {
				direct = true;
			}
			else if (option == null) {
				throw new NullPointerException("null open option");
			}
			else {
				throw new UnsupportedOperationException(option + " not supported");
			}
		}
		if (!read && !write) {
			read = true;
		}
		if (append && (read || truncate)) {
			throw new IllegalArgumentException("APPEND + " + (read ? "READ" : "TRUNCATE_EXISTING") + " not allowed");
		}
		int flags = Native.O_CLOEXEC | (read && write ? Native.O_RDWR : write ? Native.O_WRONLY : Native.O_RDONLY);
		if (write) {
			if (createNew) {
				flags |= Native.O_CREAT | Native.O_EXCL;
			}
			else if (create) {
				flags |= Native.O_CREAT;
			}
			if (truncate) {
				flags |= Native.O_TRUNC;
			}
		}
		if (sync) {
			flags |= Native.O_SYNC;
		}
		if (dsync) {
			flags |= Native.O_DSYNC;
		}
		if (append) {
			flags |= Native.O_APPEND;
		}
		// As the JDK does: DELETE_ON_CLOSE must not follow a link planted at the path.
		if (noFollow || deleteOnClose) {
			flags |= SyscallTable.CURRENT != null ? SyscallTable.CURRENT.oNofollow : 0;
		}
		Set<OpenOption> nio = new HashSet<>();
		for (OpenOption option : options) {
			if (option == AioOpenOption.DIRECT) {
				if (JDK_DIRECT != null) {
					nio.add(JDK_DIRECT); // without it (no jdk.unsupported) the NIO engine refuses the open
				}
			}
			else if (option != StandardOpenOption.DELETE_ON_CLOSE) {
				nio.add(option); // DELETE_ON_CLOSE: the NIO engine unlinks once every channel of the file is open
			}
		}
		if (read) {
			nio.add(StandardOpenOption.READ);
		}
		if (noFollow || deleteOnClose) {
			nio.add(LinkOption.NOFOLLOW_LINKS);
		}
		return new OpenSpec(path, read, write, direct, deleteOnClose, append, noFollow, flags,
				Collections.unmodifiableSet(nio));
	}

	private static final Set<OpenOption> READ_ONLY = Set.of(StandardOpenOption.READ);
	private static final Set<OpenOption> READ_NO_FOLLOW = Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);

	/**
	 * What {@code of(path, Set.of(READ))} (with NOFOLLOW_LINKS when asked) gives, without building sets:
	 * whole-file reads make one per file.
	 */
	public static OpenSpec forReading(Path path, boolean noFollow) {
		int flags = Native.O_CLOEXEC | Native.O_RDONLY;
		if (noFollow) {
			flags |= SyscallTable.CURRENT != null ? SyscallTable.CURRENT.oNofollow : 0;
		}
		return new OpenSpec(path, true, false, false, false, false, noFollow, flags, noFollow ? READ_NO_FOLLOW : READ_ONLY);
	}

	/** Flags for the page-cache descriptor of a direct file: no create, no truncate (the first open did that). */
	public int bufferedCompanionFlags() {
		return flags & ~(Native.O_CREAT | Native.O_EXCL | Native.O_TRUNC);
	}

	private static @Nullable OpenOption jdkDirect() {
		try {
			for (Object constant : Class.forName("com.sun.nio.file.ExtendedOpenOption").getEnumConstants()) {
				if (((Enum<?>) constant).name().equals("DIRECT")) {
					return (OpenOption) constant;
				}
			}
		}
		catch (ClassNotFoundException | LinkageError e) {
			// a runtime without jdk.unsupported: FileChannel cannot open O_DIRECT there
		}
		return null;
	}
}
