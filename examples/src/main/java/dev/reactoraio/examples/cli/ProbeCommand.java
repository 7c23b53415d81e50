package dev.reactoraio.examples.cli;

import java.util.concurrent.Callable;

import dev.reactoraio.Aio;
import picocli.CommandLine.Command;

/** {@code probe}: what the kernel offers and which backend reactor-aio picks. */
@Command(name = "probe", mixinStandardHelpOptions = true,
		description = "Print the engine diagnostics: kernel, limits, io_uring setup flags, features and opcodes, "
				+ "kernel AIO, and the backend AUTO chooses (with the reason others are not used).")
public final class ProbeCommand implements Callable<Integer> {

	@Override
	public Integer call() {
		System.out.print(Aio.describe());
		return 0;
	}
}
