package dev.reactoraio.examples.etl;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The ETL's transform, fed one chunk of CSV at a time: it splits lines across chunk boundaries (a line
 * cut by a chunk's end is carried into the next chunk), converts each order to euros, drops orders of
 * quantity zero and counts malformed lines. Works on bytes (the data is ASCII; a {@code '\n'} byte
 * never occurs inside a UTF-8 multi-byte sequence either), so no String is made per line.
 * <p>
 * In: {@value #INPUT_HEADER}. Out: {@value #OUTPUT_HEADER}, with {@code total_eur = quantity ×
 * unit_price × rate(currency)} rounded half up to the cent. Not thread-safe: one instance per run,
 * fed in order.
 */
public final class OrderTransform {

	/** The header the input starts with. */
	public static final String INPUT_HEADER = "order_id,timestamp,customer_id,country,sku,quantity,unit_price,currency";

	/** The header the output starts with. */
	public static final String OUTPUT_HEADER = "order_id,date,country,sku,quantity,total_eur";

	private static final byte[] OUTPUT_HEADER_LINE = (OUTPUT_HEADER + "\n").getBytes(StandardCharsets.US_ASCII);
	private static final int FIELDS = 8;

	private byte[] scratch = new byte[0];
	private byte[] carry = new byte[256];
	private int carryLength;
	private boolean headerSeen;
	private final int[] fieldStart = new int[FIELDS];
	private final int[] fieldEnd = new int[FIELDS];

	private long rowsIn;
	private long rowsOut;
	private long rejected;

	/**
	 * Transforms the complete lines of {@code chunk} (with the line carried from the previous chunk);
	 * keeps the incomplete last line for the next call. Leaves {@code chunk} unchanged.
	 *
	 * @param chunk the next bytes of the input, from position to limit
	 * @return the transformed lines (possibly empty)
	 */
	public ByteBuffer feed(ByteBuffer chunk) {
		int length = chunk.remaining();
		if (scratch.length < length) {
			scratch = new byte[length];
		}
		chunk.get(chunk.position(), scratch, 0, length);
		Output out = new Output(length + carryLength + 64);
		int from = 0;
		if (carryLength > 0) {
			int newline = indexOf(scratch, 0, length);
			if (newline < 0) {
				appendCarry(scratch, 0, length);
				return out.toBuffer();
			}
			appendCarry(scratch, 0, newline);
			line(carry, 0, carryLength, out);
			carryLength = 0;
			from = newline + 1;
		}
		int newline;
		while ((newline = indexOf(scratch, from, length)) >= 0) {
			line(scratch, from, newline, out);
			from = newline + 1;
		}
		appendCarry(scratch, from, length);
		return out.toBuffer();
	}

	/**
	 * Transforms the last line if the input did not end with a newline.
	 *
	 * @return the transformed line (possibly empty)
	 */
	public ByteBuffer finish() {
		Output out = new Output(carryLength + 64);
		if (carryLength > 0) {
			line(carry, 0, carryLength, out);
			carryLength = 0;
		}
		return out.toBuffer();
	}

	/** {@return data lines read (the header excluded)} */
	public long rowsIn() {
		return rowsIn;
	}

	/** {@return lines written (the header excluded)} */
	public long rowsOut() {
		return rowsOut;
	}

	/** {@return malformed lines skipped} */
	public long rejected() {
		return rejected;
	}

	private void appendCarry(byte[] bytes, int from, int to) {
		int n = to - from;
		if (carryLength + n > carry.length) {
			carry = Arrays.copyOf(carry, Math.max(carry.length * 2, carryLength + n));
		}
		System.arraycopy(bytes, from, carry, carryLength, n);
		carryLength += n;
	}

