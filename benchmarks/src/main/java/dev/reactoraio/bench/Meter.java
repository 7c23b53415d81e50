package dev.reactoraio.bench;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.Out;

/**
 * Wall and process CPU time between {@link #start()} and {@link #stop()}, and the process's memory
 * gauges. CPU time is that of every thread of the JVM, user + system, read with
 * {@code clock_gettime(CLOCK_PROCESS_CPUTIME_ID)}: it includes the library's loop threads, the kernel's
 * io-wq workers (threads of this process), the JIT and the GC.
 */
final class Meter {

	private static final com.sun.management.OperatingSystemMXBean OS =
			(com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
	private static final BufferPoolMXBean DIRECT = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)
			.stream().filter(pool -> pool.getName().equals("direct")).findFirst().orElseThrow();

	/** {@code clock_gettime} from glibc: the JDK's process CPU time ticks at 10 ms (times(2)), this one in ns. */
	public interface Clock {
		int clock_gettime(int clock, @Out long[] timespec);
	}

	private static final int CLOCK_PROCESS_CPUTIME_ID = 2;
	private static final Clock CLOCK = loadClock();

	private long wall0;
	private long cpu0;
	private long wall;
	private long cpu;

	private static Clock loadClock() {
		try {
			Clock clock = LibraryLoader.create(Clock.class).load("c");
			clock.clock_gettime(CLOCK_PROCESS_CPUTIME_ID, new long[2]);
			return clock;
		}
		catch (RuntimeException | LinkageError e) {
			System.out.println("clock_gettime unavailable (" + e + "): CPU time in 10 ms ticks");
			return null;
		}
	}

	/** CPU time of every thread of this process, alive or ended, user + system. */
	static long processCpuNanos() {
		if (CLOCK == null) {
			return OS.getProcessCpuTime();
		}
		long[] timespec = new long[2];
		CLOCK.clock_gettime(CLOCK_PROCESS_CPUTIME_ID, timespec);
		return timespec[0] * 1_000_000_000L + timespec[1];
	}

	static Meter start() {
		Meter meter = new Meter();
		meter.restart();
		return meter;
	}

	void restart() {
		cpu0 = processCpuNanos();
		wall0 = System.nanoTime();
	}

	Meter stop() {
		wall = System.nanoTime() - wall0;
		cpu = processCpuNanos() - cpu0;
		return this;
	}

	long nanos() {
		return wall;
	}

	long cpuNanos() {
		return cpu;
	}

	/** Bytes of direct buffers the JVM has allocated and not yet freed. */
	static long directBytes() {
		return DIRECT.getMemoryUsed();
	}

	/** Resident set size of this process, from {@code /proc/self/status}. */
	static long rssBytes() {
		try {
			for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
				if (line.startsWith("VmRSS:")) {
					return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
				}
			}
		}
		catch (IOException e) {
			return -1;
		}
		return -1;
	}
}
