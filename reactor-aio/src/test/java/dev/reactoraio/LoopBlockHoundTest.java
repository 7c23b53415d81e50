package dev.reactoraio;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Set;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * With BlockHound installed (and Reactor's and reactor-aio's integrations loaded from the classpath),
 * the public API never blocks a loop thread or a Reactor non-blocking thread, on any backend. The
 * control case proves BlockHound is watching: a subscriber that sleeps on a loop thread is caught.
 * Runs in a JVM of its own (surefire execution "blockhound").
 */
class LoopBlockHoundTest {

	private static final Duration TIMEOUT = Duration.ofSeconds(60);

	@TempDir
	Path dir;

	@BeforeAll
	static void install() {
		BlockHound.install();
	}

	@ParameterizedTest
	@EnumSource(value = AioBackend.class, names = {"IO_URING", "LIBAIO", "NIO"})
	void thePublicApiNeverBlocksANonBlockingThread(AioBackend backend) throws Exception {
		assumeTrue(Aio.isAvailable(backend), () -> backend + ": " + Aio.unavailabilityCause(backend));
		byte[] content = TestFiles.randomBytes(new java.util.Random(5), 3 << 20);
		Path file = Files.write(dir.resolve("bh-" + backend + ".bin"), content);
		AioResources resources = AioResources.builder("bh").backend(backend).ringEntries(16).build();
		try {
			// everything is subscribed from Reactor's parallel (non-blocking) threads and delivered on loop threads
			Mono<byte[]> job = AsyncFile.open(file, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE), resources)
					.flatMap(f -> f.readChunks(0, Long.MAX_VALUE, 65536)
							.collectList().map(AsyncFileContract::concat)
							.flatMap(bytes -> f.write(Flux.range(0, 16).map(i -> ByteBuffer.allocate(4096)), 1 << 22)
									.then(f.force(true))
									.then(f.size())
									.then(f.truncate(content.length))
									.then(f.read(ByteBuffer.allocateDirect(4096), 100))
									.then(Mono.just(bytes)))
							.flatMap(bytes -> f.close().thenReturn(bytes)))
					.subscribeOn(Schedulers.parallel());
			assertArrayEquals(content, job.block(TIMEOUT));
			byte[] again = AioFiles.read(file, 1 << 20, resources).subscribeOn(Schedulers.parallel())
					.collectList().map(AsyncFileContract::concat).block(TIMEOUT);
			assertArrayEquals(content, again);
			Path copy = dir.resolve("copy-" + backend);
			assertEquals((long) content.length, AioFiles.write(AioFiles.read(file, 65536, resources), copy, resources)
					.subscribeOn(Schedulers.parallel()).block(TIMEOUT));
		}
		finally {
			resources.disposeLater().block(TIMEOUT);
		}
	}

	@Test
	void anIdleNioLoopParksWithoutComplaint() throws Exception {
		Path file = Files.write(dir.resolve("idle.bin"), new byte[4096]);
		AioResources resources = AioResources.builder("bh-idle").backend(AioBackend.NIO).build();
		try {
			AsyncFile f = AsyncFile.open(file, Set.of(), resources).block(TIMEOUT);
			Thread.sleep(200); // the loop has nothing to do: it parks
			assertEquals(4096, f.read(ByteBuffer.allocate(4096), 0).block(TIMEOUT));
			Thread.sleep(200);
			f.close().block(TIMEOUT);
		}
		finally {
			resources.disposeLater().block(TIMEOUT);
		}
	}

	@Test
	void aSubscriberBlockingOnALoopThreadIsCaught() throws Exception {
		Path file = Files.write(dir.resolve("control.bin"), new byte[100_000]);
		AioResources resources = AioResources.builder("bh-control").build();
		try {
			StepVerifier.create(AioFiles.read(file, 4096, resources).doOnNext(b -> {
				try {
					Thread.sleep(1);
				}
				catch (InterruptedException e) {
					Thread.currentThread().interrupt();
				}
			})).expectErrorMatches(e -> e instanceof BlockingOperationError).verify(TIMEOUT);
		}
		finally {
			resources.disposeLater().block(TIMEOUT);
		}
	}
}
