package dev.reactoraio.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Just enough JSON: parses fio's {@code --output-format=json} and writes the harness's results. */
final class Json {

	private final String text;
	private int at;

	private Json(String text) {
		this.text = text;
	}

	/** Parses the first JSON object in {@code text} (fio may print warnings before it). */
	static Map<String, Object> parseObject(String text) {
		int start = text.indexOf('{');
		if (start < 0) {
			throw new IllegalArgumentException("no JSON object in: " + text);
		}
		Json json = new Json(text);
		json.at = start;
		@SuppressWarnings("unchecked")
		Map<String, Object> object = (Map<String, Object>) json.value();
		return object;
	}

	/** The value at a path of object keys and list indexes, e.g. {@code at(fio, "jobs", 0, "read", "iops")}. */
	static Object at(Object root, Object... path) {
		Object node = root;
		for (Object key : path) {
			node = key instanceof Integer index ? ((List<?>) node).get(index) : ((Map<?, ?>) node).get(key);
			if (node == null) {
				return null;
			}
		}
		return node;
	}

	static double number(Object root, Object... path) {
		Object value = at(root, path);
		return value instanceof Number number ? number.doubleValue() : Double.NaN;
	}

	private Object value() {
		skipSpace();
		char c = text.charAt(at);
		switch (c) {
			case '{':
				return object();
			case '[':
				return list();
			case '"':
				return string();
			case 't':
				at += 4;
				return Boolean.TRUE;
			case 'f':
				at += 5;
				return Boolean.FALSE;
			case 'n':
				at += 4;
				return null;
			default:
				return number();
		}
	}

	private Map<String, Object> object() {
		Map<String, Object> map = new LinkedHashMap<>();
		at++;
		skipSpace();
		if (text.charAt(at) == '}') {
			at++;
			return map;
		}
		while (true) {
			skipSpace();
			String key = string();
			skipSpace();
			at++; // ':'
			map.put(key, value());
			skipSpace();
			if (text.charAt(at++) == '}') {
				return map;
			}
		}
	}

	private List<Object> list() {
		List<Object> list = new ArrayList<>();
		at++;
		skipSpace();
		if (text.charAt(at) == ']') {
			at++;
			return list;
		}
		while (true) {
			list.add(value());
			skipSpace();
			if (text.charAt(at++) == ']') {
				return list;
			}
		}
	}

	private String string() {
		StringBuilder out = new StringBuilder();
		at++;
		while (true) {
			char c = text.charAt(at++);
			if (c == '"') {
				return out.toString();
			}
			if (c == '\\') {
				char escaped = text.charAt(at++);
				switch (escaped) {
					case 'n' -> out.append('\n');
					case 't' -> out.append('\t');
					case 'r' -> out.append('\r');
					case 'b' -> out.append('\b');
					case 'f' -> out.append('\f');
					case 'u' -> {
						out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
						at += 4;
					}
					default -> out.append(escaped);
				}
			}
			else {
				out.append(c);
			}
		}
	}

	private Double number() {
		int start = at;
		while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
			at++;
		}
		return Double.valueOf(text.substring(start, at));
	}

	private void skipSpace() {
		while (Character.isWhitespace(text.charAt(at))) {
			at++;
		}
	}

	/** {@code value} as JSON: maps, lists, strings, numbers (NaN and infinities as null), booleans. */
	static String write(Object value) {
		StringBuilder out = new StringBuilder();
		write(value, out, "");
		return out.toString();
	}

	private static void write(Object value, StringBuilder out, String indent) {
		if (value instanceof Map<?, ?> map) {
			out.append("{");
			String inner = indent + "  ";
			String separator = "\n";
			for (Map.Entry<?, ?> entry : map.entrySet()) {
				out.append(separator).append(inner);
				writeString(String.valueOf(entry.getKey()), out);
				out.append(": ");
				write(entry.getValue(), out, inner);
				separator = ",\n";
			}
			out.append(map.isEmpty() ? "}" : "\n" + indent + "}");
		}
		else if (value instanceof List<?> list) {
			out.append("[");
			String inner = indent + "  ";
			String separator = "\n";
			for (Object element : list) {
				out.append(separator).append(inner);
				write(element, out, inner);
				separator = ",\n";
			}
			out.append(list.isEmpty() ? "]" : "\n" + indent + "]");
		}
		else if (value instanceof Double number) {
			out.append(number.isNaN() || number.isInfinite() ? "null" : number.toString());
		}
		else if (value instanceof Number || value instanceof Boolean) {
			out.append(value);
		}
		else if (value == null) {
			out.append("null");
		}
		else {
			writeString(value.toString(), out);
		}
	}

	private static void writeString(String s, StringBuilder out) {
		out.append('"');
		for (int i = 0; i < s.length(); i++) {
			char c = s.charAt(i);
			if (c == '"' || c == '\\') {
				out.append('\\').append(c);
			}
			else if (c < 0x20) {
				out.append(String.format("\\u%04x", (int) c));
			}
			else {
				out.append(c);
			}
		}
		out.append('"');
	}
}
