package dev.reactoraio.bench.jmh;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import com.kenai.jffi.MemoryIO;
import dev.reactoraio.internal.jnr.Native;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one kernel AIO request costs in memory accesses, by accessor: the iocb fill (11 fields), its
 * pointer in the io_submit array, and the two io_event fields read back, per operation.
 * <ul>
 * <li>{@code unsafeMemoryIO}: jffi's default accessors, {@code sun.misc.Unsafe} (what reactor-aio used
 * before: JDK 24 warns about it, {@code --sun-misc-unsafe-memory-access=deny} refuses it);</li>
 * <li>{@code jniMemoryIO}: jffi's JNI accessors, what {@code jffi.unsafe.disabled=true} makes of the
 * former: one JNI call per field;</li>
 * <li>{@code byteBufferView}: absolute gets and puts on a ByteBuffer view of the same memory, what
 * reactor-aio does now for every per-operation structure (SQEs and CQEs already were);</li>
 * <li>{@code directBufferAddress}: the one native call left per request whose memory is the caller's own
 * direct buffer (pooled buffers know their address), the same whatever the accessors.</li>
 * </ul>
 * <pre>
 * java -jar benchmarks/target/reactor-aio-benchmarks.jar jmh NativeMemoryBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class NativeMemoryBenchmark {

	static final int SLOTS = 64;
	static final int IOCB = 64;
	static final int EVENT = 32;

	MemoryIO unsafe;
	MemoryIO jni;
	long iocbs;
	long pointers;
	long events;
	ByteBuffer iocbView;
	ByteBuffer pointerView;
	ByteBuffer eventView;
	ByteBuffer userBuffer;
	int slot;

	@Setup
	public void allocate() {
		// First, before reactor-aio's Native (which may set jffi.unsafe.disabled): the Unsafe-based singleton.
		unsafe = MemoryIO.getInstance();
		jni = MemoryIO.getCheckedInstance();
		if (Native.loadFailure() != null) {
			throw new IllegalStateException(Native.loadFailure());
		}
		iocbs = Native.allocate(IOCB * SLOTS);
		pointers = Native.allocate(8 * SLOTS);
		events = Native.allocate(EVENT * SLOTS);
		iocbView = Native.view(iocbs, IOCB * SLOTS);
		pointerView = Native.view(pointers, 8 * SLOTS);
		eventView = Native.view(events, EVENT * SLOTS);
		userBuffer = ByteBuffer.allocateDirect(4096);
		System.out.println("\nMemoryIO.getInstance(): " + unsafe.getClass().getName() + ", getCheckedInstance(): "
				+ jni.getClass().getName());
	}

	@TearDown
	public void free() {
		Native.free(iocbs);
		Native.free(pointers);
		Native.free(events);
	}

	private int nextSlot() {
		slot = (slot + 1) & (SLOTS - 1);
		return slot;
	}

	@Benchmark
	public long unsafeMemoryIO() {
		return request(unsafe, nextSlot());
	}

	@Benchmark
	public long jniMemoryIO() {
		return request(jni, nextSlot());
	}

	private long request(MemoryIO m, int slot) {
		long iocb = iocbs + (long) IOCB * slot;
		m.putLong(iocb, slot);
		m.putInt(iocb + 8, 0);
		m.putInt(iocb + 12, 8);
		m.putInt(iocb + 16, 0);
		m.putInt(iocb + 20, 42);
		m.putLong(iocb + 24, 0x7f0000001000L);
		m.putLong(iocb + 32, 4096);
		m.putLong(iocb + 40, 4096L * slot);
		m.putLong(iocb + 48, 0);
		m.putInt(iocb + 56, 1);
		m.putInt(iocb + 60, 7);
		m.putLong(pointers + 8L * slot, iocb);
		long event = events + (long) EVENT * slot;
		return m.getLong(event) + m.getLong(event + 16);
	}

	@Benchmark
	public long byteBufferView() {
		int slot = nextSlot();
		ByteBuffer b = iocbView;
		int base = IOCB * slot;
		b.putLong(base, slot);
		b.putInt(base + 8, 0);
		b.putInt(base + 12, 8);
		b.putInt(base + 16, 0);
		b.putInt(base + 20, 42);
		b.putLong(base + 24, 0x7f0000001000L);
		b.putLong(base + 32, 4096);
		b.putLong(base + 40, 4096L * slot);
		b.putLong(base + 48, 0);
		b.putInt(base + 56, 1);
		b.putInt(base + 60, 7);
		pointerView.putLong(8 * slot, iocbs + (long) IOCB * slot);
		int event = EVENT * slot;
		return eventView.getLong(event) + eventView.getLong(event + 16);
	}

	@Benchmark
	public long directBufferAddress() {
		return Native.address(userBuffer);
	}
}
