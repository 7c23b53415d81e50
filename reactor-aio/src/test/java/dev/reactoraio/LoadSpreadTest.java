package dev.reactoraio;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import dev.reactoraio.internal.core.IoLoop;
import dev.reactoraio.internal.runtime.DefaultAioResources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Files opened from a loop thread (the next file of a {@code flatMap}, whose drain runs on whichever loop
 * thread signals first) are spread over the loops: one loop draining must not take every new file.
 */
class LoadSpreadTest {

	@TempDir
	Path dir;

	@Test
	void aFlatMapOverManyFilesUsesEveryLoop() throws Exception {
		int count = 3000;
		List<Path> files = IntStream.range(0, count).mapToObj(i -> dir.resolve("f" + i)).toList();
		byte[] content = new byte[4096];
		for (Path file : files) {
			Files.write(file, content);
		}
		for (AioBackend backend : List.of(AioBackend.IO_URING, AioBackend.NIO)) {
			if (!Aio.isAvailable(backend)) {
				continue;
			}
			AioResources resources = AioResources.builder("spread-" + backend).backend(backend).rings(2).build();
			try {
				long bytes = Flux.fromIterable(files)
						.flatMap(file -> AioFiles.readAllBytes(file, resources), 64)
						.map(b -> (long) b.length)
						.reduce(0L, Long::sum)
						.block(Duration.ofSeconds(60));
				assertEquals((long) count * content.length, bytes);
				List<IoLoop> loops = ((DefaultAioResources) resources).loops();
				long total = loops.stream().mapToLong(l -> l.stats.submitted()).sum();
				for (IoLoop loop : loops) {
					long share = loop.stats.submitted();
					// the least busy loop gets the next file: a loop thread the host runs less often takes less
					// (16 % of them seen on a busy machine), but never next to nothing (1 % before the spreading)
					assertTrue(share >= total / 8, () -> backend + ": " + loop + " took " + share + " of " + total
							+ " requests");
				}
			}
			finally {
				resources.dispose();
			}
		}
	}
}
