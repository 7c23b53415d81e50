package dev.reactoraio;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Spring and Micrometer are optional: no compiled class outside {@code dev.reactoraio.spring} names a
 * Spring type, and none outside {@code dev.reactoraio.micrometer} a Micrometer type, so the core loads
 * without them. Checked on the class files' constant pools, where every referenced class is named.
 */
class OptionalDependenciesTest {

	@Test
	void onlyTheIntegrationPackagesReferToOptionalLibraries() throws IOException {
		Path classes = Path.of(AioFiles.class.getProtectionDomain().getCodeSource().getLocation().getPath());
		List<String> offenders = new ArrayList<>();
		int checked = 0;
		try (Stream<Path> files = Files.walk(classes)) {
			for (Path file : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
				String name = classes.relativize(file).toString();
				String pool = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
				checked++;
				if (name.equals("dev/reactoraio/spring/AioDataBufferUtils.class")) {
					assertTrue(pool.contains("org/springframework/"), "the check would not see a Spring reference");
				}
				if (!name.startsWith("dev/reactoraio/spring/") && pool.contains("org/springframework/")) {
					offenders.add(name + " refers to Spring");
				}
				if (!name.startsWith("dev/reactoraio/micrometer/") && pool.contains("io/micrometer/")) {
					offenders.add(name + " refers to Micrometer");
				}
			}
		}
		assertTrue(checked > 20, "found only " + checked + " classes under " + classes);
		assertEquals(List.of(), offenders);
	}
}
