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
 * The core artifact needs reactor-core and JNR-FFI only: no compiled class of it names a Spring or
 * Micrometer type (those integrations are the reactor-aio-spring and reactor-aio-micrometer artifacts).
 * BlockHound is named only by the integration BlockHound itself finds through its ServiceLoader.
 * Checked on the class files' constant pools, where every referenced class is named.
 */
class CoreDependenciesTest {

	@Test
	void theCoreRefersToNothingButReactorAndJnr() throws IOException {
		Path classes = Path.of(AioFiles.class.getProtectionDomain().getCodeSource().getLocation().getPath());
		List<String> offenders = new ArrayList<>();
		int checked = 0;
		boolean sawBlockHound = false;
		try (Stream<Path> files = Files.walk(classes)) {
			for (Path file : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
				String name = classes.relativize(file).toString();
				String pool = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
				checked++;
				if (pool.contains("org/springframework/")) {
					offenders.add(name + " refers to Spring");
				}
				if (pool.contains("io/micrometer/")) {
					offenders.add(name + " refers to Micrometer");
				}
				if (pool.contains("reactor/blockhound/")) {
					sawBlockHound = true;
					if (!name.equals("dev/reactoraio/internal/runtime/AioBlockHoundIntegration.class")) {
						offenders.add(name + " refers to BlockHound");
					}
				}
			}
		}
		assertTrue(checked > 20, "found only " + checked + " classes under " + classes);
		assertTrue(sawBlockHound, "the check would not see a reference");
		assertEquals(List.of(), offenders);
	}
}
