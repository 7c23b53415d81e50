package dev.reactoraio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What was written and forced survives a hard stop; what was never forced may be lost but never
 * corrupts what was. Two boots of a kernel-matrix VM (it-tests) on one data disk, each with one of
 * these tests (the others skip without their properties):
 * <ol>
 * <li>{@code -Dreactoraio.test.durable.seed=SEED}: on every backend at once (LIBAIO with O_DIRECT), a new
 * file is written from a seeded stream of bytes in randomly sized pieces, by streaming and single writes
 * from heap and direct buffers, with forces in between, and forced (the files' names are made durable
 * by an fsync of their folder: force covers a file's bytes, as FileChannel's does). One console line
 * {@code @@DURABLE <token>} then gives each file's forced length and CRC32C, and the writing goes on,
 * never forced, for {@link #UNFORCED_TIME} with the kernel's writeback made eager (dirty pages older than a
 * second go out, and ext4 commits every five seconds), so that some unforced bytes reach the disk and some
 * do not; then {@code @@STOP} asks the host to kill the VM (SIGKILL to QEMU) while the writers go on;</li>
 * <li>{@code -Dreactoraio.test.durable.forced=<token>}, on the next boot: every forced byte reads back as
 * written (through FileChannel, not the library under test), and past it each 512-byte sector holds what
 * was written there or zeros.</li>
 * </ol>
 * Both name the folder of the files with {@code -Dreactoraio.test.durable.dir}.
 */
class DurabilityTest {

	static final String DIR = "reactoraio.test.durable.dir";
	static final String SEED = "reactoraio.test.durable.seed";
	static final String FORCED = "reactoraio.test.durable.forced";

	private static final List<AioBackend> BACKENDS = List.of(AioBackend.IO_URING, AioBackend.LIBAIO, AioBackend.NIO);
	private static final Duration TIMEOUT = Duration.ofSeconds(120);
	/** How long the writer waits to be stopped after its {@code @@DURABLE} line before it fails. */
	private static final Duration STOP_DEADLINE = Duration.ofSeconds(120);
	/** The forced part of each file: at least this, up to twice as much. */
	private static final int FORCED_MIN = 4 << 20;
	/** How much each writer adds unforced at most (the data disk is 2 GiB). */
	private static final long UNFORCED_MAX = 64 << 20;
	/** How long the writers go on unforced before {@code @@STOP}: past a writeback period and an ext4 commit. */
	private static final Duration UNFORCED_TIME = Duration.ofSeconds(8);
	private static final int SECTOR = 512;

	@Test
	void writesForcesAndKeepsWritingUntilStopped() throws Exception {
		long seed = Long.parseLong(property(SEED));
		Path dir = Files.createDirectories(Path.of(property(DIR)));
		BACKENDS.forEach(EnvironmentExpectationTest::assumeAvailable);
		System.out.println(Aio.describe());
		// dirty pages go to the disk a second after they are written, not thirty: unforced bytes get there too
		Files.writeString(Path.of("/proc/sys/vm/dirty_expire_centisecs"), "100");
		Files.writeString(Path.of("/proc/sys/vm/dirty_writeback_centisecs"), "50");
		List<Writer> writers = new ArrayList<>();
		ExecutorService threads = Executors.newFixedThreadPool(BACKENDS.size());
		try {
			for (AioBackend backend : BACKENDS) {
				writers.add(new Writer(dir, backend, seed));
			}
			// force makes a file's bytes durable, not its name: that is the folder's fsync (as with FileChannel)
			try (FileChannel folder = FileChannel.open(dir, READ)) {
				folder.force(true);
			}
			List<Future<?>> forcing = writers.stream().<Future<?>>map(w -> threads.submit(w::writeAndForce)).toList();
			for (Future<?> forced : forcing) {
				forced.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
			}
			StringBuilder token = new StringBuilder("seed=").append(seed);
			for (Writer w : writers) {
				token.append(',').append(w.backend).append('=').append(w.written).append(':')
						.append(Long.toHexString(w.crc.getValue()));
			}
			System.out.println("@@DURABLE " + token);
			long stopAt = System.nanoTime() + UNFORCED_TIME.toNanos();
			writers.forEach(w -> threads.submit(() -> w.keepWriting(stopAt)));
			Thread.sleep(UNFORCED_TIME.toMillis());
			System.out.println("@@STOP");
			threads.shutdown();
			threads.awaitTermination(STOP_DEADLINE.toSeconds(), TimeUnit.SECONDS);
			fail("still running " + STOP_DEADLINE.toSeconds() + " s after the @@DURABLE line: the host was to stop this VM");
		}
		finally {
			threads.shutdownNow();
			for (Writer w : writers) {
				w.close();
			}
		}
	}

