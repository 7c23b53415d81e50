package dev.reactoraio.internal.nio;

import java.nio.channels.FileChannel;

import dev.reactoraio.internal.core.FileHandle;
import dev.reactoraio.internal.core.IoLoop;
import dev.reactoraio.internal.core.IoRequest;
import dev.reactoraio.internal.core.OpenSpec;

/** A file of the NIO backend: a FileChannel (and a page-cache companion for a DIRECT file). */
final class NioFile extends FileHandle {

	final FileChannel channel;
	final FileChannel buffered;

	NioFile(OpenSpec spec, IoLoop loop, FileChannel channel, FileChannel buffered) {
		super(spec.path, loop, spec.read, spec.write, spec.direct, spec.append);
		this.channel = channel;
		this.buffered = buffered;
	}

	FileChannel channelFor(IoRequest request) {
		return request.buffered ? buffered : channel;
	}
}
