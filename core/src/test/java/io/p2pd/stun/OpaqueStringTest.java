package io.p2pd.stun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * STUN passwords under the OpaqueString profile (RFC 8265 section 4.2), as RFC 8489 asks, not SASLprep: the examples
 * of RFC 8265 section 4.2.3 and the rules that tell the two apart.
 */
class OpaqueStringTest {

    /** Input and expected output, as code point escapes (CSV-friendly). */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // RFC 8265 section 4.2.3, examples 8 to 12: ASCII space, case kept, non-ASCII letters, symbols
        "correct horse battery staple | correct horse battery staple",
        "Correct Horse Battery Staple | Correct Horse Battery Staple",
        "\u03C0\u00DF\u00E5 | \u03C0\u00DF\u00E5",
        "Jack of \u2666s | Jack of \u2666s",
        // example 12: OGHAM SPACE MARK, a non-ASCII space, becomes an ASCII space
        "foo\u1680bar | foo bar",
        // NFC, not NFKC: a combining accent composes; fullwidth, Roman numerals and ordinal indicators stay
        // (SASLprep made U+FF30 "P", U+2168 "IX", U+00AA "a")
        "e\u0301 | \u00E9",
        "\uFF30\u2168\u00AA | \uFF30\u2168\u00AA",
        // contextual rules that hold: Catalan middle dot, Greek keraia, katakana middle dot with katakana
        "col\u00B7la | col\u00B7la",
        "\u0375\u03B1 | \u0375\u03B1",
        "\u30A2\u30FB\u30A4 | \u30A2\u30FB\u30A4",
    })
    void enforcesAsRfc8265Says(String in, String expected) {
        assertThat(OpaqueString.enforce(in.strip(), "password")).isEqualTo(expected.strip());
    }

    /** RFC 8265 example 13 (empty) and 14 (a tab), and the other disallowed kinds of code point. */
    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "my cat is a \u0009by",          // control character (tab)
        "The\u00ADMatrix",                // SOFT HYPHEN: default ignorable (SASLprep dropped it silently)
        "a\u200Bb",                       // ZERO WIDTH SPACE: default ignorable
        "a\uFE0Fb",                       // variation selector: default ignorable
        "a\u200Db",                       // ZERO WIDTH JOINER: refused (see the class comment)
        "pass\uE000",                     // private use
        "pass\u0378",                     // unassigned
        "pass\uFFFF",                     // non-character
        "a\u1100",                        // old Hangul jamo (L+V would compose to a syllable under NFC)
        "a\u2028b",                       // line separator
        "a\u0640b",                       // ARABIC TATWEEL: an RFC 5892 exception
        "ab\u00B7c",                      // middle dot outside l·l
        "\u0663\u06F3",                   // Arabic-Indic digits of both sets mixed
    })
    void refusesWhatOpaqueStringDisallows(String in) {
        assertThatThrownBy(() -> OpaqueString.enforce(in, "password")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("password");
    }

    @Test
    void theShortTermKeyAndCredentialsUseIt() {
        assertThat(StunMessage.shortTermKey("e\u0301\u3000x"))
                .isEqualTo("\u00E9 x".getBytes(StandardCharsets.UTF_8));
        assertThat(StunMessage.shortTermKey("\uFF30")).isEqualTo("\uFF30".getBytes(StandardCharsets.UTF_8));
        assertThat(new StunCredentials("e\u0301", "pw").username()).isEqualTo("\u00E9");
        assertThatThrownBy(() -> new StunCredentials("alice", "pass\tword"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("U+0009");
        assertThatThrownBy(() -> new StunCredentials("alice", "")).isInstanceOf(IllegalArgumentException.class);
    }
}
