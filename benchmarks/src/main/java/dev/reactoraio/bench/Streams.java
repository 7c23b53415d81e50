package dev.reactoraio.bench;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import dev.reactoraio.AioBackend;
import dev.reactoraio.AioFiles;
import dev.reactoraio.AioResources;
import dev.reactoraio.AsyncFile;
import dev.reactoraio.BufferProvider;
import dev.reactoraio.bench.Contender.Kind;
import dev.reactoraio.spring.AioDataBufferUtils;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** W3 (streaming read of a cached file) and W4 (streaming write, then force) contenders. */
final class Streams {

	static final int CHUNK = 1 << 20;

	private Streams() {
	}

	static AioResources resources(String name, AioBackend backend) {
		return AioResources.builder("bench-" + name).backend(backend).build();
	}

	/** {@code AioFiles.read}: a fresh heap chunk per read, the bytes copied out of a native buffer. */
	static Contender aioFilesRead(String name, AioBackend backend, Path file) {
		AioResources resources = resources(name, backend);
		return new Passes(name, Kind.LIBRARY, CHUNK, true, false,
				latency -> AioFiles.read(file, CHUNK, resources).reduce(0L, (sum, b) -> sum + b.remaining()).block(),
				() -> resources.disposeLater().block());
	}

	/** {@code readChunks} into pooled direct buffers: zero copy, each released once counted. */
	static Contender readChunksPooled(String name, AioBackend backend, Path file) {
		AioResources resources = resources(name, backend);
		BufferProvider<ByteBuffer> pool = BufferProvider.pooledDirectByteBuffers(16L * CHUNK);
		long size = file.toFile().length();
		return new Passes(name, Kind.LIBRARY, CHUNK, true, false,
				latency -> Mono.usingWhen(AsyncFile.open(file, Set.of(READ), resources),
						f -> f.readChunks(0, size, CHUNK, pool).reduce(0L, (sum, b) -> {
							long total = sum + b.remaining();
							pool.release(b);
							return total;
						}), AsyncFile::close).block(),
				() -> resources.disposeLater().block());
	}

	/** A {@code DataBufferUtils.read}-shaped call: Spring's, or reactor-aio's drop-in. */
	@FunctionalInterface
	interface DataBufferRead {
		Flux<DataBuffer> read(Path path, DataBufferFactory factory, int bufferSize);
	}

	/** A {@code DataBufferUtils.write}-shaped call: Spring's, or reactor-aio's drop-in. */
	@FunctionalInterface
	interface DataBufferWrite {
		Mono<Void> write(Flux<DataBuffer> buffers, Path path);
	}

	/** Spring's {@code DataBufferUtils.read}: an AsynchronousFileChannel, one read in flight. */
	static DataBufferRead springRead() {
		return DataBufferUtils::read;
	}

	/** reactor-aio's {@code AioDataBufferUtils.read}, on the given backend. */
	static DataBufferRead aioRead(AioResources resources) {
		return (path, factory, size) -> AioDataBufferUtils.read(path, 0, Long.MAX_VALUE, factory, size, resources);
	}

	/** Counts the bytes of the buffers and releases each one. */
	static Mono<Long> drain(Flux<DataBuffer> buffers) {
		return buffers.reduce(0L, (sum, b) -> {
			long total = sum + b.readableByteCount();
			DataBufferUtils.release(b);
			return total;
		});
	}

	/** A DataBuffer reader over the whole file, each buffer released once counted. */
	static Contender dataBufferRead(String name, Kind kind, DataBufferRead reader, DataBufferFactory factory,
			Path file, Runnable close) {
		return new Passes(name, kind, CHUNK, true, false, latency -> drain(reader.read(file, factory, CHUNK)).block(),
				close);
	}

	/** A plain loop of {@code FileChannel.read} into one 1 MiB direct buffer. */
	static Contender fileChannelRead(Path file) {
		ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK);
		return new Passes("FileChannel loop", Kind.JAVA_PEER, CHUNK, true, false, latency -> {
			long total = 0;
			try (FileChannel channel = FileChannel.open(file, READ)) {
				int n;
				while ((n = channel.read(buffer.clear())) >= 0) {
					total += n;
				}
			}
			return total;
		}, null);
	}

	static Contender fioRead(String engine, int depth, Path file) {
		return new Fio("fio " + engine + " qd" + depth, "read", d -> Fio.timeBased(d, "--filename=" + file,
				"--rw=read", "--bs=1m", "--ioengine=" + engine, "--iodepth=" + depth, "--invalidate=0",
				"--size=" + file.toFile().length()));
	}

	/** 1 MiB of random bytes, emitted as read-only duplicates: every writer writes the same content. */
	static ByteBuffer source() {
		byte[] bytes = new byte[CHUNK];
		new SplittableRandom(42).nextBytes(bytes);
		return ByteBuffer.allocateDirect(CHUNK).put(bytes).flip();
	}

	/** {@code AsyncFile.write(Publisher, 0)} then {@code force(true)}. */
	static Contender aioWrite(String name, AioBackend backend, Path file, long size) {
		AioResources resources = resources(name, backend);
		ByteBuffer source = source();
		return new Passes(name, Kind.LIBRARY, CHUNK, false, false,
				latency -> Mono.usingWhen(AsyncFile.open(file, Set.of(CREATE, WRITE), resources),
						f -> f.write(chunks(source, size), 0).flatMap(n -> f.force(true).thenReturn(n)),
						AsyncFile::close).block(),
				() -> resources.disposeLater().block());
	}

	static Flux<ByteBuffer> chunks(ByteBuffer source, long size) {
		return Flux.range(0, (int) (size / CHUNK)).map(i -> source.duplicate());
	}

	/** A loop of {@code FileChannel.write} then {@code force(true)}. */
	static Contender fileChannelWrite(Path file, long size) {
		ByteBuffer source = source();
		return new Passes("FileChannel loop", Kind.JAVA_PEER, CHUNK, false, false, latency -> {
			try (FileChannel channel = FileChannel.open(file, CREATE, WRITE)) {
				for (long position = 0; position < size; position += CHUNK) {
					ByteBuffer chunk = source.duplicate();
					while (chunk.hasRemaining()) {
						channel.write(chunk, position + chunk.position());
					}
				}
				channel.force(true);
			}
			return size;
		}, null);
	}

	/** A DataBuffer writer ({@code DataBufferUtils.write} or the drop-in), then {@code force(true)} on a channel. */
	static Contender dataBufferWrite(String name, Kind kind, DataBufferWrite writer, Path file, long size,
			Runnable close) {
		ByteBuffer source = source();
		return new Passes(name, kind, CHUNK, false, false, latency -> {
			writer.write(chunks(source, size).map(DefaultDataBufferFactory.sharedInstance::wrap), file).block();
			try (FileChannel channel = FileChannel.open(file, WRITE)) {
				channel.force(true);
			}
			return size;
		}, close);
	}

	static Contender fioWrite(String engine, int depth, Path file, long size) {
		return new Fio("fio " + engine + " qd" + depth, "write", d -> List.of("--filename=" + file, "--rw=write",
				"--bs=1m", "--ioengine=" + engine, "--iodepth=" + depth, "--size=" + size, "--end_fsync=1", "--invalidate=0"));
	}
}