	@Test
	void forcedBytesSurviveTheHardStop() throws IOException {
		Map<String, String> token = new HashMap<>();
		for (String entry : property(FORCED).split(",")) {
			String[] nameAndValue = entry.split("=", 2);
			token.put(nameAndValue[0], nameAndValue[1]);
		}
		long seed = Long.parseLong(token.get("seed"));
		Path dir = Path.of(property(DIR));
		for (AioBackend backend : BACKENDS) {
			String[] lengthAndCrc = token.get(backend.name()).split(":");
			long forced = Long.parseLong(lengthAndCrc[0]);
			long crc = Long.parseLong(lengthAndCrc[1], 16);
			verify(dir.resolve(fileName(backend)), key(seed, backend), forced, crc);
		}
	}

	/** Checks the forced bytes one by one and their CRC, then the tail sector by sector. */
	private static void verify(Path file, long key, long forced, long crc) throws IOException {
		long size = Files.size(file);
		assertTrue(size >= forced, () -> file + ": " + size + " bytes, " + forced + " were forced");
		CRC32C checksum = new CRC32C();
		long tailWritten = 0;
		try (FileChannel channel = FileChannel.open(file, READ)) {
			ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
			for (long position = 0; position < forced; position += buffer.limit()) {
				read(channel, buffer, position, (int) Math.min(buffer.capacity(), forced - position));
				byte[] expected = pattern(key, position, buffer.limit());
				int mismatch = Arrays.mismatch(buffer.array(), 0, buffer.limit(), expected, 0, expected.length);
				long at = position + mismatch;
				assertEquals(-1, mismatch, () -> file + ": forced byte " + at + " differs from what was written");
				checksum.update(buffer.array(), 0, buffer.limit());
			}
			assertEquals(crc, checksum.getValue(), () -> file + ": CRC32C of the " + forced + " forced bytes");
			// never forced: each sector (or the part of it past the forced bytes) is what was written there, or zeros
			for (long position = forced; position < size; position += buffer.limit()) {
				long sectorEnd = Math.min(size, (position / SECTOR + 1) * SECTOR);
				read(channel, buffer, position, (int) (sectorEnd - position));
				byte[] piece = Arrays.copyOf(buffer.array(), buffer.limit());
				boolean written = Arrays.equals(piece, pattern(key, position, piece.length));
				long at = position;
				assertTrue(written || Arrays.equals(piece, new byte[piece.length]),
						() -> file + ": the unforced sector at " + at + " holds neither what was written nor zeros");
				tailWritten += written ? piece.length : 0;
			}
		}
		System.out.println("@@DURABLE verified " + file.getFileName() + ": " + forced + " forced bytes intact; "
				+ (size - forced) + " unforced bytes present, " + tailWritten + " of them as written, the rest zeros");
	}

	private static void read(FileChannel channel, ByteBuffer buffer, long position, int length) throws IOException {
		buffer.clear().limit(length);
		while (buffer.hasRemaining()) {
			if (channel.read(buffer, position + buffer.position()) < 0) {
				fail("end of file at " + (position + buffer.position()));
			}
		}
		buffer.flip();
	}

	private static String property(String name) {
		String value = System.getProperty(name);
		assumeTrue(value != null && !value.isBlank(), () -> "not this boot's test (-D" + name + ")");
		return value;
	}

