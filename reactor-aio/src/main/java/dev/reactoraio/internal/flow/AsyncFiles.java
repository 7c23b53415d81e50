package dev.reactoraio.internal.flow;

import java.nio.ByteBuffer;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

import dev.reactoraio.AioResources;
import dev.reactoraio.AsyncFile;
import dev.reactoraio.BufferProvider;
import dev.reactoraio.internal.core.IoLoop;
import dev.reactoraio.internal.core.OpenSpec;
import dev.reactoraio.internal.runtime.DefaultAioResources;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The static entry points behind {@link AsyncFile#open} and {@link dev.reactoraio.AioFiles}. */
public final class AsyncFiles {

	private AsyncFiles() {
	}

	public static Mono<AsyncFile> open(Path path, Set<? extends OpenOption> options, AioResources resources) {
		return open(path, options, resources, false);
	}

	/**
	 * As {@link #open(Path, Set, AioResources)}; {@code allowAppend} lets whole-file writers (whose writes
	 * go one after the other) open with the kernel's O_APPEND. Every write of such a file goes to its
	 * end, whatever position it names.
	 */
	public static Mono<AsyncFile> open(Path path, Set<? extends OpenOption> options, AioResources resources,
			boolean allowAppend) {
		Objects.requireNonNull(path, "path");
		Objects.requireNonNull(options, "options");
		Objects.requireNonNull(resources, "resources");
		OpenSpec spec;
		try {
			spec = OpenSpec.of(path, options, allowAppend);
		}
		catch (RuntimeException e) {
			return Mono.error(e);
		}
		if (!(resources instanceof DefaultAioResources)) {
			return Mono.error(new IllegalArgumentException("resources must come from AioResources.builder() or global()"));
		}
		DefaultAioResources runtime = (DefaultAioResources) resources;
		return Mono.defer(() -> {
			IoLoop loop = runtime.nextLoop();
			return new MonoFileOp<AsyncFile>(loop, op -> loop.open(spec, (handle, error) -> {
				if (handle == null) {
					op.fail(error != null ? error : new IllegalStateException("open failed"));
				}
				else {
					if (runtime.spreadsReads()) {
						handle.spreadReads(runtime.loops());
					}
					op.succeed(new DefaultAsyncFile(handle, runtime.readahead()));
				}
			}), file -> file.close().subscribe(null, e -> { }), null);
		});
	}

	public static Flux<ByteBuffer> readAll(Path path, int chunkSize, AioResources resources, OpenOption... options) {
		Objects.requireNonNull(path, "path");
		Objects.requireNonNull(resources, "resources");
		if (chunkSize <= 0) {
			return Flux.error(new IllegalArgumentException("chunkSize must be > 0, was " + chunkSize));
		}
		Set<OpenOption> set = new HashSet<>(Arrays.asList(options));
		if (set.contains(StandardOpenOption.WRITE) || set.contains(StandardOpenOption.APPEND)) {
			return Flux.error(new IllegalArgumentException("WRITE and APPEND are not allowed when reading"));
		}
		if (!(resources instanceof DefaultAioResources)) {
			return Flux.error(new IllegalArgumentException("resources must come from AioResources.builder() or global()"));
		}
		OpenSpec spec;
		try {
			spec = set.isEmpty() ? OpenSpec.forReading(path, false) : OpenSpec.of(path, set);
		}
		catch (RuntimeException e) {
			return Flux.error(e);
		}
		return new FluxReadFile<>((DefaultAioResources) resources, spec, chunkSize, BufferProvider.heapByteBuffers());
	}

	/**
	 * The whole file as one array, the reactive {@code Files.readAllBytes}: READ and NOFOLLOW_LINKS are the
	 * options that make sense; the rest are refused as FileChannel refuses them for reading.
	 */
	public static Mono<byte[]> readAllBytes(Path path, AioResources resources, OpenOption... options) {
		Objects.requireNonNull(path, "path");
		Objects.requireNonNull(resources, "resources");
		boolean noFollow = false;
		for (OpenOption option : options) {
			if (option == java.nio.file.LinkOption.NOFOLLOW_LINKS) {
				noFollow = true;
			}
			else if (option != StandardOpenOption.READ) {
				return Mono.error(new IllegalArgumentException(option + " not allowed: readAllBytes takes READ and "
						+ "NOFOLLOW_LINKS (for O_DIRECT or ranges, use AsyncFile.readChunks)"));
			}
		}
		if (!(resources instanceof DefaultAioResources)) {
			return Mono.error(new IllegalArgumentException("resources must come from AioResources.builder() or global()"));
		}
		return new MonoReadAllBytes((DefaultAioResources) resources, OpenSpec.forReading(path, noFollow));
	}

	public static Mono<Long> writeAll(Publisher<? extends ByteBuffer> source, Path path, AioResources resources,
			OpenOption... options) {
		Objects.requireNonNull(source, "source");
		Objects.requireNonNull(path, "path");
		Set<OpenOption> set = new HashSet<>(Arrays.asList(options));
		if (set.contains(StandardOpenOption.READ)) {
			return Mono.error(new IllegalArgumentException("READ is not allowed when writing"));
		}
		if (set.isEmpty()) {
			set.add(StandardOpenOption.CREATE);
			set.add(StandardOpenOption.TRUNCATE_EXISTING);
		}
		if (set.contains(StandardOpenOption.APPEND) && set.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
			return Mono.error(new IllegalArgumentException("APPEND + TRUNCATE_EXISTING not allowed"));
		}
		set.add(StandardOpenOption.WRITE);
		// with APPEND the kernel puts every write at the end (O_APPEND): the position is not used
		return Mono.usingWhen(open(path, set, resources, true), file -> file.write(source, 0),
				AsyncFile::close, (file, error) -> file.close(), AsyncFile::close);
	}
}
