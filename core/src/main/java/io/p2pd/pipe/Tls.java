package io.p2pd.pipe;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.File;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * TLS settings of a pipe: setting them ({@link TcpOptions.Builder#tls(Tls)}) turns TLS on, the original's
 * {@code use_ssl}.
 *
 * <p>Clients verify the server by default: the certificate chain against the system's trust store, and that the
 * certificate names what was dialled (the host name, or the IP for an IP literal). The original turned verification off; here trusting only given
 * certificates ({@link #trusting}) or not verifying at all ({@link #insecure}) are explicit choices. A server pipe
 * needs its identity: {@link #server}. The JDK's TLS engine is used, or BoringSSL when netty-tcnative is present.
 */
public final class Tls {

    private static final Tls VERIFYING = new Tls(Mode.VERIFY, List.of(), Optional.empty());

    private enum Mode { VERIFY, TRUST_GIVEN, INSECURE }

    private final Mode mode;
    private final List<X509Certificate> trusted;
    private final Optional<SslContext> serverContext;
    /** Made on first use: building a context loads trust stores, too slow to repeat per connection. */
    private volatile SslContext clientContext;

    private Tls(Mode mode, List<X509Certificate> trusted, Optional<SslContext> serverContext) {
        this.mode = mode;
        this.trusted = trusted;
        this.serverContext = serverContext;
    }

    /** Verify servers against the system's trust store (the default). */
    public static Tls verifying() {
        return VERIFYING;
    }

    /** Verify servers against these certificates only (for example a self-signed one). */
    public static Tls trusting(X509Certificate... certificates) {
        if (certificates.length == 0) {
            throw new IllegalArgumentException("tls: trusting needs at least one certificate");
        }
        return new Tls(Mode.TRUST_GIVEN, List.of(certificates), Optional.empty());
    }

    /** Accept any server certificate. Encrypts, but does not know who it talks to: an explicit, risky choice. */
    public static Tls insecure() {
        return new Tls(Mode.INSECURE, List.of(), Optional.empty());
    }

    /** A server identity: its private key and certificate chain (leaf first). */
    public static Tls server(PrivateKey key, X509Certificate... chain) {
        try {
            return new Tls(Mode.VERIFY, List.of(), Optional.of(builder(SslContextBuilder.forServer(key, chain))
                    .build()));
        } catch (SSLException e) {
            throw new IllegalArgumentException("tls: cannot use this key and certificate: " + e.getMessage(), e);
        }
    }

    /** A server identity from PEM files: a certificate chain and a PKCS#8 private key. */
    public static Tls server(File certificateChainPem, File privateKeyPem) {
        try {
            return new Tls(Mode.VERIFY, List.of(), Optional.of(builder(
                    SslContextBuilder.forServer(certificateChainPem, privateKeyPem)).build()));
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("tls: cannot read " + certificateChainPem + " and " + privateKeyPem
                    + ": " + e.getMessage(), e);
        }
    }

    /** Whether host names are checked (only when the chain is verified). */
    boolean verifiesHostNames() {
        return mode != Mode.INSECURE;
    }

    boolean canServe() {
        return serverContext.isPresent();
    }

    SslContext serverContext() {
        return serverContext.orElseThrow(() -> new IllegalArgumentException(
                "tls on a server pipe needs an identity: TcpOptions.builder().tls(Tls.server(...))"));
    }

    SslContext clientContext() throws SSLException {
        SslContext made = clientContext;
        if (made == null) {
            made = newClientContext();
            clientContext = made;
        }
        return made;
    }

    private SslContext newClientContext() throws SSLException {
        SslContextBuilder b = SslContextBuilder.forClient();
        switch (mode) {
            case TRUST_GIVEN -> b.trustManager(trusted.toArray(X509Certificate[]::new));
            case INSECURE -> b.trustManager(InsecureTrustManagerFactory.INSTANCE);
            case VERIFY -> { }
        }
        return builder(b).build();
    }

    private static SslContextBuilder builder(SslContextBuilder b) {
        return b.sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK);
    }

    @Override
    public String toString() {
        return "Tls[" + mode.name().toLowerCase() + (canServe() ? ", server identity" : "") + "]";
    }
}
