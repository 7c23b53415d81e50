package dev.reactoraio.internal.flow;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import dev.reactoraio.Aio;
import dev.reactoraio.AioBackend;
import dev.reactoraio.AioResources;
import dev.reactoraio.AsyncFile;
import org.testng.SkipException;

/** Resources and files shared by the TCK verifications of one backend. */
final class TckFiles {

	/** Chunks of one byte: an element per byte, so a sparse file can hold {@link #MAX_ELEMENTS} of them. */
	static final int CHUNK = 1;
	static final long MAX_ELEMENTS = Integer.MAX_VALUE;

	final AioResources resources;
	final Path dir;
	final AsyncFile sparse;

	TckFiles(AioBackend backend) {
		Throwable cause = Aio.unavailabilityCause(backend);
		if (cause != null) {
			throw new SkipException(backend + " is not available here: " + cause);
		}
		try {
			this.resources = AioResources.builder("tck-" + backend.name().toLowerCase()).backend(backend).build();
			this.dir = Files.createTempDirectory("reactor-aio-tck");
			this.sparse = AsyncFile.open(sized(MAX_ELEMENTS), Set.of(), resources).block();
		}
		catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/** A (sparse) file of {@code size} bytes, created once per size. */
	Path sized(long size) throws IOException {
		Path file = dir.resolve("size-" + size);
		if (!Files.exists(file)) {
			try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
				raf.setLength(size);
			}
		}
		return file;
	}

	void dispose() throws IOException {
		sparse.close().block();
		resources.disposeLater().block();
		try (var files = Files.list(dir)) {
			for (Path file : (Iterable<Path>) files::iterator) {
				Files.delete(file);
			}
		}
		Files.delete(dir);
	}
}
