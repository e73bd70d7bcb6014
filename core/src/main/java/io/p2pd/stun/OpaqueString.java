package io.p2pd.stun;

import java.lang.Character.UnicodeScript;
import java.text.Normalizer;

/**
 * The OpaqueString profile of PRECIS (RFC 8265 section 4.2), which RFC 8489 prescribes for STUN passwords: non-ASCII
 * spaces become ASCII spaces, then NFC; no width mapping (a fullwidth letter stays fullwidth), no case mapping. The
 * result must consist of FreeformClass code points (RFC 8264 section 4.3) and must not be empty; otherwise the
 * password is refused with an {@link IllegalArgumentException} naming the code point.
 *
 * <p>Disallowed: control characters (tab and newline included), unassigned code points and non-characters,
 * surrogates, private use, default-ignorable code points (soft hyphen, variation selectors, zero width space...),
 * old Hangul jamo, format characters, line and paragraph separators, and the exceptions RFC 5892 disallows. The
 * contextual rules for U+00B7, U+0375, U+05F3, U+05F4, U+30FB and the Arabic-Indic digits are applied. One
 * simplification: ZERO WIDTH (NON-)JOINER, allowed by RFC 5892 only after a virama or between joining letters, is
 * always refused (the JDK does not expose the canonical combining class those rules need).
 */
final class OpaqueString {
    private OpaqueString() {
    }

    /**
     * The enforced form of {@code s}; throws {@link IllegalArgumentException} naming {@code what} (a password, a
     * username) and the code point when it is not allowed.
     */
    static String enforce(String s, String what) {
        StringBuilder mapped = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> mapped.appendCodePoint(
                cp != ' ' && Character.getType(cp) == Character.SPACE_SEPARATOR ? ' ' : cp));
        String out = Normalizer.normalize(mapped, Normalizer.Form.NFC);
        if (out.isEmpty()) {
            throw new IllegalArgumentException("the " + what + " is empty");
        }
        int[] cps = out.codePoints().toArray();
        for (int i = 0; i < cps.length; i++) {
            if (!allowed(cps, i)) {
                throw new IllegalArgumentException(String.format(
                        "U+%04X is not allowed in a %s (RFC 8265 OpaqueString)", cps[i], what));
            }
        }
        return out;
    }

    private static boolean allowed(int[] cps, int i) {
        int cp = cps[i];
        if (cp >= 0x21 && cp <= 0x7E || cp == ' ') { // ASCII7 printable and the space
            return true;
        }
        if (exceptionDisallowed(cp) || defaultIgnorable(cp) || oldHangulJamo(cp)) {
            return false;
        }
        if (contextual(cp)) {
            return contextHolds(cps, i);
        }
        return switch (Character.getType(cp)) {
            // LetterDigits, OtherLetterDigits, Spaces, Symbols and Punctuation of RFC 8264 (HasCompat code points
            // fall in these categories too)
            case Character.LOWERCASE_LETTER, Character.UPPERCASE_LETTER, Character.OTHER_LETTER,
                 Character.DECIMAL_DIGIT_NUMBER, Character.MODIFIER_LETTER, Character.NON_SPACING_MARK,
                 Character.COMBINING_SPACING_MARK, Character.TITLECASE_LETTER, Character.LETTER_NUMBER,
                 Character.OTHER_NUMBER, Character.ENCLOSING_MARK, Character.SPACE_SEPARATOR,
                 Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL,
                 Character.OTHER_SYMBOL, Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION,
                 Character.START_PUNCTUATION, Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                 Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION -> true;
            // CONTROL, FORMAT, SURROGATE, PRIVATE_USE, UNASSIGNED (non-characters too), LINE_SEPARATOR,
            // PARAGRAPH_SEPARATOR
            default -> false;
        };
    }

    /** RFC 5892 section 2.6, the DISALLOWED exceptions. */
    private static boolean exceptionDisallowed(int cp) {
        return cp == 0x0640 || cp == 0x07FA || cp == 0x302E || cp == 0x302F || (cp >= 0x3031 && cp <= 0x3035)
                || cp == 0x303B;
    }

    /** Default_Ignorable_Code_Point (Unicode DerivedCoreProperties), PRECIS's PrecisionIgnorable. */
    private static boolean defaultIgnorable(int cp) {
        return cp == 0x00AD || cp == 0x034F || cp == 0x061C || cp == 0x115F || cp == 0x1160
                || cp == 0x17B4 || cp == 0x17B5 || (cp >= 0x180B && cp <= 0x180F) || (cp >= 0x200B && cp <= 0x200F)
                || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) || cp == 0x3164
                || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF || cp == 0xFFA0 || (cp >= 0xFFF0 && cp <= 0xFFF8)
                || (cp >= 0x1BCA0 && cp <= 0x1BCA3) || (cp >= 0x1D173 && cp <= 0x1D17A)
                || (cp >= 0xE0000 && cp <= 0xE0FFF);
    }

    /** Conjoining jamo (Hangul_Syllable_Type L, V or T): RFC 8264's OldHangulJamo. */
    private static boolean oldHangulJamo(int cp) {
        return (cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0xA960 && cp <= 0xA97C) || (cp >= 0xD7B0 && cp <= 0xD7FB);
    }

    /** The CONTEXTO code points of RFC 5892 appendix A. */
    private static boolean contextual(int cp) {
        return cp == 0x00B7 || cp == 0x0375 || cp == 0x05F3 || cp == 0x05F4 || cp == 0x30FB
                || (cp >= 0x0660 && cp <= 0x0669) || (cp >= 0x06F0 && cp <= 0x06F9);
    }

    private static boolean contextHolds(int[] cps, int i) {
        int cp = cps[i];
        if (cp == 0x00B7) { // MIDDLE DOT: between two 'l' (Catalan)
            return i > 0 && i + 1 < cps.length && cps[i - 1] == 'l' && cps[i + 1] == 'l';
        }
        if (cp == 0x0375) { // GREEK KERAIA: before a Greek letter
            return i + 1 < cps.length && UnicodeScript.of(cps[i + 1]) == UnicodeScript.GREEK;
        }
        if (cp == 0x05F3 || cp == 0x05F4) { // HEBREW GERESH, GERSHAYIM: after a Hebrew letter
            return i > 0 && UnicodeScript.of(cps[i - 1]) == UnicodeScript.HEBREW;
        }
        if (cp == 0x30FB) { // KATAKANA MIDDLE DOT: with Hiragana, Katakana or Han somewhere in the string
            for (int other : cps) {
                UnicodeScript script = UnicodeScript.of(other);
                if (other != 0x30FB && (script == UnicodeScript.HIRAGANA || script == UnicodeScript.KATAKANA
                        || script == UnicodeScript.HAN)) {
                    return true;
                }
            }
            return false;
        }
        // Arabic-Indic digits: the two sets must not be mixed.
        boolean eastern = cp >= 0x06F0;
        for (int other : cps) {
            if (eastern ? other >= 0x0660 && other <= 0x0669 : other >= 0x06F0 && other <= 0x06F9) {
                return false;
            }
        }
        return true;
    }
}
