package dev.reactoraio.bench;

import java.time.Duration;

/** One way of doing a workload: this library on a backend, a JDK or Spring peer, or fio. */
abstract class Contender {

	/** Who is measured: decides which ratios a row gets. */
	enum Kind {
		/** reactor-aio. */
		LIBRARY,
		/** A JDK or Spring way of doing the same thing. */
		JAVA_PEER,
		/** fio: what the machine can do. */
		FIO
	}

	private final String name;
	private final Kind kind;

	Contender(String name, Kind kind) {
		this.name = name;
		this.kind = kind;
	}

	final String name() {
		return name;
	}

	final Kind kind() {
		return kind;
	}

	/** Runs the workload for about {@code duration} (or once over its data, for one-pass workloads). */
	abstract Run run(Duration duration) throws Exception;

	/** Releases what the contender holds (files, loops). */
	void close() throws java.io.IOException {
	}
}
