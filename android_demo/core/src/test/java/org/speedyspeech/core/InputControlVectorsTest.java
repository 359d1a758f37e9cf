package org.speedyspeech.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * Typed phonemes, user lexicons, SSML, phrases with silences and timelines give exactly what the Python side gives
 * (rows phonemes / lexicon / ssml / plan / timeline of vectors.tsv, written by speedyspeech_tf/android_assets.py):
 * the same words, pieces, rates, pauses, sample positions and the same error messages, line and column included.
 */
public class InputControlVectorsTest {
    private static final int MAX_REPORTED = 12;

    private static void report(List<String> problems, int checked, String what) {
        if (problems.isEmpty()) return;
        StringBuilder sb = new StringBuilder(problems.size() + " of " + checked + " " + what + " differ from Python:\n");
        for (int i = 0; i < Math.min(MAX_REPORTED, problems.size()); i++) sb.append("  ").append(problems.get(i)).append('\n');
        fail(sb.toString());
    }

    /** Python's JSON value for a list of words: [[text, [symbols]], ...]. */
    private static List<Object> words(List<Word> words) {
        List<Object> out = new ArrayList<>();
        for (Word w : words) {
            List<Object> pair = new ArrayList<>();
            pair.add(w.text);
            pair.add(new ArrayList<Object>(w.symbols));
            out.add(pair);
        }
        return out;
    }

    private static Map<String, Object> error(String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", message);
        return m;
    }

