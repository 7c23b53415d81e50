package dev.reactoraio;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import reactor.core.publisher.Flux;

/**
 * The tiny program {@link JvmFlagsTest} runs in a JVM of its own: prints the backend AUTO chooses, the
 * cause io_uring is unavailable (if it is), and whether the global resources read back a file they
 * just wrote. One {@code key=value} line each.
 */
public final class JvmFlagsMain {

	private JvmFlagsMain() {
	}

	/** @param args {@code nio}: only the global resources (run with {@code -Dreactoraio.backend=nio}), no probe */
	public static void main(String[] args) throws Exception {
		if (!Arrays.asList(args).contains("nio")) {
			Throwable cause = Aio.unavailabilityCause(AioBackend.IO_URING);
			System.out.println("auto=" + Aio.autoBackend());
			System.out.println("cause=" + (cause == null ? "none" : cause.getMessage()));
		}
		Path file = Files.createTempFile("jvm-flags-", ".bin");
		try {
			byte[] bytes = {1, 2, 3, 4, 5};
			AioResources global = AioResources.global();
			AioFiles.write(Flux.just(ByteBuffer.wrap(bytes)), file, StandardOpenOption.WRITE).block();
			byte[] back = TestFiles.toBytes(AioFiles.read(file, 64).blockFirst());
			System.out.println("global=" + global.backend());
			System.out.println("works=" + Arrays.equals(bytes, back));
			global.disposeLater().block();
		}
		catch (Throwable t) {
			System.out.println("works=false " + t);
			t.printStackTrace();
		}
		finally {
			Files.deleteIfExists(file);
		}
	}
}
