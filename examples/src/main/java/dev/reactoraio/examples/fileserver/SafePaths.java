package dev.reactoraio.examples.fileserver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.springframework.web.util.UriUtils;

/**
 * Maps the raw (still percent-encoded) rest of a request path onto a file under a root directory, and
 * refuses anything that could reach outside it. Each segment is decoded on its own, so an encoded
 * {@code %2F} cannot smuggle a separator and {@code %2e%2e} is seen as {@code ..}.
 * <p>
 * Refused with {@link Forbidden} (403): empty segments (a leading {@code /} makes an absolute path),
 * {@code .} and {@code ..}, names starting with {@code .} (hidden files, and the upload temporaries), a
 * decoded {@code /}, {@code \} or NUL, and any path whose real location (after following symbolic
 * links) is outside the root. A path that does not exist is {@link NoSuchFileException} (404) for
 * reading; for writing, its deepest existing ancestor must be inside the root, and an existing
 * symbolic link is neither replaced nor deleted.
 * <p>
 * The checks are made on the file system as it is at the time; a process that can create symbolic
 * links inside the root while the server runs can race them, so the root should be writable only
 * through the server.
 */
final class SafePaths {

	private final Path root;

	/**
	 * @param root the served directory; it must exist
	 */
	SafePaths(Path root) throws IOException {
		this.root = root.toRealPath();
	}

	Path root() {
		return root;
	}

	/** The existing file or directory {@code rawPath} names, as a real path inside the root. */
	Path forReading(String rawPath) throws IOException {
		Path real = lexical(rawPath).toRealPath();
		inside(real);
		return real;
	}

	/**
	 * The path {@code rawPath} names for creating, replacing or deleting, inside the root: if it exists
	 * its real location must be inside the root, else the real location of its deepest existing ancestor.
	 */
	Path forWriting(String rawPath) throws IOException {
		Path candidate = lexical(rawPath);
		if (Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) {
			inside(candidate.toRealPath());
			if (Files.isSymbolicLink(candidate)) {
				throw new Forbidden("symbolic links are not replaced: " + rawPath);
			}
			return candidate;
		}
		Path ancestor = candidate.getParent();
		while (!Files.exists(ancestor, LinkOption.NOFOLLOW_LINKS)) {
			ancestor = ancestor.getParent();
		}
		Path realAncestor = ancestor.toRealPath();
		inside(realAncestor);
		return realAncestor.resolve(ancestor.relativize(candidate));
	}

	private Path lexical(String rawPath) throws NoSuchFileException {
		if (rawPath.isEmpty()) {
			throw new NoSuchFileException("/");
		}
		Path path = root;
		for (String segment : rawPath.split("/", -1)) {
			String name;
			try {
				name = UriUtils.decode(segment, StandardCharsets.UTF_8);
			}
			catch (IllegalArgumentException e) {
				throw new Forbidden("bad encoding in " + rawPath);
			}
			if (name.isEmpty() || name.startsWith(".") || name.indexOf('/') >= 0 || name.indexOf('\\') >= 0
					|| name.indexOf('\0') >= 0) {
				throw new Forbidden("refused path segment in " + rawPath);
			}
			path = path.resolve(name);
		}
		Path normalized = path.normalize();
		if (!normalized.equals(path) || !normalized.startsWith(root)) {
			throw new Forbidden("outside the root: " + rawPath);
		}
		return normalized;
	}

	private void inside(Path real) {
		if (!real.startsWith(root)) {
			throw new Forbidden("leads outside the root");
		}
	}

	/** The request may not reach this path (403). */
	static final class Forbidden extends RuntimeException {
		private static final long serialVersionUID = 1L;

		Forbidden(String message) {
			super(message, null, false, false);
		}
	}
}