    /** Numbers compare by value (Python writes 1.0 and 1 alike as JSON numbers; Json gives Long or Double). */
    static Object normalize(Object o) {
        if (o instanceof Number) return ((Number) o).doubleValue();
        if (o instanceof List) {
            List<Object> out = new ArrayList<>();
            for (Object x : (List<?>) o) out.add(normalize(x));
            return out;
        }
        if (o instanceof Map) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) o).entrySet()) out.put((String) e.getKey(), normalize(e.getValue()));
            return out;
        }
        return o;
    }

    private interface Case {
        Object run(Object input) throws Exception;
    }

    private static void check(String type, Case c) throws Exception {
        List<Vectors.Row> rows = Vectors.of(type);
        List<String> problems = new ArrayList<>();
        for (Vectors.Row r : rows) {
            Object input = Json.parse(r.f[1]);
            Object expected = normalize(Json.parse(r.f[2]));
            Object got;
            try {
                got = normalize(c.run(input));
            } catch (IllegalArgumentException e) {
                got = error(e.getMessage());
            } catch (RuntimeException e) {
                got = "EXCEPTION " + e;
            }
            if (!expected.equals(got)) {
                problems.add(r.where() + " " + r.f[1] + "\n      python: " + expected + "\n      java:   " + got);
            }
        }
        report(problems, rows.size(), type + " rows");
    }

    @Test
    public void typedPhonemesParseAsInPython() throws Exception {
        check("phonemes", input -> words(Phonemizer.parsePhonemes((String) input)));
    }

    @Test
    public void userLexiconsParseAsInPython() throws Exception {
        check("lexicon", input -> {
            List<Object> out = new ArrayList<>();
            for (Map.Entry<String, List<String>> e : UserLexicon.parse((String) input, "my.lex").entrySet()) {
                List<Object> pair = new ArrayList<>();
                pair.add(e.getKey());
                pair.add(new ArrayList<Object>(e.getValue()));
                out.add(pair);
            }
            return out;
        });
    }

    @Test
    public void ssmlParsesAsInPython() throws Exception {
        Phonemizer p = Vectors.subsetPhonemizer();
        check("ssml", input -> {
            List<Object> out = new ArrayList<>();
            for (Ssml.Piece piece : Ssml.parse((String) input, p)) {
                List<Object> row = new ArrayList<>();
                switch (piece.kind) {
                    case BREAK: row.add("break"); row.add(piece.seconds); break;
                    case TEXT: row.add("text"); row.add(piece.text); row.add(piece.rate); break;
                    default: row.add("words"); row.add(words(piece.words)); row.add(piece.rate); break;
                }
                out.add(row);
            }
            return out;
        });
        int errors = 0;
        for (Vectors.Row r : Vectors.of("ssml")) if (r.f[2].startsWith("{\"error\"")) errors++;
        assertTrue("SSML error vectors: " + errors, errors >= 30);
    }

    @Test
    @SuppressWarnings("unchecked")
    public void phrasesAndSilencesAreTheSameAsPython() throws Exception {
        Phonemizer p = Vectors.subsetPhonemizer();
        check("plan", input -> {
            Map<String, Object> c = (Map<String, Object>) input;
            Phrases.Options o = new Phrases.Options();
            o.phonemes = (String) c.get("phonemes");
            o.ssml = (Boolean) c.get("ssml");
            if (c.containsKey("sentence_silence")) o.sentenceSilence = ((Number) c.get("sentence_silence")).doubleValue();
            if (c.containsKey("comma_silence")) o.commaSilence = ((Number) c.get("comma_silence")).doubleValue();
            Map<String, List<String>> lex = c.containsKey("lexicon") ? UserLexicon.parse((String) c.get("lexicon"), "lexicon")
                    : null;
            Phrases.Plan plan = Phrases.plan((String) c.get("text"), o, lex, p);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("sentences", plan.sentences);
            out.put("skipped", plan.skipped);
            List<Object> phrases = new ArrayList<>();
            for (Phrases.Phrase ph : plan.phrases) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("words", words(ph.words));
                m.put("rate", ph.rate);
                m.put("pause_after", ph.pauseAfter);
                m.put("sentence_end", ph.sentenceEnd);
                phrases.add(m);
            }
            out.put("phrases", phrases);
            return out;
        });
    }

    @Test
    @SuppressWarnings("unchecked")
    public void timelinesAreTheSameAsPython() throws Exception {
        check("timeline", input -> {
            Map<String, Object> c = (Map<String, Object>) input;
            Timeline tl = new Timeline(22050, 256);
            List<Word> ws = new ArrayList<>();
            for (Object w : (List<Object>) c.get("words")) {
                List<Object> pair = (List<Object>) w;
                List<String> syms = new ArrayList<>();
                for (Object s : (List<Object>) pair.get(1)) syms.add((String) s);
                ws.add(new Word((String) pair.get(0), syms));
            }
            tl.addWords(ws);
            for (Object o : (List<Object>) c.get("ops")) {
                Map<String, Object> op = (Map<String, Object>) o;
                if (op.containsKey("pause")) {
                    tl.addPause((Long) op.get("pause"));
                    continue;
                }
                List<String> symbols = new ArrayList<>();
                for (Object s : (List<Object>) op.get("symbols")) symbols.add((String) s);
                int[] owners = ints((List<Object>) op.get("owners"));
                int[] durations = op.get("durations") == null ? null : ints((List<Object>) op.get("durations"));
                int frames = 0;
                if (durations != null) for (int d : durations) frames += d;
                else frames = 2 * symbols.size();
                tl.addPiece(symbols, owners, durations, frames);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("samples", tl.samples());
            List<Object> segments = new ArrayList<>();
            for (Timeline.Segment s : tl.segments) segments.add(list(s.kind, s.symbol, s.word, s.start, s.end));
            out.put("segments", segments);
            List<Object> words = new ArrayList<>();
            for (Timeline.WordTiming w : tl.spokenWords()) {
                List<Object> ph = new ArrayList<>();
                for (Timeline.PhonemeTiming t : w.phonemes) ph.add(list(t.symbol, t.start, t.end));
                words.add(list(w.text, w.start < 0 ? null : w.start, w.end < 0 ? null : w.end, ph));
            }
            out.put("words", words);
            return out;
        });
    }

    private static int[] ints(List<Object> l) {
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) out[i] = ((Long) l.get(i)).intValue();
        return out;
    }

    private static List<Object> list(Object... xs) {
        List<Object> out = new ArrayList<>();
        for (Object x : xs) out.add(x);
        return out;
    }

    @Test
    public void reprIsPythons() {
        assertEquals("'a'", PyText.repr("a"));
        assertEquals("\"it's\"", PyText.repr("it's"));
        assertEquals("'it\\'s \"x\"'", PyText.repr("it's \"x\""));
        assertEquals("'a\\nb\\t\\\\ \\x00 \\u200b caf\u00e9'", PyText.repr("a\nb\t\\ \u0000 \u200b caf\u00e9"));
    }
}
