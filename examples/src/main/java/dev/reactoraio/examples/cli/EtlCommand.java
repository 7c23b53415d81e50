package dev.reactoraio.examples.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.reactoraio.AioResources;
import dev.reactoraio.examples.etl.CsvEtl;
import dev.reactoraio.examples.etl.CsvGenerator;
import dev.reactoraio.examples.etl.OrderTransform;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code etl IN OUT}: the reactive ETL on a CSV of orders. */
@Command(name = "etl", mixinStandardHelpOptions = true,
		description = {"Convert a CSV of orders (" + OrderTransform.INPUT_HEADER + ") to euros ("
				+ OrderTransform.OUTPUT_HEADER + "), streaming: chunked reads, lines split across chunks, "
				+ "streaming writes, fsync. Memory stays bounded whatever the size.",
				"With --generate SIZE, IN is first created with that many bytes of orders."})
public final class EtlCommand implements Callable<Integer> {

	@Parameters(index = "0", description = "the input CSV")
	Path input;

	@Parameters(index = "1", description = "the output CSV (created or replaced)")
	Path output;

	@Option(names = "--generate", converter = Units.SizeConverter.class, description = "generate IN first, e.g. 1g")
	Long generate;

	@Option(names = "--chunk", defaultValue = "1m", converter = Units.SizeConverter.class,
			description = "bytes per read (default: ${DEFAULT-VALUE})")
	long chunk;

	@Override
	public Integer call() throws Exception {
		AioResources resources = AioResources.global();
		if (generate != null) {
			try (Progress progress = new Progress(System.out, "generate", generate)) {
				CsvGenerator.generate(input, generate, 42, resources, progress).block();
			}
		}
		CsvEtl.Result result;
		try (Progress progress = new Progress(System.out, "etl     ", Files.size(input))) {
			result = CsvEtl.run(input, output, Math.toIntExact(chunk), resources, progress).block();
			progress.suffix(DemoCommand.etlSummary(result, chunk));
		}
		return 0;
	}
}
