package dev.reactoraio;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The global resources follow the {@code reactoraio.*} system properties and come back after disposal. */
class GlobalResourcesTest {

	@TempDir
	Path dir;

	@Test
	void globalResourcesUseTheBackendProperty() throws Exception {
		System.out.println("global backend property: " + System.getProperty(AioProperties.BACKEND));
		AioBackend configured = AioProperties.backend();
		AioBackend expected = configured == AioBackend.AUTO ? Aio.autoBackend() : configured;
		AioResources global = AioResources.global();
		assertEquals(expected, global.backend(), "-D" + AioProperties.BACKEND + "=" + System.getProperty(AioProperties.BACKEND));
		assertSame(global, AioResources.global());
		Path file = Files.write(dir.resolve("global.bin"), new byte[] {1, 2, 3});
		assertArrayEquals(new byte[] {1, 2, 3}, TestFiles.toBytes(AioFiles.read(file, 16).blockFirst()));
		global.disposeLater().block();
		AioResources again = AioResources.global();
		assertNotSame(global, again);
		assertEquals(expected, again.backend());
	}

	@Test
	void invalidPropertiesFailFast() {
		String old = System.getProperty(AioProperties.RING_ENTRIES);
		System.setProperty(AioProperties.RING_ENTRIES, "lots");
		try {
			IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AioResources.builder("x"));
			assertEquals("reactoraio.ringEntries=lots: not an integer", e.getMessage());
			System.setProperty(AioProperties.RING_ENTRIES, "1");
			e = assertThrows(IllegalArgumentException.class, () -> AioResources.builder("x"));
			assertEquals("reactoraio.ringEntries=1: must be between 2 and 32768", e.getMessage());
		}
		finally {
			if (old == null) {
				System.clearProperty(AioProperties.RING_ENTRIES);
			}
			else {
				System.setProperty(AioProperties.RING_ENTRIES, old);
			}
		}
		assertThrows(IllegalArgumentException.class, () -> AioResources.builder("x").readahead(0));
		assertThrows(IllegalArgumentException.class, () -> AioResources.builder(" "));
	}
}
