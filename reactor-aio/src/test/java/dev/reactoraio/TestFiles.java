package dev.reactoraio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

/** Helpers shared by the contract tests: random files, FileChannel reads to compare with, fd counts. */
final class TestFiles {

	private TestFiles() {
	}

	static byte[] randomBytes(Random random, int size) {
		byte[] bytes = new byte[size];
		random.nextBytes(bytes);
		return bytes;
	}

	static Path randomFile(Path dir, String name, Random random, int size) throws IOException {
		Path file = dir.resolve(name);
		Files.write(file, randomBytes(random, size));
		return file;
	}

	/** What FileChannel reads at {@code position} (at most {@code length} bytes; fewer at the end). */
	static byte[] readWithFileChannel(Path file, long position, int length) throws IOException {
		try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
			ByteBuffer buffer = ByteBuffer.allocate(length);
			while (buffer.hasRemaining()) {
				int n = channel.read(buffer, position + buffer.position());
				if (n < 0) {
					break;
				}
			}
			buffer.flip();
			byte[] bytes = new byte[buffer.remaining()];
			buffer.get(bytes);
			return bytes;
		}
	}

	static byte[] toBytes(ByteBuffer buffer) {
		ByteBuffer b = buffer.duplicate();
		byte[] bytes = new byte[b.remaining()];
		b.get(bytes);
		return bytes;
	}

	/** Open descriptors of this process and what they point to, from /proc/self/fd. */
	static java.util.Map<String, String> openDescriptors() throws IOException {
		java.util.Map<String, String> fds = new java.util.TreeMap<>();
		try (var list = Files.list(Path.of("/proc/self/fd"))) {
			for (Path fd : (Iterable<Path>) list::iterator) {
				try {
					fds.put(fd.getFileName().toString(), Files.readSymbolicLink(fd).toString());
				}
				catch (IOException e) {
					// the descriptor of the directory listing itself, closed meanwhile
				}
			}
		}
		return fds;
	}

	/**
	 * The descriptors open now that were not open, to the same target, in {@code before}, among those
	 * {@code counted} selects; a listing's own descriptor ({@code /proc/<pid>/fd}) never counts. Another
	 * thread of the JVM may hold a descriptor for a moment (a jar, a report file), so the listing is
	 * taken again until none is left or {@code bound} has passed: what a leak leaves stays.
	 */
	static java.util.Map<String, String> descriptorsOpenedSince(java.util.Map<String, String> before,
			java.util.function.Predicate<String> counted, java.time.Duration bound) throws IOException, InterruptedException {
		long deadline = System.nanoTime() + bound.toNanos();
		while (true) {
			java.util.Map<String, String> opened = new java.util.TreeMap<>(openDescriptors());
			opened.entrySet().removeIf(e -> e.getValue().equals(before.get(e.getKey())));
			opened.values().removeIf(target -> target.startsWith("/proc/") || !counted.test(target));
			if (opened.isEmpty() || System.nanoTime() >= deadline) {
				return opened;
			}
			Thread.sleep(20);
		}
	}

	/**
	 * Waits (at most {@code bound}) until {@code resources} has no open file, no outstanding buffer and
	 * nothing in flight — counters are published once per loop turn — and returns the last snapshot.
	 */
	static AioStats settle(AioResources resources, java.time.Duration bound) throws InterruptedException {
		long deadline = System.nanoTime() + bound.toNanos();
		AioStats stats = resources.stats();
		while ((stats.openFiles() > 0 || stats.outstandingBuffers() > 0 || stats.inFlight() > 0)
				&& System.nanoTime() < deadline) {
			Thread.sleep(10);
			stats = resources.stats();
		}
		return stats;
	}

	/** A direct buffer of {@code size} bytes at a 4096-aligned address. */
	static ByteBuffer alignedDirect(int size) {
		return ByteBuffer.allocateDirect(size + 8192).alignedSlice(4096).limit(size).slice();
	}

	/** A direct buffer of {@code size} bytes whose address is deliberately not 512-aligned. */
	static ByteBuffer misalignedDirect(int size) {
		ByteBuffer raw = ByteBuffer.allocateDirect(size + 4096 + 1);
		int offset = raw.alignmentOffset(0, 4096);
		int start = (4096 - offset) % 4096 + 1;
		return raw.position(start).limit(start + size).slice();
	}
}
