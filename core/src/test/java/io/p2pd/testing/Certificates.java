package io.p2pd.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;

/** A self-signed certificate and key made at test time with the openssl command: no key is checked in. */
public record Certificates(File certificate, File key) {

    /** A certificate for {@code names}, e.g. "DNS:localhost,IP:127.0.0.1". */
    public static Certificates selfSigned(Path dir, String commonName, String subjectAltNames)
            throws IOException, InterruptedException {
        Path cert = dir.resolve(commonName + "-cert.pem");
        Path key = dir.resolve(commonName + "-key.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                "-subj", "/CN=" + commonName, "-addext", "subjectAltName=" + subjectAltNames,
                "-keyout", key.toString(), "-out", cert.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("openssl req failed: " + output);
        }
        return new Certificates(cert.toFile(), key.toFile());
    }

    public X509Certificate x509() throws IOException, CertificateException {
        try (InputStream in = Files.newInputStream(certificate.toPath())) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
