package io.p2pd.node.id;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * The machine a node runs on, as the original P2PD names it: HMAC-SHA256, keyed with the application id
 * ({@code "p2pd"}), of the operating system's machine id ({@code /var/lib/dbus/machine-id}, else
 * {@code /etc/machine-id}), in hex. Two nodes with the same machine id are on one host (the original then prefers
 * local addresses); the node's default listen port is derived from it ({@link #defaultListenPort()}).
 *
 * @param value 64 lowercase hex digits
 */
public record MachineId(String value) {

    /** Hex digits in a machine id. */
    public static final int LENGTH = 64;

    /** The application id the original hashes with. */
    public static final String APP_ID = "p2pd";

    private static final List<Path> SOURCES = List.of(Path.of("/var/lib/dbus/machine-id"), Path.of("/etc/machine-id"));

    /** Fails with IllegalArgumentException unless {@code value} is 64 lowercase hex digits. */
    public MachineId {
        Objects.requireNonNull(value, "value");
        if (!NodeId.isLowerHex(value, LENGTH)) {
            throw new IllegalArgumentException("not a machine id: expected " + LENGTH + " lowercase hex digits");
        }
    }

    /**
     * This machine's id, from the first raw id found where the original looks on Linux: {@code
     * /var/lib/dbus/machine-id}, {@code /etc/machine-id}, then, inside a Docker container, the container id from
     * {@code /proc/self/cgroup} or {@code /proc/self/mountinfo}. Empty when there is none (then see
     * {@link #fallback}); the original's macOS, Windows, BSD and WSL sources are not read. As in the original, a
     * source that cannot be read counts as absent.
     */
    public static Optional<MachineId> ofThisMachine() {
        for (Path source : SOURCES) {
            Optional<String> raw = readQuietly(source).map(MachineId::sanitize).filter(s -> !s.isEmpty());
            if (raw.isPresent()) {
                return Optional.of(fromRawId(raw.get(), APP_ID));
            }
        }
        Optional<String> docker = readQuietly(Path.of("/proc/self/cgroup")).flatMap(MachineId::dockerIdFromCgroup)
                .or(() -> readQuietly(Path.of("/proc/self/mountinfo")).flatMap(MachineId::dockerIdFromMountinfo));
        return docker.map(raw -> fromRawId(raw, APP_ID));
    }

    private static Optional<String> read(Path source) throws IOException {
        try {
            // /proc files report size 0: read a bounded prefix instead of trusting the size.
            try (var in = Files.newInputStream(source)) {
                return Optional.of(new String(in.readNBytes(1 << 20), UTF_8));
            }
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> readQuietly(Path source) {
        try {
            return read(source);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The original's {@code head -1 /proc/self/cgroup | cut -d/ -f3} when the text mentions docker. */
    static Optional<String> dockerIdFromCgroup(String cgroup) {
        if (!cgroup.contains("docker")) {
            return Optional.empty();
        }
        String first = cgroup.lines().findFirst().orElse("");
        String[] fields = first.split("/", -1);
        // cut prints a line without the delimiter whole, and nothing for a missing field.
        String id = sanitize(fields.length == 1 ? first : fields.length >= 3 ? fields[2] : "");
        return id.isEmpty() ? Optional.empty() : Optional.of(id);
    }

    private static final Pattern DOCKER_MOUNT = Pattern.compile("(?<=docker/containers/)([a-f0-9]+)(?=/hostname)");

    /**
     * The original's {@code grep -oP} for {@code docker/containers/<id>/hostname} in mountinfo: every match, joined
     * (its sanitizer removes the newlines between them).
     */
    static Optional<String> dockerIdFromMountinfo(String mountinfo) {
        if (!mountinfo.contains("docker")) {
            return Optional.empty();
        }
        StringBuilder ids = new StringBuilder();
        Matcher m = DOCKER_MOUNT.matcher(mountinfo);
        while (m.find()) {
            ids.append(m.group(1));
        }
        return ids.isEmpty() ? Optional.empty() : Optional.of(ids.toString());
    }

    /**
     * The id for the operating system's raw machine id {@code raw} (e.g. the text of /etc/machine-id): control
     * characters and white space removed, then HMAC-SHA256 keyed with {@code appId}, in hex.
     */
    public static MachineId fromRawId(String raw, String appId) {
        HMac mac = new HMac(new SHA256Digest());
        mac.init(new KeyParameter(appId.getBytes(UTF_8)));
        byte[] in = sanitize(raw).getBytes(UTF_8);
        mac.update(in, 0, in.length);
        byte[] out = new byte[mac.getMacSize()];
        mac.doFinal(out, 0);
        return new MachineId(HexFormat.of().formatHex(out));
    }

    /**
     * The original's fallback when the host has no machine id: SHA-256 of {@code "<appId> <host> <interface>
     * <mac>"}, in hex, where host is the host name, interface the default interface's name and mac its hardware
     * address as {@code aa:bb:cc:dd:ee:ff}.
     */
    public static MachineId fallback(String appId, String host, String interfaceName, String mac) {
        String text = appId + " " + host + " " + interfaceName + " " + mac;
        return new MachineId(HexFormat.of().formatHex(NodePublicKey.sha256(text.getBytes(UTF_8))));
    }

    /**
     * The listen port the original derives from the machine id, so that restarts keep it and nodes behind one
     * router differ: the SHA-256 of the id's text read as a little-endian integer, modulo 60001, raised by 10000
     * when below 10000 (so 10000 to 60000).
     */
    public int defaultListenPort() {
        byte[] digest = NodePublicKey.sha256(value.getBytes(UTF_8));
        byte[] bigEndian = new byte[digest.length];
        for (int i = 0; i < digest.length; i++) {
            bigEndian[i] = digest[digest.length - 1 - i];
        }
        int port = new BigInteger(1, bigEndian).mod(BigInteger.valueOf(60001)).intValueExact();
        return port < 10000 ? port + 10000 : port;
    }

    // The original's sanitizer: C0 and C1 control characters and white space go.
    static String sanitize(String raw) {
        StringBuilder sb = new StringBuilder(raw.length());
        raw.codePoints().filter(c -> !(c <= 0x1f || c >= 0x7f && c <= 0x9f || Character.isWhitespace(c)))
                .forEach(sb::appendCodePoint);
        return sb.toString();
    }

    /** The 64 hex digits. */
    @Override
    public String toString() {
        return value;
    }
}
