package dev.reactoraio.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

import dev.reactoraio.Aio;
import dev.reactoraio.AioFiles;
import dev.reactoraio.AioResources;

/**
 * The reactor-aio command line: {@code demo} streams a generated file through {@link AioFiles#read}
 * and prints the backend and the throughput; {@code probe} prints what the kernel offers.
 */
public final class Cli {

	private Cli() {
	}

	public static void main(String[] args) throws IOException {
		String command = args.length == 0 ? "demo" : args[0];
		PrintStream out = System.out;
		switch (command) {
			case "demo":
				demo(out, args.length > 1 ? Long.parseLong(args[1]) << 20 : 512L << 20);
				break;
			case "probe":
				out.print(Aio.describe());
				break;
			default:
				System.err.println("usage: reactor-aio-examples.jar [demo [MiB] | probe]");
				System.exit(2);
		}
	}

	static void demo(PrintStream out, long size) throws IOException {
		Path dir = Files.createTempDirectory("reactor-aio-demo");
		Path file = dir.resolve("data.bin");
		try {
			generate(file, size);
			AioResources resources = AioResources.global();
			out.printf(Locale.ROOT, "reactor-aio demo: backend %s, %d MiB file in %s%n", resources.backend(),
					size >> 20, dir);
			for (int round = 1; round <= 3; round++) {
				long start = System.nanoTime();
				long bytes = AioFiles.read(file, 1 << 20)
						.map(ByteBuffer::remaining)
						.reduce(0L, (sum, n) -> sum + n)
						.block();
				double seconds = (System.nanoTime() - start) / 1e9;
				out.printf(Locale.ROOT, "  round %d: AioFiles.read streamed %d MiB in %.3f s = %.0f MB/s%n", round,
						bytes >> 20, seconds, bytes / seconds / 1e6);
			}
			out.println("  " + resources.stats());
		}
		finally {
			Files.deleteIfExists(file);
			Files.deleteIfExists(dir);
		}
	}

	private static void generate(Path file, long size) throws IOException {
		ByteBuffer block = ByteBuffer.allocateDirect(1 << 20);
		byte[] random = new byte[1 << 20];
		ThreadLocalRandom.current().nextBytes(random);
		try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
			for (long written = 0; written < size; written += block.capacity()) {
				block.clear().put(random).flip();
				while (block.hasRemaining()) {
					channel.write(block);
				}
			}
		}
	}
}
