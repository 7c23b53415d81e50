package dev.reactoraio.internal.jnr;

/**
 * What the JVM may refuse the native backends, and the flag that lifts each refusal.
 * <ul>
 * <li>Native access. reactor-aio calls the kernel through JNR-FFI, whose jffi loads a JNI library
 * ({@code System.load}, a restricted method): JDK 24 warns, and with {@code --illegal-native-access=deny}
 * (the default of a JDK to come) the load throws.</li>
 * <li>{@code sun.misc.Unsafe} memory access (JEP 471: JDK 24 warns, {@code --sun-misc-unsafe-memory-access=deny}
 * throws). reactor-aio's own accesses never use it (see {@link Native}), but JNR-FFI writes the table of
 * the native methods it registers through jffi's shared accessors, Unsafe-based unless the system property
 * {@code jffi.unsafe.disabled} is true: {@link #preferJniMemoryAccess} sets it where Unsafe is restricted.</li>
 * </ul>
 */
public final class JvmAccess {

	/** The flag that grants native access to code on the class path. */
	public static final String ENABLE_NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";

	/** jffi's switch from sun.misc.Unsafe to JNI for its shared memory accessors (read once, at first use). */
	public static final String JFFI_UNSAFE_DISABLED = "jffi.unsafe.disabled";

	private static volatile boolean setJffiProperty;

	private JvmAccess() {
	}

	/** For the diagnostics: {@code jffi.unsafe.disabled} and who set it. */
	public static String jffiUnsafeDisabled() {
		String value = System.getProperty(JFFI_UNSAFE_DISABLED);
		return value == null ? "not set (sun.misc.Unsafe is not restricted here)"
				: value + (setJffiProperty ? " (set by reactor-aio: this JVM restricts sun.misc.Unsafe)" : "");
	}

	/**
	 * Before jffi's first use: where {@code sun.misc.Unsafe} memory access is restricted (JDK 24 and later
	 * unless {@code --sun-misc-unsafe-memory-access=allow}; JDK 23 with that flag set to {@code warn},
	 * {@code debug} or {@code deny}), sets {@code jffi.unsafe.disabled=true} unless it is set already, so
	 * JNR-FFI needs no Unsafe (no warning, nothing to deny). This is JVM-wide: if reactor-aio loads jffi
	 * first, other users of jffi in the JVM get its JNI accessors too. Setting the property yourself, to
	 * either value, decides instead.
	 *
	 * @return whether this call set the property
	 */
	static boolean preferJniMemoryAccess() {
		if (System.getProperty(JFFI_UNSAFE_DISABLED) != null || !unsafeRestricted()) {
			return false;
		}
		System.setProperty(JFFI_UNSAFE_DISABLED, "true");
		setJffiProperty = true;
		return true;
	}

	/** Whether this JVM warns about or denies sun.misc.Unsafe memory access (JEP 471, JEP 498). */
	static boolean unsafeRestricted() {
		String mode = System.getProperty("sun.misc.unsafe.memory.access"); // set by the flag, when given
		return mode != null ? !mode.equals("allow") : Runtime.version().feature() >= 24;
	}

	/**
	 * {@code failure} itself, or, when the JVM refused native access or {@code sun.misc.Unsafe} memory
	 * access somewhere in its causes, an {@link UnsupportedOperationException} (with {@code failure} as its
	 * cause) that says so and names the flag to pass.
	 */
	public static Throwable explain(Throwable failure) {
		for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
			if (isNativeAccessRefusal(t)) {
				return new UnsupportedOperationException("native access is denied (--illegal-native-access=deny): "
						+ "the io_uring and kernel AIO backends call the kernel through JNR-FFI, whose jffi loads a "
						+ "JNI library; run with " + ENABLE_NATIVE_ACCESS + " (on the module path: "
						+ "--enable-native-access=org.jnrproject.jffi) or use the NIO backend, which needs none",
						failure);
			}
			if (isUnsafeRefusal(t)) {
				return new UnsupportedOperationException("sun.misc.Unsafe memory access is denied "
						+ "(--sun-misc-unsafe-memory-access=deny) and JNR-FFI's jffi uses it (jffi.unsafe.disabled is "
						+ "false, or another library set jffi up before reactor-aio loaded): run with "
						+ "-Djffi.unsafe.disabled=true (jffi then uses JNI instead)", failure);
			}
		}
		return failure;
	}

	private static boolean isNativeAccessRefusal(Throwable t) {
		if (t instanceof IllegalCallerException) {
			return true;
		}
		String message = t.getMessage();
		return t instanceof LinkageError && message != null && message.contains("Illegal native access");
	}

	/** JDK 23+ throws UnsupportedOperationException from sun.misc.Unsafe's memory methods when denied. */
	private static boolean isUnsafeRefusal(Throwable t) {
		if (!(t instanceof UnsupportedOperationException)) {
			return false;
		}
		StackTraceElement[] trace = t.getStackTrace();
		for (int i = 0; i < Math.min(3, trace.length); i++) {
			if (trace[i].getClassName().equals("sun.misc.Unsafe")) {
				return true;
			}
		}
		return false;
	}
}
