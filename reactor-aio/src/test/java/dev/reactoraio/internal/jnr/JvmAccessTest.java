package dev.reactoraio.internal.jnr;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The refusals a JVM can make, as they reach reactor-aio, explained with the flag to pass. */
class JvmAccessTest {

	@Test
	void deniedNativeAccessNamesTheFlag() {
		// what jffi's StubLoader throws under --illegal-native-access=deny (JDK 24+)
		UnsatisfiedLinkError refusal = new UnsatisfiedLinkError("java.lang.IllegalCallerException: Illegal native "
				+ "access from an unnamed module (file:/app.jar)");
		Throwable explained = JvmAccess.explain(new ExceptionInInitializerError(refusal));
		assertInstanceOf(UnsupportedOperationException.class, explained);
		assertTrue(explained.getMessage().startsWith("native access is denied (--illegal-native-access=deny)"),
				explained.getMessage());
		assertTrue(explained.getMessage().contains("--enable-native-access=ALL-UNNAMED"), explained.getMessage());
		assertTrue(explained.getMessage().contains("--enable-native-access=org.jnrproject.jffi"), explained.getMessage());
		assertTrue(JvmAccess.explain(new IllegalCallerException("no")).getMessage().startsWith("native access is denied"));
	}

	@Test
	void deniedUnsafeMemoryAccessNamesTheProperty() {
		// what sun.misc.Unsafe throws under --sun-misc-unsafe-memory-access=deny (JDK 23+)
		UnsupportedOperationException refusal = new UnsupportedOperationException("putLong");
		refusal.setStackTrace(new StackTraceElement[] {
				new StackTraceElement("sun.misc.Unsafe", "beforeMemoryAccess", "Unsafe.java", 1),
				new StackTraceElement("sun.misc.Unsafe", "putLong", "Unsafe.java", 2),
				new StackTraceElement("com.kenai.jffi.UnsafeMemoryIO$UnsafeMemoryIO64", "putAddress", null, 3)});
		Throwable explained = JvmAccess.explain(refusal);
		assertInstanceOf(UnsupportedOperationException.class, explained);
		assertSame(refusal, explained.getCause());
		assertTrue(explained.getMessage().contains("--sun-misc-unsafe-memory-access=deny"), explained.getMessage());
		assertTrue(explained.getMessage().contains("-Djffi.unsafe.disabled=true"), explained.getMessage());
	}

	@Test
	void otherFailuresStayAsTheyAre() {
		UnsupportedOperationException other = new UnsupportedOperationException("not Linux: Mac OS X");
		assertSame(other, JvmAccess.explain(other));
		UnsatisfiedLinkError missing = new UnsatisfiedLinkError("could not locate stub library in jar file");
		assertSame(missing, JvmAccess.explain(missing));
	}
}
