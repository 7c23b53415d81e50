package dev.reactoraio.examples.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

/**
 * A live progress bar on one terminal line ({@code [#####-----] 45%  460.0 MiB / 1.0 GiB  512 MB/s}),
 * redrawn five times a second while a job runs. When the output is not a terminal only the final line
 * is printed. {@link #add} may be called from any thread.
 */
public final class Progress implements LongConsumer, AutoCloseable {

	private static final int WIDTH = 30;
	private static final ScheduledExecutorService TICKER = Executors.newSingleThreadScheduledExecutor(r -> {
		Thread thread = new Thread(r, "progress");
		thread.setDaemon(true);
		return thread;
	});

	private final PrintStream out;
	private final String label;
	private final long total;
	private final boolean live;
	private final LongAdder done = new LongAdder();
	private final long start = System.nanoTime();
	private final ScheduledFuture<?> ticks;
	private volatile String suffix = "";
	private boolean closed;

	/**
	 * Starts a bar.
	 *
	 * @param out where to draw
	 * @param label what runs, printed before the bar
	 * @param total the expected number of bytes, or 0 if unknown
	 */
	public Progress(PrintStream out, String label, long total) {
		this.out = out;
		this.label = label;
		this.total = total;
		this.live = System.console() != null;
		this.ticks = live ? TICKER.scheduleAtFixedRate(this::draw, 200, 200, TimeUnit.MILLISECONDS) : null;
	}

	/**
	 * Counts bytes done.
	 *
	 * @param bytes how many more
	 */
	public void add(long bytes) {
		done.add(bytes);
	}

	@Override
	public void accept(long bytes) {
		add(bytes);
	}

	/** {@return the time since the bar started} */
	public Duration elapsed() {
		return Duration.ofNanos(System.nanoTime() - start);
	}

	/** {@return the bytes counted so far} */
	public long done() {
		return done.sum();
	}

	/**
	 * Sets text printed after the bar's figures on the final line.
	 *
	 * @param text the text
	 */
	public void suffix(String text) {
		this.suffix = text;
	}

	/** Draws the final line and moves to the next one. */
	@Override
	public synchronized void close() {
		if (closed) {
			return;
		}
		closed = true;
		if (ticks != null) {
			ticks.cancel(false);
		}
		out.print(line(true));
		out.println();
		out.flush();
	}

	private synchronized void draw() {
		if (!closed) {
			out.print(line(false));
			out.flush();
		}
	}

	private String line(boolean last) {
		long bytes = done.sum();
		Duration elapsed = elapsed();
		StringBuilder text = new StringBuilder(live ? "\r\033[2K" : "").append(label).append(' ');
		if (total > 0) {
			double fraction = Math.min(1, (double) bytes / total);
			int filled = (int) Math.round(fraction * WIDTH);
			text.append('[').append("#".repeat(filled)).append("-".repeat(WIDTH - filled)).append(']')
					.append(String.format(Locale.ROOT, " %3.0f%%", fraction * 100));
		}
		text.append("  ").append(Units.bytes(bytes));
		if (total > 0 && !last) {
			text.append(" / ").append(Units.bytes(total));
		}
		text.append("  ").append(Units.seconds(elapsed)).append("  ").append(Units.rate(bytes, elapsed));
		if (last && !suffix.isEmpty()) {
			text.append("  ").append(suffix);
		}
		return text.toString();
	}
}
