package dev.reactoraio;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import dev.reactoraio.internal.aio.AioProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What only the kernel AIO engine does: O_DIRECT transfers through io_submit (not the pool), fsync
 * through IOCB_CMD_FDSYNC, many files on one context, and a context far smaller than the load.
 */
@Timeout(120)
class LibaioEngineTest {

	private static final Duration TIMEOUT = Duration.ofSeconds(60);

	@TempDir
	Path dir;

	private final Random random = new Random(42);
	private AioResources resources;

	@BeforeEach
	void resources() {
		assumeTrue(Aio.isAvailable(AioBackend.LIBAIO), () -> "kernel AIO is not available: "
				+ Aio.unavailabilityCause(AioBackend.LIBAIO));
		resources = AioResources.builder("libaio").backend(AioBackend.LIBAIO).rings(1).ringEntries(2).build();
	}

	@AfterEach
	void dispose() {
		if (resources != null) {
			resources.disposeLater().block(TIMEOUT);
		}
	}

	private AsyncFile openDirect(Path file, StandardOpenOption... options) {
		List<java.nio.file.OpenOption> all = new ArrayList<>(List.of(options));
		all.add(AioOpenOption.DIRECT);
		return AsyncFile.open(file, Set.copyOf(all), resources).block(TIMEOUT);
	}

	@Test
	void directTransfersGoThroughIoSubmitEvenWhenTheContextIsTiny() throws Exception {
		byte[] content = TestFiles.randomBytes(random, 4 << 20);
		Path file = Files.write(dir.resolve("direct.bin"), content);
		AsyncFile f = openDirect(file);
		try {
			AioStats before = resources.stats();
			long total = Flux.range(0, 5000)
					.flatMap(i -> {
						long position = 4096L * random.nextInt(1000);
						ByteBuffer buffer = TestFiles.alignedDirect(4096);
						return f.read(buffer, position).map(n -> {
							assertArrayEquals(java.util.Arrays.copyOfRange(content, (int) position, (int) position + 4096),
									TestFiles.toBytes(buffer.flip()));
							return n;
						});
					}, 5000)
					.reduce(0L, Long::sum)
					.block(TIMEOUT);
			assertEquals(5000L * 4096, total);
			AioStats after = resources.stats();
			assertEquals(4, after.capacity(), "io_setup(2 x ringEntries)");
			assertTrue(after.peakInFlight() <= after.capacity(), after::toString);
			// reads carry RWF_NOWAIT: one that would block inside io_submit comes back EAGAIN and is retried on the pool
			long pooled = after.offloaded() - before.offloaded();
			assertTrue(pooled < 5000 / 2, () -> "aligned direct reads go through io_submit, not the pool: " + after);
			assertEquals(0, after.failed() - before.failed());
		}
		finally {
			f.close().block(TIMEOUT);
		}
	}

	@Test
	void directWritesAndFdatasync() throws Exception {
		Path file = dir.resolve("synced.bin");
		AsyncFile f = openDirect(file, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE);
		byte[] model = new byte[1 << 20];
		try {
			for (int i = 0; i < 100; i++) {
				int position = 4096 * random.nextInt(200);
				byte[] data = TestFiles.randomBytes(random, 4096 * (1 + random.nextInt(8)));
				assertEquals(data.length, f.write(TestFiles.alignedDirect(data.length).put(data).flip(), position)
						.block(TIMEOUT));
				System.arraycopy(data, 0, model, position, data.length);
			}
			long offloadedBefore = resources.stats().offloaded();
			f.force(false).block(TIMEOUT);
			if (AioProbe.get().supportsFsync()) {
				assertEquals(offloadedBefore, resources.stats().offloaded(), "fdatasync went through io_submit");
			}
			int size = (int) (long) f.size().block(TIMEOUT);
			assertArrayEquals(java.util.Arrays.copyOf(model, size), Files.readAllBytes(file));
		}
		finally {
			f.close().block(TIMEOUT);
		}
	}

	@Test
	void manyFilesAtOnce() throws Exception {
		List<byte[]> contents = new ArrayList<>();
		List<AsyncFile> files = new ArrayList<>();
		try {
			for (int i = 0; i < 48; i++) {
				byte[] content = TestFiles.randomBytes(random, 256 * 1024);
				contents.add(content);
				files.add(openDirect(Files.write(dir.resolve("f" + i + ".bin"), content)));
			}
			List<byte[]> read = Flux.range(0, files.size())
					.flatMapSequential(i -> files.get(i).readChunks(0, Long.MAX_VALUE, 65536)
							.collectList().map(AsyncFileContract::concat), 48)
					.collectList()
					.block(TIMEOUT);
			for (int i = 0; i < files.size(); i++) {
				assertArrayEquals(contents.get(i), read.get(i), "file " + i);
			}
			assertEquals(48, resources.stats().openFiles());
		}
		finally {
			Flux.fromIterable(files).flatMap(AsyncFile::close).blockLast(TIMEOUT);
		}
	}
}
