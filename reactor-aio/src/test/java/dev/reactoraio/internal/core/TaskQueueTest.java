package dev.reactoraio.internal.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loop's inbox: every offer is polled once, each producer's in the order it offered them. */
class TaskQueueTest {

	/** A task that is its own link, as a file operation is. */
	static final class Linked implements IoLoop.Task {
		final int producer;
		final int sequence;
		private IoLoop.@Nullable Task next;

		Linked(int producer, int sequence) {
			this.producer = producer;
			this.sequence = sequence;
		}

		@Override
		public void run() {
		}

		@Override
		public IoLoop.@Nullable Task nextTask() {
			return next;
		}

		@Override
		public void nextTask(IoLoop.@Nullable Task link) {
			next = link;
		}
	}

	/** A plain Runnable, which the queue wraps. */
	record Plain(int producer, int sequence) implements Runnable {
		@Override
		public void run() {
		}
	}

	@Test
	@Timeout(60)
	void fourProducersOneConsumerLoseNothingAndKeepEachProducersOrder() throws InterruptedException {
		TaskQueue queue = new TaskQueue();
		int producers = 4;
		int each = 200_000;
		CountDownLatch go = new CountDownLatch(1);
		List<Thread> threads = new ArrayList<>();
		for (int p = 0; p < producers; p++) {
			int producer = p;
			Thread t = new Thread(() -> {
				try {
					go.await();
				}
				catch (InterruptedException e) {
					return;
				}
				for (int i = 0; i < each; i++) {
					queue.offer(i % 3 == 0 ? new Plain(producer, i) : new Linked(producer, i));
				}
			});
			t.start();
			threads.add(t);
		}
		int[] next = new int[producers];
		int taken = 0;
		go.countDown();
		while (taken < producers * each) {
			Runnable task = queue.poll();
			if (task == null) {
				Thread.onSpinWait();
				continue;
			}
			int producer = task instanceof Linked ? ((Linked) task).producer : ((Plain) task).producer();
			int sequence = task instanceof Linked ? ((Linked) task).sequence : ((Plain) task).sequence();
			assertEquals(next[producer], sequence, "producer " + producer + "'s tasks in the order offered");
			next[producer]++;
			if (task instanceof Linked) {
				assertNull(((Linked) task).nextTask(), "a polled task is unlinked");
			}
			taken++;
		}
		for (Thread t : threads) {
			t.join();
		}
		assertTrue(queue.isEmpty());
		assertNull(queue.poll());
		for (int p = 0; p < producers; p++) {
			assertEquals(each, next[p]);
		}
	}

	@Test
	void aTaskPolledCanBeOfferedAgain() {
		TaskQueue queue = new TaskQueue();
		Linked task = new Linked(0, 0);
		Plain other = new Plain(0, 1);
		queue.offer(task);
		queue.offer(other);
		assertEquals(task, queue.poll());
		queue.offer(task);
		assertEquals(other, queue.poll());
		assertEquals(task, queue.poll());
		assertTrue(queue.isEmpty());
	}
}
