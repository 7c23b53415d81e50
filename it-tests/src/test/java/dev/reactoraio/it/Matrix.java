package dev.reactoraio.it;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * What {@code provision.sh} prepared ({@code provisioned.properties} in the matrix folder, the system
 * property {@code matrix.dir} that Maven's kernel-matrix profile sets): the runner image, the kernels,
 * the guest's initramfs and the suite.
 */
final class Matrix {

	private static final Matrix INSTANCE = load();

	final Path dir;
	private final Properties provisioned;

	private Matrix(Path dir, Properties provisioned) {
		this.dir = dir;
		this.provisioned = provisioned;
	}

	static Matrix get() {
		return INSTANCE;
	}

	private static Matrix load() {
		String dir = System.getProperty("matrix.dir");
		if (dir == null) {
			throw new IllegalStateException("matrix.dir is not set: run the matrix with mvn -Pkernel-matrix verify");
		}
		Path file = Path.of(dir, "provisioned.properties");
		Properties properties = new Properties();
		try (Reader reader = Files.newBufferedReader(file)) {
			properties.load(reader);
		}
		catch (IOException e) {
			throw new IllegalStateException(file + " is missing: it-tests/provision.sh did not run", e);
		}
		return new Matrix(Path.of(dir), properties);
	}

	private String property(String name) {
		String value = provisioned.getProperty(name);
		if (value == null) {
			throw new IllegalStateException(name + " is missing from " + dir.resolve("provisioned.properties"));
		}
		return value;
	}

	String runnerImage() {
		return property("runner.image");
	}

	Path kernel(String series) {
		return Path.of(property("kernel." + series));
	}

	/** The Debian package the kernel came from, with its version. */
	String kernelPackage(String series) {
		return property("kernel." + series + ".package");
	}

	/** The kernel's virtio_blk module, which the guest loads for a virtio disk. */
	Path virtioBlk(String series) {
		String module = provisioned.getProperty("kernel." + series + ".virtio_blk");
		if (module == null) {
			throw new IllegalStateException(kernelPackage(series) + " has no virtio_blk module (provision.sh)");
		}
		return Path.of(module);
	}

	Path initramfs() {
		return Path.of(property("initramfs"));
	}

	Path suite() {
		return Path.of(property("suite"));
	}

	Path runVm() {
		return Path.of(property("run-vm"));
	}

	/** A scenario's folder: its inputs, console log and JUnit report. */
	Path results(Scenario scenario) throws IOException {
		return Files.createDirectories(dir.resolve("results").resolve(scenario.name()));
	}
}
