package dev.reactoraio.bench;

import java.time.Duration;

/** One way of doing a workload: this library on a backend, a JDK or Spring peer, or fio. */
interface Contender {

	/** Who is measured: decides which ratios a row gets. */
	enum Kind {
		/** reactor-aio. */
		LIBRARY,
		/** A JDK or Spring way of doing the same thing. */
		JAVA_PEER,
		/** fio: what the machine can do. */
		FIO
	}

	String name();

	Kind kind();

	/** Runs the workload for about {@code duration} (or once over its data, for one-pass workloads). */
	Run run(Duration duration) throws Exception;

	/** Releases what the contender holds (files, loops). */
	default void close() throws java.io.IOException {
	}
}
