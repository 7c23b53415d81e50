/** Internal to reactor-aio: not API, may change in any release. */
@NullMarked
package dev.reactoraio.internal.aio;

import org.jspecify.annotations.NullMarked;
