package dev.reactoraio.internal.flow;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.reactoraio.Aio;
import dev.reactoraio.AioBackend;
import dev.reactoraio.AioIOException;
import dev.reactoraio.AioOpenOption;
import dev.reactoraio.AioResources;
import dev.reactoraio.AsyncFile;
import dev.reactoraio.internal.core.FileHandle;
import dev.reactoraio.internal.core.IoErrors;
import dev.reactoraio.internal.core.IoRequest;
import dev.reactoraio.internal.jnr.Errno;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the kernel says about a misaligned O_DIRECT transfer when nothing bounces it (a request built
 * by hand, below the public API): EINVAL, reported with errno, operation and position. The public API
 * makes the same transfer legal.
 */
class DirectMisalignmentTest {

	@TempDir
	Path dir;

	@ParameterizedTest
	@EnumSource(value = AioBackend.class, names = {"IO_URING", "LIBAIO"})
	void misalignedDirectReadIsEinvalWithoutBouncing(AioBackend backend) throws Exception {
		assumeTrue(Aio.isAvailable(backend), () -> backend + ": " + Aio.unavailabilityCause(backend));
		Path path = Files.write(dir.resolve("direct.bin"), new byte[1 << 16]);
		AioResources resources = AioResources.builder("einval").backend(backend).build();
		try {
			AsyncFile file = AsyncFile.open(path, Set.of(StandardOpenOption.READ, AioOpenOption.DIRECT), resources).block();
			FileHandle handle = ((DefaultAsyncFile) file).handle();
			assumeTrue(handle.offsetAlignment > 1, "the file system reports no O_DIRECT alignment");
			ByteBuffer misaligned = ByteBuffer.allocateDirect(3 * 4096).alignedSlice(4096).position(1).limit(4097).slice();
			CompletableFuture<Throwable> outcome = new CompletableFuture<>();
			handle.loop.execute(() -> handle.loop.submit(IoRequest.transfer(IoRequest.READ, handle, misaligned, 1,
					(request, result) -> outcome.complete(result < 0 ? IoErrors.of(request, result) : null))));
			Throwable error = outcome.get(30, TimeUnit.SECONDS);
			AioIOException e = assertInstanceOf(AioIOException.class, error, String.valueOf(error));
			assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
			assertEquals(1, e.position());
			assertEquals("read of 4096 bytes at position 1 of " + path + " failed: EINVAL (Invalid argument)", e.getMessage());
			assertEquals(4096, file.read(misaligned.clear(), 1).block(), "the public API bounces the same read");
			file.close().block();
		}
		finally {
			resources.disposeLater().block();
		}
	}
}
