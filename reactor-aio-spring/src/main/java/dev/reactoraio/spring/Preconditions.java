package dev.reactoraio.spring;

import java.time.ZonedDateTime;
import java.util.List;

import org.jspecify.annotations.Nullable;
import org.springframework.http.ETag;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;

/**
 * The conditional request rules of RFC 9110 for a file whose current validators are known: the
 * preconditions in the order of §13.2.2, and {@code If-Range} (§13.1.5).
 * <ol>
 * <li>{@code If-Match} (strong comparison; {@code *} is true when the file exists): false is {@code 412};</li>
 * <li>without {@code If-Match}, {@code If-Unmodified-Since}: false is {@code 412};</li>
 * <li>{@code If-None-Match} (weak comparison; {@code *} is false when the file exists): false is
 * {@code 304} for {@code GET}/{@code HEAD}, {@code 412} for other methods;</li>
 * <li>without {@code If-None-Match}, for {@code GET}/{@code HEAD} only, {@code If-Modified-Since}:
 * false is {@code 304};</li>
 * <li>for {@code GET} with {@code Range}, {@code If-Range} decides whether the range is served
 * ({@link #rangeApplies}).</li>
 * </ol>
 * Dates compare to the second, as HTTP-dates carry no more. A date that cannot be parsed, and a date
 * condition on a file without a modification time, are ignored, as the RFC says.
 */
final class Preconditions {

	/** What the preconditions decide. */
	enum Outcome {
		/** Perform the method. */
		PROCEED,
		/** {@code 304 Not Modified}. */
		NOT_MODIFIED,
		/** {@code 412 Precondition Failed}. */
		FAILED
	}

	private Preconditions() {
	}

	/**
	 * Evaluates {@code If-Match}, {@code If-Unmodified-Since}, {@code If-None-Match} and
	 * {@code If-Modified-Since}, in that order.
	 *
	 * @param method the request method
	 * @param request the request headers
	 * @param etag the current strong entity tag, quoted, or null when the file does not exist
	 * @param lastModified the current modification time in epoch milliseconds, or -1 when the file
	 * does not exist
	 * @param exists whether the file exists
	 * @return the outcome
	 */
	static Outcome evaluate(HttpMethod method, HttpHeaders request, @Nullable String etag, long lastModified,
			boolean exists) {
		boolean getOrHead = HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method);
		List<String> ifMatch = request.get(HttpHeaders.IF_MATCH);
		if (ifMatch != null) {
			if (!matches(ifMatch, etag, exists, true)) {
				return Outcome.FAILED;
			}
		}
		else if (lastModified >= 0) {
			long since = date(request, HttpHeaders.IF_UNMODIFIED_SINCE);
			if (since >= 0 && seconds(lastModified) > seconds(since)) {
				return Outcome.FAILED;
			}
		}
		List<String> ifNoneMatch = request.get(HttpHeaders.IF_NONE_MATCH);
		if (ifNoneMatch != null) {
			if (matches(ifNoneMatch, etag, exists, false)) {
				return getOrHead ? Outcome.NOT_MODIFIED : Outcome.FAILED;
			}
		}
		else if (getOrHead && lastModified >= 0) {
			long since = date(request, HttpHeaders.IF_MODIFIED_SINCE);
			if (since >= 0 && seconds(lastModified) <= seconds(since)) {
				return Outcome.NOT_MODIFIED;
			}
		}
		return Outcome.PROCEED;
	}

	/**
	 * Whether the {@code Range} of a {@code GET} is to be served: true without {@code If-Range}; with it,
	 * true only when it names the current representation: an entity tag that is strong and equal to
	 * {@code etag}, or a date equal to {@code lastModified} (to the second) that is a strong validator,
	 * i.e. the file was last modified at least one second before {@code now} (§8.8.2.2: a file changed
	 * within the current second may change again within it, under the same date). Otherwise the range is
	 * ignored and the whole representation sent.
	 *
	 * @param request the request headers
	 * @param etag the entity tag the response carries, or null
	 * @param lastModified the {@code Last-Modified} the response carries in epoch milliseconds, or -1
	 * @param now the current time in epoch milliseconds
	 * @return whether to serve the range
	 */
	static boolean rangeApplies(HttpHeaders request, @Nullable String etag, long lastModified, long now) {
		String ifRange = request.getFirst(HttpHeaders.IF_RANGE);
		if (ifRange == null) {
			return true;
		}
		String value = ifRange.trim();
		if (value.startsWith("\"") || value.startsWith("W/")) {
			List<ETag> tags = ETag.parse(value);
			return tags.size() == 1 && etag != null && !tags.get(0).isWildcard()
					&& tags.get(0).compare(ETag.create(etag), true);
		}
		long date = date(request, HttpHeaders.IF_RANGE);
		return date >= 0 && lastModified >= 0 && seconds(date) == seconds(lastModified)
				&& seconds(lastModified) + 1 <= seconds(now);
	}

	/**
	 * Whether one of the entity tags of the header lines matches: {@code *} when the file exists, or an
	 * equal tag under strong (both strong) or weak comparison. Lines that do not parse match nothing.
	 */
	private static boolean matches(List<String> lines, @Nullable String etag, boolean exists, boolean strong) {
		ETag current = etag != null ? ETag.create(etag) : null;
		for (String line : lines) {
			for (ETag tag : ETag.parse(line)) {
				if (tag.isWildcard()) {
					if (exists) {
						return true;
					}
				}
				else if (current != null && tag.compare(current, strong)) {
					return true;
				}
			}
		}
		return false;
	}

	/** The header's date in epoch milliseconds, or -1 when it is absent or not a valid HTTP-date. */
	private static long date(HttpHeaders headers, String name) {
		try {
			ZonedDateTime date = headers.getFirstZonedDateTime(name);
			return date != null ? date.toInstant().toEpochMilli() : -1;
		}
		catch (IllegalArgumentException e) {
			return -1;
		}
	}

	private static long seconds(long millis) {
		return Math.floorDiv(millis, 1000L);
	}
}
