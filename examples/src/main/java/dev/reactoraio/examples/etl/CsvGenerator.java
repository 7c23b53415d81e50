package dev.reactoraio.examples.etl;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

import dev.reactoraio.AioFiles;
import dev.reactoraio.AioResources;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Writes a deterministic CSV of orders ({@value OrderTransform#INPUT_HEADER}) of at least a given
 * size, generated in 1 MiB buffers on a parallel worker and written with {@link AioFiles#write}. About
 * one order in ten has quantity zero; one line in a hundred thousand is malformed.
 */
public final class CsvGenerator {

	private static final int BLOCK = 1 << 20;
	private static final String[] COUNTRIES = {"DE", "FR", "US", "GB", "JP", "CH", "IT", "ES", "NL", "SE"};
	private static final String[] CURRENCIES = {"EUR", "EUR", "USD", "GBP", "JPY", "CHF", "EUR", "EUR", "EUR", "SEK"};
	private static final int[] MONTH_DAYS = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	private CsvGenerator() {
	}

	/**
	 * Generates the file.
	 *
	 * @param file where to write (created or truncated)
	 * @param minBytes the size to reach; the file ends at the first line end at or past it
	 * @param seed the random seed (same seed, same file)
	 * @param resources the loops that write it
	 * @param progress called with the size of each block generated
	 * @return the file's size
	 */
	public static Mono<Long> generate(Path file, long minBytes, long seed, AioResources resources,
			LongConsumer progress) {
		Flux<ByteBuffer> blocks = Flux.<ByteBuffer, Rows>generate(() -> new Rows(seed), (rows, sink) -> {
			if (rows.written >= minBytes) {
				sink.complete();
				return rows;
			}
			ByteBuffer block = rows.next(minBytes);
			progress.accept(block.remaining());
			sink.next(block);
			return rows;
		}).subscribeOn(Schedulers.parallel());
		return AioFiles.write(blocks, file, resources);
	}

	/** The state of one generation: the random source, the next order id and the bytes so far. */
	private static final class Rows {
		private static final byte[][] COUNTRY_BYTES = ascii(COUNTRIES);
		private static final byte[][] CURRENCY_BYTES = ascii(CURRENCIES);
		private static final byte[] MALFORMED = ",malformed".getBytes(StandardCharsets.US_ASCII);

		private final SplittableRandom random;
		private final byte[] block = new byte[BLOCK];
		private int at;
		private long id = 1_000_000;
		private long written;
		private boolean header;

		Rows(long seed) {
			this.random = new SplittableRandom(seed);
		}

		/** The next block: whole lines, about 1 MiB, stopping early once {@code minBytes} is reached. */
		ByteBuffer next(long minBytes) {
			at = 0;
			if (!header) {
				header = true;
				put((OrderTransform.INPUT_HEADER + "\n").getBytes(StandardCharsets.US_ASCII));
			}
			while (block.length - at >= 128 && written + at < minBytes) {
				order();
			}
			written += at;
			return ByteBuffer.wrap(Arrays.copyOf(block, at));
		}

		/** {@code 1000042,2026-03-14T09:26:53Z,C123456,DE,SKU-12345,3,19.99,EUR} */
		private void order() {
			int country = random.nextInt(COUNTRIES.length);
			int dayOfYear = (int) ((id / 3_000) % 365);
			int month = 0;
			while (dayOfYear >= MONTH_DAYS[month]) {
				dayOfYear -= MONTH_DAYS[month++];
			}
			int second = random.nextInt(86_400);
			number(id++);
			put(",2026-");
			two(month + 1);
			block[at++] = '-';
			two(dayOfYear + 1);
			block[at++] = 'T';
			two(second / 3600);
			block[at++] = ':';
			two(second / 60 % 60);
			block[at++] = ':';
			two(second % 60);
			put("Z,C");
			number(100_000 + random.nextInt(900_000));
			block[at++] = ',';
			put(COUNTRY_BYTES[country]);
			put(",SKU-");
			number(10_000 + random.nextInt(90_000));
			block[at++] = ',';
			number(random.nextInt(10));
			block[at++] = ',';
			number(random.nextInt(1, 1000));
			block[at++] = '.';
			two(random.nextInt(100));
			block[at++] = ',';
			put(CURRENCY_BYTES[country]);
			if (random.nextInt(100_000) == 0) {
				put(MALFORMED);
			}
			block[at++] = '\n';
		}

		private void number(long value) {
			int digits = 1;
			for (long v = value; v >= 10; v /= 10) {
				digits++;
			}
			for (int i = at + digits - 1; i >= at; i--) {
				block[i] = (byte) ('0' + value % 10);
				value /= 10;
			}
			at += digits;
		}

		private void two(int value) {
			block[at++] = (byte) ('0' + value / 10);
			block[at++] = (byte) ('0' + value % 10);
		}

		private void put(String ascii) {
			for (int i = 0; i < ascii.length(); i++) {
				block[at++] = (byte) ascii.charAt(i);
			}
		}

		private void put(byte[] bytes) {
			System.arraycopy(bytes, 0, block, at, bytes.length);
			at += bytes.length;
		}

		private static byte[][] ascii(String[] texts) {
			byte[][] bytes = new byte[texts.length][];
			for (int i = 0; i < texts.length; i++) {
				bytes[i] = texts[i].getBytes(StandardCharsets.US_ASCII);
			}
			return bytes;
		}
	}
}
