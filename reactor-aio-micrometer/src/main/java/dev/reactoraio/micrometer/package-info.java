/**
 * Micrometer meters for reactor-aio (optional: needs {@code micrometer-core}). Check
 * {@link dev.reactoraio.micrometer.AioMeters#isMicrometerAvailable()} before touching
 * {@link dev.reactoraio.micrometer.AioMetrics}, which is a Micrometer {@code MeterBinder}.
 */
@NullMarked
package dev.reactoraio.micrometer;

import org.jspecify.annotations.NullMarked;
