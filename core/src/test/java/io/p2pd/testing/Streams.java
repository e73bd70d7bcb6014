package io.p2pd.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;

/** Large TCP transfers over plain sockets, checked by their SHA-256: what one end wrote, the other read. */
public final class Streams {

    private Streams() {
    }

    /** Writes {@code total} seeded random bytes in 64 KiB blocks; their SHA-256 in hex. */
    public static String write(Socket socket, long total, long seed) {
        MessageDigest digest = sha256();
        Random random = new Random(seed);
        byte[] block = new byte[64 * 1024];
        try {
            OutputStream out = socket.getOutputStream();
            for (long left = total; left > 0; left -= block.length) {
                random.nextBytes(block);
                int n = (int) Math.min(block.length, left);
                out.write(block, 0, n);
                digest.update(block, 0, n);
            }
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * Reads {@code total} bytes in pieces of at most {@code pieceSize} (small pieces make a slow reader); their
     * SHA-256 in hex. Fails when the stream ends early.
     */
    public static String read(Socket socket, long total, int pieceSize) throws IOException {
        return read(socket, total, pieceSize, 0);
    }

    /**
     * As {@link #read(Socket, long, int)}, hashing every piece {@code extraWork} more times: a reader made slower
     * than {@link #write} by the work it does per byte, not by waiting.
     */
    public static String read(Socket socket, long total, int pieceSize, int extraWork) throws IOException {
        MessageDigest digest = sha256();
        MessageDigest busy = sha256();
        InputStream in = socket.getInputStream();
        byte[] piece = new byte[pieceSize];
        long got = 0;
        while (got < total) {
            int n = in.read(piece, 0, (int) Math.min(piece.length, total - got));
            if (n < 0) {
                throw new IOException("stream ended after " + got + " of " + total + " bytes");
            }
            digest.update(piece, 0, n);
            for (int i = 0; i < extraWork; i++) {
                busy.update(piece, 0, n);
            }
            got += n;
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
