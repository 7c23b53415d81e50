package dev.reactoraio.internal.runtime;

import dev.reactoraio.internal.core.BlockingPool;
import dev.reactoraio.internal.nio.NioLoop;
import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Tells BlockHound (found through its ServiceLoader whenever BlockHound is installed) which blocking
 * calls on reactor-aio's {@code NonBlocking} loop threads are by design: the NIO loop parking while it
 * has nothing to do, and the hand-off to the blocking pool, whose queue lock is held for a few
 * instructions. Every other blocking call on a loop thread — a subscriber blocking in {@code onNext},
 * say — is reported as it should be. The blocking pool's threads are ordinary threads: blocking is
 * their job.
 */
public final class AioBlockHoundIntegration implements BlockHoundIntegration {

	@Override
	public void applyTo(BlockHound.Builder builder) {
		builder.allowBlockingCallsInside(NioLoop.class.getName(), "runIo");
		builder.allowBlockingCallsInside(BlockingPool.class.getName(), "execute");
	}
}