	private static String fileName(AioBackend backend) {
		return backend.name().toLowerCase() + ".bin";
	}

	private static long key(long seed, AioBackend backend) {
		return mix(seed * 31 + backend.ordinal());
	}

	/** The byte stream of a file: byte {@code i} is a function of {@code key} and {@code i} alone. */
	static byte[] pattern(long key, long position, int length) {
		byte[] bytes = new byte[length];
		long word = 0;
		long wordIndex = -1;
		for (int i = 0; i < length; i++) {
			long p = position + i;
			if (p >>> 3 != wordIndex) {
				wordIndex = p >>> 3;
				word = mix(key + wordIndex * 0x9e3779b97f4a7c15L);
			}
			bytes[i] = (byte) (word >>> ((p & 7) << 3));
		}
		return bytes;
	}

	/** SplittableRandom's mix64. */
	private static long mix(long z) {
		z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
		z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
		return z ^ (z >>> 31);
	}

	/** One backend's file, written back to back from its pattern in pieces of random sizes and kinds. */
	private static final class Writer {

		final AioBackend backend;
		final AioResources resources;
		final AsyncFile file;
		final long key;
		final Random random;
		final CRC32C crc = new CRC32C();
		long written;

		Writer(Path dir, AioBackend backend, long seed) {
			this.backend = backend;
			this.key = key(seed, backend);
			this.random = new Random(key);
			this.resources = AioResources.builder("durable").backend(backend).build();
			Set<OpenOption> options = backend == AioBackend.LIBAIO ? Set.of(WRITE, CREATE_NEW, AioOpenOption.DIRECT)
					: Set.of(WRITE, CREATE_NEW);
			this.file = AsyncFile.open(dir.resolve(fileName(backend)), options, resources).block(TIMEOUT);
		}

		void writeAndForce() {
			long target = FORCED_MIN + random.nextInt(FORCED_MIN);
			while (written < target) {
				writeSome();
				if (random.nextInt(4) == 0) {
					file.force(random.nextBoolean()).block(TIMEOUT);
				}
			}
			file.force(random.nextBoolean()).block(TIMEOUT);
		}

		/** Writes unforced until {@code stopAt} ({@link System#nanoTime()}) and then on, slowly, until stopped. */
		void keepWriting(long stopAt) {
			long forced = written;
			while (written - forced < UNFORCED_MAX) {
				writeSome();
				if (System.nanoTime() - stopAt > 0) {
					LockSupport.parkNanos(10_000_000);
				}
			}
		}

		/** A few pieces at the end of the file: as one streaming write, or one single write after another. */
		private void writeSome() {
			long position = written;
			List<ByteBuffer> pieces = new ArrayList<>();
			for (int n = 1 + random.nextInt(8); n > 0; n--) {
				byte[] bytes = pattern(key, written, pieceSize());
				crc.update(bytes);
				written += bytes.length;
				pieces.add(random.nextBoolean() ? ByteBuffer.wrap(bytes)
						: ByteBuffer.allocateDirect(bytes.length).put(bytes).flip());
			}
			if (random.nextBoolean()) {
				assertEquals(written - position, file.write(Flux.fromIterable(pieces), position).block(TIMEOUT));
				return;
			}
			for (ByteBuffer piece : pieces) {
				while (piece.hasRemaining()) {
					position += file.write(piece, position).block(TIMEOUT);
				}
			}
		}

		/** Mostly small and misaligned, sometimes a large one. */
		private int pieceSize() {
			switch (random.nextInt(3)) {
				case 0:
					return 1 + random.nextInt(SECTOR);
				case 1:
					return 1 + random.nextInt(64 << 10);
				default:
					return (64 << 10) + random.nextInt(1 << 20);
			}
		}

		void close() {
			try {
				file.close().block(TIMEOUT);
			}
			finally {
				resources.disposeLater().block(TIMEOUT);
			}
		}
	}
}
