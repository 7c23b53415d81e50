package dev.reactoraio.examples.cli;

import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.Callable;

import dev.reactoraio.AioFiles;
import dev.reactoraio.AioResources;
import dev.reactoraio.AsyncFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import reactor.core.publisher.Mono;

/** {@code copy SRC DST}: a streaming copy through reactor-aio, with progress, then fsync. */
@Command(name = "copy", mixinStandardHelpOptions = true,
		description = "Copy a file through reactor-aio: streaming reads (at most readahead in flight), streaming "
				+ "writes, then fsync. Memory stays bounded whatever the size.")
public final class CopyCommand implements Callable<Integer> {

	@Parameters(index = "0", description = "the file to copy")
	Path source;

	@Parameters(index = "1", description = "the copy (created or replaced)")
	Path target;

	@Option(names = "--chunk", defaultValue = "1m", converter = Units.SizeConverter.class,
			description = "bytes per read (default: ${DEFAULT-VALUE})")
	long chunk;

	@Override
	public Integer call() {
		AioResources resources = AioResources.global();
		long size = AsyncFile.open(source).flatMap(file -> file.size().flatMap(n -> file.close().thenReturn(n)))
				.block();
		long written;
		try (Progress progress = new Progress(System.out, "copy", size)) {
			written = Mono.usingWhen(AsyncFile.open(target, Set.of(StandardOpenOption.CREATE,
									StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), resources),
							file -> file.write(AioFiles.read(source, Math.toIntExact(chunk), resources)
											.doOnNext(buffer -> progress.add(buffer.remaining())), 0)
									.flatMap(n -> file.force(true).thenReturn(n)),
							AsyncFile::close, (file, error) -> file.close(), AsyncFile::close)
					.block();
			progress.suffix("(" + resources.backend() + ", fsync included)");
		}
		return written == size ? 0 : 1;
	}
}
