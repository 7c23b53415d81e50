/** Internal to reactor-aio: not API, may change in any release. */
@NullMarked
package dev.reactoraio.internal.nio;

import org.jspecify.annotations.NullMarked;
