package dev.reactoraio.internal.core;

import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

import org.jspecify.annotations.Nullable;

/**
 * The loop's inbox: many threads offer, the loop alone polls, in the order of the offers. The tasks
 * are their own links ({@link IoLoop.Task}), so a file operation handed to the loop from another
 * thread costs no node; any other Runnable is wrapped in one.
 * <p>
 * Offers push onto a stack with one compare-and-set; the consumer takes the whole stack at once and
 * reverses it into its own list, which it then polls without synchronisation. The consumer is the loop
 * thread, and after the loop ended, whoever holds the loop's lock (see {@code IoLoop.runOrphans}): one
 * at a time, each seeing what the one before left, through the loop's {@code terminated} flag and that
 * lock.
 */
final class TaskQueue {

	private static final AtomicReferenceFieldUpdater<TaskQueue, IoLoop.Task> HEAD =
			AtomicReferenceFieldUpdater.newUpdater(TaskQueue.class, IoLoop.Task.class, "head");

	/** The latest offer, linked to the ones before it (newest first). */
	private volatile IoLoop.@Nullable Task head;
	/** The consumer's: taken offers in order, oldest first. */
	private IoLoop.@Nullable Task taken;

	/**
	 * Any thread. A {@link IoLoop.Task} must not be offered again before it was polled: it is the link
	 * of the queue while it waits in it.
	 */
	void offer(Runnable task) {
		IoLoop.Task node = task instanceof IoLoop.Task ? (IoLoop.Task) task : new Wrapped(task);
		IoLoop.Task h;
		do {
			h = head;
			node.nextTask(h);
		}
		while (!HEAD.compareAndSet(this, h, node));
	}

	/** Consumer: the oldest task, or null. */
	@Nullable Runnable poll() {
		IoLoop.Task first = taken;
		if (first == null) {
			first = takeAll();
			if (first == null) {
				return null;
			}
		}
		taken = first.nextTask();
		first.nextTask(null);
		return first instanceof Wrapped ? ((Wrapped) first).task : first;
	}

	/** Consumer: whether nothing waits, taken or offered. */
	boolean isEmpty() {
		return taken == null && head == null;
	}

	/** The offers so far, oldest first. */
	private IoLoop.@Nullable Task takeAll() {
		if (head == null) {
			return null;
		}
		IoLoop.Task newest = HEAD.getAndSet(this, null);
		IoLoop.Task reversed = null;
		while (newest != null) {
			IoLoop.Task next = newest.nextTask();
			newest.nextTask(reversed);
			reversed = newest;
			newest = next;
		}
		return reversed;
	}

	/** A plain Runnable's link. */
	private static final class Wrapped implements IoLoop.Task {
		final Runnable task;
		private IoLoop.@Nullable Task next;

		Wrapped(Runnable task) {
			this.task = task;
		}

		@Override
		public void run() {
			task.run();
		}

		@Override
		public IoLoop.@Nullable Task nextTask() {
			return next;
		}

		@Override
		public void nextTask(IoLoop.@Nullable Task next) {
			this.next = next;
		}
	}
}
