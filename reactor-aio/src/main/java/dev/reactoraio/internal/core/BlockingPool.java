package dev.reactoraio.internal.core;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed number of threads for work that blocks: opcodes the kernel's io_uring lacks, buffered I/O on
 * a kernel-AIO loop, every transfer of the NIO backend. Never more threads than configured. The queue
 * in front of them is bounded by the loops' capacity, because each task holds one of a loop's slots.
 */
public final class BlockingPool implements Executor {

	private final ThreadPoolExecutor executor;

	public BlockingPool(String prefix, int threads) {
		AtomicInteger counter = new AtomicInteger();
		this.executor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
				task -> {
					Thread t = new Thread(task, prefix + "-blocking-" + counter.incrementAndGet());
					t.setDaemon(true);
					return t;
				});
		this.executor.allowCoreThreadTimeOut(true);
	}

	@Override
	public void execute(Runnable task) {
		executor.execute(task);
	}

	public int threads() {
		return executor.getMaximumPoolSize();
	}

	public void shutdown() {
		executor.shutdown();
	}
}
