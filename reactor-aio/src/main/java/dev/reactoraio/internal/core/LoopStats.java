package dev.reactoraio.internal.core;

/** Counters of one loop, published once per loop turn (plain reads from other threads see a recent turn). */
public final class LoopStats {

	volatile long submitted;
	volatile long completed;
	volatile long offloaded;
	volatile long failed;
	volatile long latencyNanos;
	volatile int inFlight;
	volatile int peakInFlight;
	volatile int waiting;
	volatile int openFiles;

	public long submitted() {
		return submitted;
	}

	public long completed() {
		return completed;
	}

	public long failed() {
		return failed;
	}

	public long latencyNanos() {
		return latencyNanos;
	}

	public long offloaded() {
		return offloaded;
	}

	public int inFlight() {
		return inFlight;
	}

	public int peakInFlight() {
		return peakInFlight;
	}

	public int waiting() {
		return waiting;
	}

	public int openFiles() {
		return openFiles;
	}
}
