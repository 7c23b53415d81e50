package dev.reactoraio.examples;

import dev.reactoraio.examples.cli.ChecksumCommand;
import dev.reactoraio.examples.cli.CopyCommand;
import dev.reactoraio.examples.cli.DemoCommand;
import dev.reactoraio.examples.cli.EtlCommand;
import dev.reactoraio.examples.cli.ProbeCommand;
import dev.reactoraio.examples.cli.ServeCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The reactor-aio command line: {@code demo} runs the three examples side by side with the JDK/Spring
 * way of doing the same job; {@code probe}, {@code copy}, {@code checksum}, {@code etl} and {@code serve}
 * run one piece each. {@code --help} on any command says more.
 */
@Command(name = "reactor-aio-examples.jar", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
		description = "Linux asynchronous file I/O (io_uring, kernel AIO) as Project Reactor Flux and Mono: examples.",
		subcommands = {DemoCommand.class, ProbeCommand.class, CopyCommand.class, ChecksumCommand.class,
				EtlCommand.class, ServeCommand.class, CommandLine.HelpCommand.class})
public final class Cli implements Runnable {

	@CommandLine.Spec
	CommandLine.Model.CommandSpec spec;

	public static void main(String[] args) {
		System.exit(commandLine().execute(args));
	}

	/** {@return the command line, for tests} */
	public static CommandLine commandLine() {
		return new CommandLine(new Cli()).setCaseInsensitiveEnumValuesAllowed(true);
	}

	@Override
	public void run() {
		spec.commandLine().usage(spec.commandLine().getOut());
	}

	/** The version from the jar's manifest, when there is one. */
	static final class Version implements CommandLine.IVersionProvider {
		@Override
		public String[] getVersion() {
			String version = Cli.class.getPackage().getImplementationVersion();
			return new String[] {"reactor-aio examples " + (version != null ? version : "(development build)")};
		}
	}
}