	private void line(byte[] b, int from, int to, Output out) {
		if (to > from && b[to - 1] == '\r') {
			to--;
		}
		if (!headerSeen) {
			headerSeen = true;
			out.append(OUTPUT_HEADER_LINE, 0, OUTPUT_HEADER_LINE.length);
			return;
		}
		if (to == from) {
			return;
		}
		rowsIn++;
		if (!split(b, from, to)) {
			rejected++;
			return;
		}
		long quantity = number(b, 5);
		long price = cents(b, fieldStart[6], fieldEnd[6]);
		long rate = rate(b, fieldStart[7], fieldEnd[7]);
		if (quantity < 0 || price < 0 || rate < 0 || fieldEnd[1] - fieldStart[1] < 10) {
			rejected++;
			return;
		}
		if (quantity == 0) {
			return;
		}
		long total = (quantity * price * rate + 5_000) / 10_000;
		out.append(b, fieldStart[0], fieldEnd[0]).comma()
				.append(b, fieldStart[1], fieldStart[1] + 10).comma()
				.append(b, fieldStart[3], fieldEnd[3]).comma()
				.append(b, fieldStart[4], fieldEnd[4]).comma()
				.append(b, fieldStart[5], fieldEnd[5]).comma()
				.cents(total).newline();
		rowsOut++;
	}

	/** Finds the eight comma-separated fields of a line; false when there are not exactly eight. */
	private boolean split(byte[] b, int from, int to) {
		int field = 0;
		fieldStart[0] = from;
		for (int i = from; i < to; i++) {
			if (b[i] == ',') {
				if (field == FIELDS - 1) {
					return false;
				}
				fieldEnd[field++] = i;
				fieldStart[field] = i + 1;
			}
		}
		fieldEnd[field] = to;
		return field == FIELDS - 1;
	}

	private long number(byte[] b, int field) {
		int from = fieldStart[field];
		int to = fieldEnd[field];
		if (to == from || to - from > 9) {
			return -1;
		}
		long value = 0;
		for (int i = from; i < to; i++) {
			int digit = b[i] - '0';
			if (digit < 0 || digit > 9) {
				return -1;
			}
			value = value * 10 + digit;
		}
		return value;
	}

	/** {@code 123.45} → 12345; -1 unless digits, a dot and exactly two decimals. */
	private static long cents(byte[] b, int from, int to) {
		if (to - from < 4 || to - from > 12 || b[to - 3] != '.') {
			return -1;
		}
		long value = 0;
		for (int i = from; i < to; i++) {
			if (i == to - 3) {
				continue;
			}
			int digit = b[i] - '0';
			if (digit < 0 || digit > 9) {
				return -1;
			}
			value = value * 10 + digit;
		}
		return value;
	}

	/** Euros per unit of the currency, in ten-thousandths; -1 for a currency the ETL does not know. */
	static long rate(byte[] b, int from, int to) {
		if (to - from != 3) {
			return -1;
		}
		int code = (b[from] << 16) | (b[from + 1] << 8) | b[from + 2];
		switch (code) {
			case ('E' << 16) | ('U' << 8) | 'R':
				return 10_000;
			case ('U' << 16) | ('S' << 8) | 'D':
				return 9_200;
			case ('G' << 16) | ('B' << 8) | 'P':
				return 11_700;
			case ('C' << 16) | ('H' << 8) | 'F':
				return 10_500;
			case ('J' << 16) | ('P' << 8) | 'Y':
				return 62;
			case ('S' << 16) | ('E' << 8) | 'K':
				return 880;
			default:
				return -1;
		}
	}

	private static int indexOf(byte[] b, int from, int to) {
		for (int i = from; i < to; i++) {
			if (b[i] == '\n') {
				return i;
			}
		}
		return -1;
	}

	/** A growable output line buffer. */
	private static final class Output {
		private byte[] bytes;
		private int length;

		Output(int capacity) {
			bytes = new byte[capacity];
		}

		Output append(byte[] b, int from, int to) {
			int n = to - from;
			ensure(n);
			System.arraycopy(b, from, bytes, length, n);
			length += n;
			return this;
		}

		Output comma() {
			ensure(1);
			bytes[length++] = ',';
			return this;
		}

		Output newline() {
			ensure(1);
			bytes[length++] = '\n';
			return this;
		}

		Output cents(long value) {
			String digits = Long.toString(value / 100);
			ensure(digits.length() + 3);
			for (int i = 0; i < digits.length(); i++) {
				bytes[length++] = (byte) digits.charAt(i);
			}
			long fraction = value % 100;
			bytes[length++] = '.';
			bytes[length++] = (byte) ('0' + fraction / 10);
			bytes[length++] = (byte) ('0' + fraction % 10);
			return this;
		}

		private void ensure(int n) {
			if (length + n > bytes.length) {
				bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + n));
			}
		}

		ByteBuffer toBuffer() {
			return ByteBuffer.wrap(bytes, 0, length);
		}
	}
}
