package io.p2pd.pipe;

/**
 * Bytes read as ISO-8859-1 characters (one char per byte) without copying them: what subscription patterns run
 * over. A String would copy the message once per subscription.
 */
final class Latin1View implements CharSequence {

    private final byte[] bytes;
    private final int from;
    private final int to;

    Latin1View(byte[] bytes) {
        this(bytes, 0, bytes.length);
    }

    private Latin1View(byte[] bytes, int from, int to) {
        this.bytes = bytes;
        this.from = from;
        this.to = to;
    }

    @Override
    public int length() {
        return to - from;
    }

    @Override
    public char charAt(int index) {
        if (index < 0 || index >= to - from) {
            throw new IndexOutOfBoundsException(index);
        }
        return (char) (bytes[from + index] & 0xFF);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        if (start < 0 || end > to - from || start > end) {
            throw new IndexOutOfBoundsException("[" + start + ", " + end + ") of " + (to - from));
        }
        return new Latin1View(bytes, from + start, from + end);
    }

    @Override
    public String toString() {
        return new String(bytes, from, to - from, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
