package dev.reactoraio.bench;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** The machine: its description, the page cache (drop, warm) and the prepared files. */
final class Machine {

	/**
	 * {@code com.sun.nio.file.ExtendedOpenOption.DIRECT}, looked up by name: compiled with {@code --release 17}
	 * by a newer javac, a direct reference draws an "internal proprietary API" warning that nothing but
	 * removing the reference silences (and {@code -Werror} fails the build on).
	 */
	static final OpenOption DIRECT = jdkDirect();

	private static boolean dropWarned;

	private Machine() {
	}

	private static OpenOption jdkDirect() {
		try {
			for (Object constant : Class.forName("com.sun.nio.file.ExtendedOpenOption").getEnumConstants()) {
				if (((Enum<?>) constant).name().equals("DIRECT")) {
					return (OpenOption) constant;
				}
			}
			throw new IllegalStateException("com.sun.nio.file.ExtendedOpenOption has no DIRECT");
		}
		catch (ClassNotFoundException e) {
			throw new IllegalStateException("this Java runtime lacks the jdk.unsupported module (O_DIRECT)", e);
		}
	}

	/** Flushes dirty pages to the disk, and leaves the page cache as it is. */
	static void sync() {
		try {
			runSync();
		}
		catch (IOException e) {
			throw new java.io.UncheckedIOException(e);
		}
	}

	/** Flushes dirty pages and drops the clean page cache (needs root; warns once without it). */
	static void dropCaches() {
		try {
			runSync();
			Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "1");
		}
		catch (IOException e) {
			if (!dropWarned) {
				dropWarned = true;
				System.out.println("warning: cannot drop the page cache (" + e + "); cold figures may be warm");
			}
		}
	}

	private static void runSync() throws IOException {
		try {
			new ProcessBuilder("sync").inheritIO().start().waitFor();
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
	}

	/** Reads {@code files} once so that they are in the page cache. */
	static void warm(List<Path> files) throws IOException {
		ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
		for (Path file : files) {
			try (FileChannel channel = FileChannel.open(file, READ)) {
				while (channel.read(buffer.clear()) >= 0) {
					// read it all
				}
			}
		}
	}

	/** Writes {@code size} random bytes to {@code file} unless it already has that size. */
	static void prepare(Path file, long size) throws IOException {
		if (Files.exists(file) && Files.size(file) == size) {
			return;
		}
		if (size >= 1 << 20) {
			System.out.printf("preparing %s (%d MiB)%n", file.getFileName(), size >> 20);
		}
		byte[] bytes = new byte[1 << 20];
		SplittableRandom random = new SplittableRandom(size);
		ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
		try (FileChannel channel = FileChannel.open(file, CREATE, WRITE, TRUNCATE_EXISTING)) {
			for (long written = 0; written < size; written += bytes.length) {
				random.nextBytes(bytes);
				buffer.clear().put(bytes).flip().limit((int) Math.min(bytes.length, size - written));
				while (buffer.hasRemaining()) {
					channel.write(buffer);
				}
			}
			channel.force(true);
		}
	}

	/** A sparse file of {@code size} bytes: reads cost no disk, only page cache and copies. */
	static void sparse(Path file, long size) throws IOException {
		try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
			raf.setLength(size);
		}
	}

	/** Fails with a clear message where O_DIRECT is refused (tmpfs, some FUSE file systems). */
	static void checkDirect(Path file) throws IOException {
		try (FileChannel channel = FileChannel.open(file, READ, DIRECT)) {
			channel.read(RandomReads.alignedBlock(), 0);
		}
		catch (IOException e) {
			throw new IOException("O_DIRECT reads fail in " + file.getParent()
					+ " (tmpfs refuses O_DIRECT): choose --dir on a disk file system", e);
		}
	}

	static Map<String, Object> describe(Path dir, String fio) throws IOException {
		Map<String, Object> machine = new LinkedHashMap<>();
		machine.put("kernel", System.getProperty("os.version"));
		machine.put("cpu", first(Path.of("/proc/cpuinfo"), "model name"));
		machine.put("cpus", Runtime.getRuntime().availableProcessors());
		machine.put("memory", first(Path.of("/proc/meminfo"), "MemTotal"));
		machine.put("fileSystem", mountOf(dir));
		machine.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
		machine.put("fio", fio == null ? "absent" : fio);
		machine.put("os", first(Path.of("/etc/os-release"), "PRETTY_NAME"));
		machine.put("loadAverageAtStart", loadAverage());
		return machine;
	}

	/** The 1, 5 and 15 minute load averages: other tenants of a shared machine show here. */
	static String loadAverage() {
		try {
			String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
			return fields[0] + " " + fields[1] + " " + fields[2];
		}
		catch (IOException e) {
			return "?";
		}
	}

	private static String first(Path file, String key) {
		try {
			return Files.readAllLines(file).stream().filter(l -> l.startsWith(key)).findFirst()
					.map(l -> l.substring(l.indexOf(l.contains(":") ? ':' : '=') + 1).replace("\"", "").trim())
					.orElse("?");
		}
		catch (IOException e) {
			return "?";
		}
	}

	/** The file system type and device of the mount that holds {@code dir}, e.g. "ext4 on (device)". */
	private static String mountOf(Path dir) throws IOException {
		String real = dir.toRealPath().toString();
		String best = "?";
		int bestLength = -1;
		for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
			String[] fields = line.split(" ");
			String mount = fields[1];
			boolean holds = real.equals(mount) || real.startsWith(mount.endsWith("/") ? mount : mount + "/");
			if (holds && mount.length() > bestLength) {
				bestLength = mount.length();
				best = fields[2] + " on " + fields[0];
			}
		}
		return best;
	}
}
