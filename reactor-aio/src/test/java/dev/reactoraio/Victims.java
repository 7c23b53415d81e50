package dev.reactoraio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Descriptors the library was never given, opened and closed in a tight loop by a thread of their own
 * while a test races the library's close: plain FileChannels of files with known bytes, and pipes with
 * known bytes in them. A request that reaches a descriptor number after the library closed it lands on
 * one of these, because Linux hands out the lowest free number. Each harm is counted: a victim file whose
 * size or bytes changed, pipe bytes that went missing (read by someone else) or were added or altered.
 */
final class Victims implements AutoCloseable {

	private static final int FILE_SIZE = 8192;
	private static final int PIPE_BYTES = 256;

	final AtomicLong harmedFiles = new AtomicLong();
	final AtomicLong stolenPipeBytes = new AtomicLong();
	final AtomicLong alteredPipeBytes = new AtomicLong();
	final AtomicLong rounds = new AtomicLong();
	final AtomicLong errors = new AtomicLong();

	private final List<Path> files = new ArrayList<>();
	private final byte[][] contents;
	private final Thread[] threads;
	private volatile boolean running = true;

	/** {@code count} victim files in {@code dir}, worked on by {@code threads} threads. */
	Victims(Path dir, int count, int threads) throws IOException {
		contents = new byte[count][];
		for (int i = 0; i < count; i++) {
			contents[i] = pattern(i, FILE_SIZE);
			files.add(Files.write(dir.resolve("victim-" + i + ".bin"), contents[i]));
		}
		this.threads = new Thread[threads];
		for (int t = 0; t < threads; t++) {
			int first = t;
			this.threads[t] = new Thread(() -> work(first), "victim-" + t);
			this.threads[t].setDaemon(true);
			this.threads[t].start();
		}
	}

	private static byte[] pattern(int seed, int size) {
		byte[] bytes = new byte[size];
		for (int i = 0; i < size; i++) {
			bytes[i] = (byte) (seed * 31 + i * 7 + 1);
		}
		return bytes;
	}

	private void work(int first) {
		int i = first;
		while (running) {
			try {
				fileRound(i % files.size());
				pipeRound(i);
				rounds.incrementAndGet();
			}
			catch (IOException | RuntimeException e) {
				errors.incrementAndGet();
			}
			i += threads.length;
		}
	}

	/** Opens a victim file, lets time pass with its descriptor open, and checks size and bytes. */
	private void fileRound(int index) throws IOException {
		Path file = files.get(index);
		try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
			for (int spin = 0; spin < 200; spin++) {
				Thread.onSpinWait();
			}
			ByteBuffer read = ByteBuffer.allocate(FILE_SIZE + 1);
			long size = channel.size();
			while (read.hasRemaining() && channel.read(read, read.position()) > 0) {
				// read all
			}
			read.flip();
			byte[] bytes = new byte[read.remaining()];
			read.get(bytes);
			if (size != FILE_SIZE || !Arrays.equals(bytes, contents[index])) {
				harmedFiles.incrementAndGet();
				channel.truncate(0);
				channel.write(ByteBuffer.wrap(contents[index]), 0);
			}
		}
	}

	/** A pipe with bytes waiting in it while its descriptors are open; every byte must come out as it went in. */
	private void pipeRound(int seed) throws IOException {
		Pipe pipe = Pipe.open();
		try (Pipe.SinkChannel sink = pipe.sink(); Pipe.SourceChannel source = pipe.source()) {
			byte[] sent = pattern(seed, PIPE_BYTES);
			ByteBuffer out = ByteBuffer.wrap(sent);
			while (out.hasRemaining()) {
				sink.write(out);
			}
			for (int spin = 0; spin < 200; spin++) {
				Thread.onSpinWait();
			}
			source.configureBlocking(false);
			ByteBuffer in = ByteBuffer.allocate(PIPE_BYTES * 4);
			while (source.read(in) > 0) {
				// drain what is there
			}
			in.flip();
			int got = in.remaining();
			if (got < PIPE_BYTES) {
				stolenPipeBytes.addAndGet(PIPE_BYTES - got);
			}
			else if (got > PIPE_BYTES) {
				alteredPipeBytes.addAndGet(got - PIPE_BYTES);
			}
			for (int i = 0; i < Math.min(got, PIPE_BYTES); i++) {
				if (in.get(i) != sent[i]) {
					alteredPipeBytes.incrementAndGet();
				}
			}
		}
	}

	/** Total harm seen so far (a victim's own I/O failing counts: its descriptor was closed or changed under it). */
	long harm() {
		return harmedFiles.get() + stolenPipeBytes.get() + alteredPipeBytes.get() + errors.get();
	}

	String report() {
		return "victim rounds=" + rounds + " harmedFiles=" + harmedFiles + " stolenPipeBytes=" + stolenPipeBytes
				+ " alteredPipeBytes=" + alteredPipeBytes + " victimErrors=" + errors;
	}

	/** Stops the victim threads and waits for them: their counts are final afterwards. */
	void stop() {
		running = false;
		for (Thread thread : threads) {
			try {
				thread.join(10_000);
			}
			catch (InterruptedException e) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	@Override
	public void close() {
		stop();
	}
}
