package dev.reactoraio;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A loop whose completions keep issuing reads of page-cached data (each completes inside its own
 * submission) must still run its tasks: a size query, and the close that ends the readers. Before the
 * loop bounded what one turn reaps, 16 such readers held it for good, and close never ran.
 */
class CloseUnderReadLoadTest {

	private static final int SIZE = 1 << 20;
	private static final int BLOCK = 4096;

	@TempDir
	Path dir;

	@ParameterizedTest
	@EnumSource(value = AioBackend.class, names = {"IO_URING", "LIBAIO"})
	void tasksAndCloseRunWhileReadersReissueFromTheirCompletions(AioBackend backend) throws Exception {
		EnvironmentExpectationTest.assumeAvailable(backend);
		AioResources resources = AioResources.builder("close-under-load-" + backend).backend(backend).rings(1).build();
		try {
			byte[] content = new byte[SIZE];
			new SplittableRandom(11).nextBytes(content);
			Path path = Files.write(dir.resolve("cached.bin"), content);
			AtomicLong ended = new AtomicLong();
			for (int round = 0; round < 30; round++) {
				Set<OpenOption> options = round % 3 == 0 ? Set.of(StandardOpenOption.READ, AioOpenOption.DIRECT)
						: Set.of(StandardOpenOption.READ);
				AsyncFile file = AsyncFile.open(path, options, resources).block(Duration.ofSeconds(10));
				Mono<Long> readers = Flux.range(0, 16)
						.flatMap(lane -> {
							ByteBuffer buffer = TestFiles.alignedDirect(BLOCK);
							SplittableRandom random = new SplittableRandom(lane);
							return Mono.defer(() -> file.read(buffer.clear(),
											(long) random.nextInt(SIZE / BLOCK) * BLOCK))
									.repeat()
									.onErrorResume(ClosedChannelException.class, e -> { // AsynchronousCloseException too
										ended.incrementAndGet();
										return Mono.empty();
									});
						}, 16)
						.count();
				Mono<Void> sizeThenClose = Mono.delay(Duration.ofMillis(round % 5), Schedulers.parallel())
						.then(file.size())
						.doOnNext(size -> assertEquals(SIZE, size))
						.then(Mono.defer(file::close));
				Mono.when(readers, sizeThenClose).block(Duration.ofSeconds(20));
			}
			assertEquals(30 * 16, ended.get(), "every reader ends with the close");
		}
		finally {
			resources.dispose();
		}
	}
}
