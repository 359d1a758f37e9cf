package org.speedyspeech.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** config.json as `speedyspeech-tf export` writes it (export-config.json: a default ExportConfig, from Python). */
public class ModelConfigTest {
    private static String exported() throws Exception {
        return new String(FrontEnd.readAll(Vectors.resource("export-config.json")), StandardCharsets.UTF_8);
    }

    @Test
    public void readsTheExportedConfig() throws Exception {
        ModelConfig c = ModelConfig.parse(exported());
        assertTrue("exports list the durations output (timestamps)", c.hasDurations);
        ModelConfig old = ModelConfig.parse(exported().replaceAll("\"durations\"\\s*\\]", "]")
                .replaceAll(",\\s*\\]", "]"));  // an export from before timestamps: 3 outputs
        assertFalse(old.hasDurations);
        assertEquals(176, c.maxPhonemes);
        assertEquals(1152, c.maxFrames);
        assertEquals(5, c.padSymbols);
        assertEquals(171, c.maxTextSymbols());
        assertEquals(128, c.vocoderWindow);
        assertEquals(7, c.vocoderContext);
        assertEquals(142, c.vocoderFrames());
        assertEquals(142 * 256, c.vocoderSamples());
        assertEquals(256, c.hopLength);
        assertEquals(22050, c.sampleRate);
        assertEquals(80, c.nMels);
        assertEquals(-11.5129f, c.silenceLogMel, 0f);
        assertEquals("student.tflite", c.studentFile);
        assertEquals("vocoder.tflite", c.vocoderFile);
        assertEquals("serving_default", c.signatureKey);
        assertEquals("float32", c.quantization);
        assertEquals(0.1f, c.minSpeed, 0f);
        assertEquals(10f, c.maxSpeed, 0f);
    }

    private static String error(String json) {
        try {
            ModelConfig.parse(json);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        throw new AssertionError("no error");
    }

    @Test
    public void refusesConfigsItCannotRunNamingTheField() throws Exception {
        String ok = exported();
        assertTrue(error(ok.replace("\"max_phonemes\": 176", "\"max_phonemes\": 0")).contains("max_phonemes = 0"));
        assertTrue(error(ok.replace("\"pad_symbols\": 5", "\"pad_symbols\": 176")).contains("pad_symbols"));
        assertTrue(error(ok.replace("\"format_version\": 1", "\"format_version\": 2")).contains("format_version 2"));
        assertTrue(error(ok.replace("\"AA0\"", "\"XX\"")).contains("text.symbols"));
        assertTrue(error(ok.replace("\"vocoder_output\": \"window\"", "\"vocoder_output\": \"whole\"")).contains("vocoder_output"));
        assertTrue(error(ok.replace("\"phoneme_ids\"", "\"ids\"")).contains("student_inputs"));
        assertTrue(error(ok.replace("\"max_frames\": 1152", "\"max_frames\": \"many\"")).contains("max_frames"));
        assertTrue(error(ok.replace("\"max_speed\": 10.0", "\"max_speed\": 0.5")).contains("max_speed"));
        assertTrue(error("[1, 2]").contains("not a JSON object"));
        assertTrue(error("{\"format_version\": 1,").startsWith("JSON:"));
    }

    @Test
    public void jsonReaderHandlesEscapesAndNumbers() {
        Map<?, ?> m = (Map<?, ?>) Json.parse("{\"a\": \"x\\u00e9\\n\\\"\\ud83d\\ude00\", \"b\": [1, -2.5e3, true, null], \"c\": {}}");
        assertEquals("x\u00e9\n\"\ud83d\ude00", m.get("a"));
        List<?> b = (List<?>) m.get("b");
        assertEquals(1L, b.get(0));
        assertEquals(-2500.0, b.get(1));
        assertEquals(Boolean.TRUE, b.get(2));
        assertEquals(null, b.get(3));
        for (String bad : new String[] {"", "{", "[1,]", "\"abc", "{\"a\" 1}", "tru", "1 2", "\"\\x\""}) {
            try {
                Json.parse(bad);
                fail("expected an error for " + bad);
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage().startsWith("JSON:"));
            }
        }
    }
}
