package io.p2pd.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonTest {

    @Test
    void writesAndParsesNestedValues() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "plain");
        m.put("n", 42);
        m.put("neg", -7L);
        m.put("t", true);
        m.put("f", false);
        m.put("z", Json.NULL);
        m.put("list", List.of(1, "two", List.of(), Map.of()));
        String text = Json.write(m);
        assertThat(text).isEqualTo(
                "{\"s\":\"plain\",\"n\":42,\"neg\":-7,\"t\":true,\"f\":false,\"z\":null,\"list\":[1,\"two\",[],{}]}");
        Object back = Json.parse(text);
        assertThat(back).isEqualTo(Map.of("s", "plain", "n", new BigDecimal(42), "neg", new BigDecimal(-7),
                "t", true, "f", false, "z", Json.NULL,
                "list", List.of(new BigDecimal(1), "two", List.of(), Map.of())));
    }

    @Test
    void escapesEveryCharacterThatNeedsIt() {
        String nasty = "q\" b\\ s/ n\n r\r t\t b\b f\f nul\u0000 us\u001f del\u007f ls\u2028 é ☃ 😀";
        String text = Json.write(List.of(nasty));
        assertThat(text).doesNotContain("\n", "\r", "\t", "\u0000", "\u001f", "\u2028")
                .contains("\\\"", "\\\\", "\\n", "\\r", "\\t", "\\b", "\\f", "\\u0000", "\\u001f", "\\u2028");
        assertThat(Json.parse(text)).isEqualTo(List.of(nasty));
    }

    @Test
    void parsesEscapesWhitespaceAndNumbers() {
        assertThat(Json.parse(" [ \"\\u00e9\\/\\ud83d\\ude00\" , 0 , -0.5 , 1e3 , 2.5E-1 ] \n"))
                .isEqualTo(List.of("é/😀", new BigDecimal("0"), new BigDecimal("-0.5"), new BigDecimal("1e3"),
                        new BigDecimal("2.5E-1")));
        assertThat(Json.parse("\"\"")).isEqualTo("");
        assertThat(Json.parse("null")).isSameAs(Json.NULL);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
        "''                    | 0  | expected a value",
        "'   '                 | 3  | expected a value",
        "'{'                   | 1  | expected a string key",
        "'{\"a\" 1}'           | 5  | expected ':'",
        "'{\"a\":1,}'          | 7  | expected a string key",
        "'{\"a\":1 \"b\":2}'   | 7  | expected ',' or '}'",
        "'[1,]'                | 3  | unexpected ']'",
        "'[1 2]'               | 3  | expected ',' or ']'",
        "'[1'                  | 2  | expected ',' or ']'",
        "'\"abc'               | 4  | unterminated string",
        "'\"a\\x\"'            | 3  | bad escape",
        "'\"\\u12g4\"'         | 5  | bad hex digit",
        "'\"\\u12'             | 3  | truncated",
        "'01'                  | 1  | trailing",
        "'-'                   | 1  | expected a digit",
        "'1.'                  | 2  | after '.'",
        "'1e'                  | 2  | exponent",
        "'tru'                 | 0  | expected true",
        "'nul'                 | 0  | expected null",
        "'{} x'                | 3  | trailing",
        "'[\"a\"]]'            | 5  | trailing",
        "'@'                   | 0  | unexpected '@'",
    })
    void rejectsMalformedInputNamingTheOffset(String text, int offset, String what) {
        assertThatIllegalArgumentException().isThrownBy(() -> Json.parse(text))
                .withMessageContaining("offset " + offset).withMessageContaining(what);
    }

    @Test
    void rejectsRawControlCharactersDuplicateKeysNullAndDeepNesting() {
        assertThatIllegalArgumentException().isThrownBy(() -> Json.parse("\"a\nb\""))
                .withMessageContaining("offset 2").withMessageContaining("control character");
        assertThatIllegalArgumentException().isThrownBy(() -> Json.parse("{\"k\":1,\"k\":2}"))
                .withMessageContaining("duplicate key 'k' at offset 7");
        assertThatIllegalArgumentException().isThrownBy(() -> Json.parse(null)).withMessageContaining("null");
        assertThatIllegalArgumentException().isThrownBy(() -> Json.parse("[".repeat(100) + "]".repeat(100)))
                .withMessageContaining("nesting");
    }
}
