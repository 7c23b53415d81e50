package dev.reactoraio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.reactoraio.internal.jnr.Errno;
import dev.reactoraio.internal.jnr.Native;

/**
 * A child JVM that installs a real seccomp filter on itself before reactor-aio probes anything, then
 * reports what the library concluded. The kernel answers the denied system calls with the errno the
 * filter names, exactly as under Docker's or gVisor's profiles: nothing is mocked.
 * <p>
 * Usage: {@code Sandbox <errno> <syscall numbers…>}; prints {@code key=value} lines.
 */
public final class Sandbox {

	private static final int PR_SET_NO_NEW_PRIVS = 38;
	private static final int SECCOMP_SET_MODE_FILTER = 1;
	private static final int SECCOMP_FILTER_FLAG_TSYNC = 1;
	private static final int SECCOMP_RET_ALLOW = 0x7fff0000;
	private static final int SECCOMP_RET_ERRNO = 0x00050000;

	private Sandbox() {
	}

	public static void main(String[] args) throws Exception {
		int errno = Integer.parseInt(args[0]);
		List<Integer> denied = new ArrayList<>();
		for (int i = 1; i < args.length; i++) {
			denied.add(Integer.parseInt(args[i]));
		}
		install(errno, denied);
		report("auto", String.valueOf(Aio.autoBackend()));
		for (AioBackend backend : AioBackend.values()) {
			Throwable cause = Aio.unavailabilityCause(backend);
			report("cause." + backend, cause == null ? "none" : cause.getMessage());
		}
		for (AioBackend backend : new AioBackend[] {AioBackend.IO_URING, AioBackend.LIBAIO, AioBackend.NIO}) {
			report("forced." + backend, tryBackend(backend));
		}
	}

	/** Builds resources with {@code backend} and reads a file back through it. */
	private static String tryBackend(AioBackend backend) throws IOException {
		Path file = Files.createTempFile("sandbox", ".bin");
		try {
			Files.write(file, "sandboxed".getBytes());
			AioResources resources = AioResources.builder("sandbox").backend(backend).build();
			try {
				String read = AioFiles.read(file, 4096, resources)
						.map(b -> new String(TestFiles.toBytes(b)))
						.reduce("", String::concat)
						.block();
				return "ok " + resources.backend() + " read=" + read;
			}
			finally {
				resources.disposeLater().block();
			}
		}
		catch (RuntimeException e) {
			return "failed " + e.getClass().getSimpleName() + ": " + e.getMessage();
		}
		finally {
			Files.deleteIfExists(file);
		}
	}

	private static void report(String key, String value) {
		System.out.println(key + "=" + value.replace('\n', ' '));
	}

	/** prctl(NO_NEW_PRIVS) then seccomp(SET_MODE_FILTER, TSYNC) with a classic BPF program. */
	static void install(int errno, List<Integer> denied) {
		String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
		boolean x86 = arch.equals("amd64") || arch.equals("x86_64");
		int prctl = x86 ? 157 : 167;
		int seccomp = x86 ? 317 : 277;
		int auditArch = x86 ? 0xC000003E : 0xC00000B7;
		if (Native.syscall(prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0) < 0) {
			throw new IllegalStateException("prctl(PR_SET_NO_NEW_PRIVS) failed");
		}
		// struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }
		List<long[]> program = new ArrayList<>();
		program.add(new long[] {0x20, 0, 0, 4});                        // ld [arch]
		program.add(new long[] {0x15, 1, 0, auditArch & 0xffffffffL});  // jeq arch ? +1 : next
		program.add(new long[] {0x06, 0, 0, SECCOMP_RET_ALLOW});        // other arch: allow
		program.add(new long[] {0x20, 0, 0, 0});                        // ld [nr]
		for (int nr : denied) {
			program.add(new long[] {0x15, 0, 1, nr});                      // jeq nr ? next : +1
			program.add(new long[] {0x06, 0, 0, SECCOMP_RET_ERRNO | (errno & 0xffff)});
		}
		program.add(new long[] {0x06, 0, 0, SECCOMP_RET_ALLOW});
		long filter = Native.allocate(8L * program.size());
		for (int i = 0; i < program.size(); i++) {
			long[] insn = program.get(i);
			long packed = (insn[0] & 0xffff) | ((insn[1] & 0xff) << 16) | ((insn[2] & 0xff) << 24) | (insn[3] << 32);
			Native.putLong(filter + 8L * i, packed);
		}
		long fprog = Native.allocate(16);
		Native.putLong(fprog, program.size());
		Native.putLong(fprog + 8, filter);
		long r = Native.syscall(seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, fprog, 0, 0, 0);
		if (r != 0) {
			throw new IllegalStateException("seccomp(SET_MODE_FILTER) failed: " + Errno.describe((int) -r));
		}
	}
}
