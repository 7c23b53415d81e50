/**
 * reactor-aio: Linux asynchronous file I/O (io_uring, kernel AIO) as Project Reactor {@code Flux} and
 * {@code Mono}, with the I/O in flight bounded by ring capacity and subscriber demand.
 * <p>
 * Start with {@link dev.reactoraio.AsyncFile} and {@link dev.reactoraio.AioFiles}; tune with
 * {@link dev.reactoraio.AioResources} and {@link dev.reactoraio.AioProperties}; ask
 * {@link dev.reactoraio.Aio} which backend runs and why.
 */
@NullMarked
package dev.reactoraio;

import org.jspecify.annotations.NullMarked;
