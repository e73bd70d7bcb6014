package io.p2pd.stun;

import java.text.Normalizer;

/**
 * SASLprep (RFC 4013) as STUN needs it for passwords: map non-ASCII spaces to space, drop the characters
 * "commonly mapped to nothing", NFKC, reject prohibited characters. The bidi check of RFC 3454 section 6
 * is not done (no STUN server we talk to relies on it).
 */
final class Saslprep {
    private Saslprep() {
    }

    static String prepare(String s) {
        StringBuilder mapped = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            if (mappedToNothing(cp)) {
                return;
            }
            mapped.appendCodePoint(nonAsciiSpace(cp) ? ' ' : cp);
        });
        String out = Normalizer.normalize(mapped, Normalizer.Form.NFKC);
        out.codePoints().forEach(cp -> {
            if (prohibited(cp)) {
                throw new IllegalArgumentException(String.format("SASLprep: prohibited character U+%04X", cp));
            }
        });
        return out;
    }

    private static boolean mappedToNothing(int cp) { // RFC 3454 table B.1
        return cp == 0x00AD || cp == 0x034F || cp == 0x1806 || (cp >= 0x180B && cp <= 0x180D)
                || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || (cp >= 0xFE00 && cp <= 0xFE0F)
                || cp == 0xFEFF;
    }

    private static boolean nonAsciiSpace(int cp) { // RFC 3454 table C.1.2
        return cp == 0x00A0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }

    private static boolean prohibited(int cp) { // the main groups of RFC 4013 section 2.3
        return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)          // control characters
                || (cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000             // private use
                || (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE   // non-characters
                || (cp >= 0xD800 && cp <= 0xDFFF)                              // surrogates
                || (cp >= 0xFFF9 && cp <= 0xFFFD) || (cp >= 0x2FF0 && cp <= 0x2FFB)
                || (cp >= 0x200E && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E)
                || (cp >= 0x206A && cp <= 0x206F) || cp == 0x0340 || cp == 0x0341
                || (cp >= 0xE0001 && cp <= 0xE007F);
    }
}
