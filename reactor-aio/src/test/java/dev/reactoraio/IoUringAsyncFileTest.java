package dev.reactoraio;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The behaviour contract on the io_uring backend, and what only io_uring does (direct descriptors, chains). */
class IoUringAsyncFileTest extends AsyncFileContract {

	@Override
	protected AioBackend backend() {
		return AioBackend.IO_URING;
	}

	/**
	 * A small ring with thousands of whole-file reads queued: reads of files over a chain's 60 KiB go on
	 * through their direct descriptor and hold it while they wait for ring room, so chains run out of free
	 * descriptors and fall back to the separate operations. Every file must still come back whole, the
	 * loop must not recurse through the queue (a stack overflow had left it stalled with the queue full),
	 * and every descriptor must be closed at the end.
	 */
	@Test
	void thousandsOfQueuedWholeFileReadsOnASmallRing() throws Exception {
		AioResources small = AioResources.builder("small-ring").backend(AioBackend.IO_URING).ringEntries(4).build();
		try {
			List<Path> files = new ArrayList<>();
			for (int i = 0; i < 20; i++) {
				files.add(TestFiles.randomFile(dir, "queued-" + i, random, 62_000 + i));
			}
			// where chains find no free descriptor, files are opened the ordinary way, all of them before the
			// reads queued behind: keep under the process's descriptor limit, as a thread per file would
			int n = (int) Math.min(Math.max(2_000, 20_000 * SCALE), openFileLimit() / 2);
			long total = Flux.range(0, n)
					.flatMap(i -> AioFiles.readAllBytes(files.get(i % files.size()), small), n)
					.map(b -> (long) b.length).reduce(0L, Long::sum).block(Duration.ofSeconds(120));
			long expected = 0;
			for (int i = 0; i < n; i++) {
				expected += 62_000 + i % files.size();
			}
			assertEquals(expected, total);
			AioStats stats = TestFiles.settle(small, Duration.ofSeconds(5));
			assertEquals(0, stats.openFiles(), stats::toString);
			assertEquals(0, stats.failed(), () -> "falling back is no failure: " + stats);
		}
		finally {
			small.disposeLater().block(TIMEOUT);
		}
	}

	/** The soft RLIMIT_NOFILE of this process, from /proc/self/limits (1024 when it cannot be read). */
	private static long openFileLimit() throws IOException {
		for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
			if (line.startsWith("Max open files")) {
				String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
				return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
			}
		}
		return 1024;
	}

	/**
	 * Cancelling a stream of a pipe while its open waits for the first bytes (the chain's read of a pipe
	 * whose writer keeps it open and silent) cancels that chain: the resources then dispose at once.
	 */
	@Test
	void cancellingTheStreamOfASilentPipeLetsTheResourcesGo() throws Exception {
		Path fifo = dir.resolve("silent-fifo");
		assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo");
		AioResources own = AioResources.builder("silent-pipe").backend(AioBackend.IO_URING).build();
		CountDownLatch release = new CountDownLatch(1);
		Thread writer = new Thread(() -> {
			try (OutputStream out = Files.newOutputStream(fifo)) {
				release.await(20, TimeUnit.SECONDS);
			}
			catch (IOException | InterruptedException e) {
				throw new IllegalStateException(e);
			}
		});
		writer.start();
		try {
			Disposable stream = AioFiles.read(fifo, 4096, own).subscribe();
			Disposable whole = AioFiles.readAllBytes(fifo, own).subscribe();
			Thread.sleep(300);
			stream.dispose();
			whole.dispose();
			own.disposeLater().block(Duration.ofSeconds(5));
		}
		finally {
			release.countDown();
			writer.join(TIMEOUT.toMillis());
			own.disposeLater().block(TIMEOUT);
		}
	}
}
