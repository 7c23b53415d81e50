package dev.reactoraio.internal.core;

import reactor.core.scheduler.NonBlocking;

/**
 * The thread that owns one {@link IoLoop}: it alone submits to and reaps from its ring or context.
 * Signals of every reactor-aio publisher are delivered here, so it is marked {@link NonBlocking}:
 * Reactor's blocking operators refuse to run on it.
 */
final class IoThread extends Thread implements NonBlocking {

	IoThread(Runnable loop, String name) {
		super(loop, name);
		setDaemon(true);
	}
}
