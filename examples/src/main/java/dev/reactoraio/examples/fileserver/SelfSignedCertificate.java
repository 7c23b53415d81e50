package dev.reactoraio.examples.fileserver;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate for {@code localhost} and {@code 127.0.0.1} (EC P-256, valid for a day),
 * written as PEM files that Spring Boot's {@code server.ssl.certificate} and
 * {@code server.ssl.certificate-private-key} read and that clients can trust ({@code curl --cacert}).
 * BouncyCastle only assembles the certificate; the JDK's own provider signs it.
 *
 * @param certificate the certificate's PEM file
 * @param privateKey the PKCS#8 private key's PEM file
 */
public record SelfSignedCertificate(Path certificate, Path privateKey) {

	/**
	 * Creates a key pair and certificate in {@code dir}.
	 *
	 * @param dir where to write {@code server.crt} and {@code server.key}
	 * @return the files
	 * @throws IOException if they cannot be written
	 */
	public static SelfSignedCertificate create(Path dir) throws IOException {
		try {
			KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
			generator.initialize(new ECGenParameterSpec("secp256r1"));
			KeyPair keys = generator.generateKeyPair();
			X500Name subject = new X500Name("CN=localhost");
			Instant now = Instant.now();
			X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
					BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(Duration.ofMinutes(5))),
					Date.from(now.plus(Duration.ofDays(1))), subject, keys.getPublic())
					.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
							new GeneralName(GeneralName.dNSName, "localhost"),
							new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
			X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
					builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
			Path certificateFile = dir.resolve("server.crt");
			Path keyFile = dir.resolve("server.key");
			Files.writeString(certificateFile, pem("CERTIFICATE", certificate.getEncoded()), StandardCharsets.US_ASCII);
			Files.writeString(keyFile, pem("PRIVATE KEY", keys.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
			return new SelfSignedCertificate(certificateFile, keyFile);
		}
		catch (GeneralSecurityException | OperatorCreationException e) {
			throw new IOException("cannot create a self-signed certificate", e);
		}
	}

	private static String pem(String type, byte[] der) {
		String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
		return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
	}
}
