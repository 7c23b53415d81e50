package dev.reactoraio.internal.flow;

import java.util.ArrayList;
import java.util.List;

import dev.reactoraio.AioBackend;
import dev.reactoraio.AsyncFile;
import dev.reactoraio.FileRange;
import dev.reactoraio.RangeRead;
import org.reactivestreams.Publisher;

/**
 * The Reactive Streams TCK on {@code AsyncFile.readRanges}: elements are one-byte ranges two bytes apart
 * in a sparse file (merged into reads of many ranges each), at most 2^20 of them, since the list of
 * ranges is built in memory.
 */
public abstract class ReadRangesVerification extends FilePublisherVerification<RangeRead<java.nio.ByteBuffer>> {

	private static final long MAX_RANGES = 1 << 20;

	@Override
	public Publisher<RangeRead<java.nio.ByteBuffer>> createPublisher(long elements) {
		List<FileRange> ranges = new ArrayList<>((int) elements);
		for (long i = 0; i < elements; i++) {
			ranges.add(FileRange.of(2 * i, 1));
		}
		return files.sparse.readRanges(ranges);
	}

	@Override
	public Publisher<RangeRead<java.nio.ByteBuffer>> createFailedPublisher() {
		AsyncFile closed = AsyncFile.open(files.sparse.path(), java.util.Set.of(), files.resources).block();
		closed.close().block();
		return closed.readRanges(List.of(FileRange.of(0, 10)));
	}

	@Override
	public long maxElementsFromPublisher() {
		return MAX_RANGES;
	}

	/** io_uring. */
	public static class IoUring extends ReadRangesVerification {
		@Override
		protected AioBackend backend() {
			return AioBackend.IO_URING;
		}
	}

	/** kernel AIO (buffered files run on its blocking pool). */
	public static class Libaio extends ReadRangesVerification {
		@Override
		protected AioBackend backend() {
			return AioBackend.LIBAIO;
		}
	}

	/** FileChannel pool. */
	public static class Nio extends ReadRangesVerification {
		@Override
		protected AioBackend backend() {
			return AioBackend.NIO;
		}
	}
}
