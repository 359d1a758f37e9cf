package org.speedyspeech.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.junit.Assume;
import org.junit.Test;

/**
 * The Java core reproduces the Python front end exactly on the shared test vectors (see vectors.tsv's header and
 * speedyspeech_tf/android_assets.py for how they are made and which rows need what).
 */
public class VectorsTest {
    private static final int MAX_REPORTED = 12;

    private static void report(List<String> problems, int checked, String what) {
        if (problems.isEmpty()) return;
        StringBuilder sb = new StringBuilder(problems.size() + " of " + checked + " " + what + " differ from Python:\n");
        for (int i = 0; i < Math.min(MAX_REPORTED, problems.size()); i++) sb.append("  ").append(problems.get(i)).append('\n');
        fail(sb.toString());
    }

    @Test
    public void vectorsCoverEveryKindOfRow() throws Exception {
        int dict = 0, homograph = 0, oov = 0, errors = 0;
        for (Vectors.Row r : Vectors.of("ids")) {
            switch (r.f[1]) {
                case "dict": dict++; break;
                case "homograph": homograph++; break;
                case "oov": oov++; break;
                default: fail(r.where() + ": unknown kind " + r.f[1]);
            }
            if (r.f[5].equals("ERROR")) errors++;
        }
        assertTrue("exact-match (dict) sentences: " + dict, dict >= 300);
        assertTrue("homograph sentences: " + homograph, homograph >= 5);
        assertTrue("oov sentences: " + oov, oov >= 20);
        assertTrue("rejected texts: " + errors, errors >= 3);
    }

    @Test
    public void normalizationMatchesPythonOnEverySentence() throws Exception {
        List<String> problems = new ArrayList<>();
        List<Vectors.Row> rows = Vectors.of("ids");
        for (Vectors.Row r : rows) {
            String text = r.json(3);
            String expected = r.json(4);
            String got;
            try {
                got = TextNormalizer.normalize(text);
            } catch (RuntimeException e) {
                got = "EXCEPTION " + e;
            }
            if (!expected.equals(got)) {
                problems.add(r.where() + " " + r.f[3] + "\n      python: " + Json.quote(expected) + "\n      java:   " + Json.quote(got));
            }
        }
        report(problems, rows.size(), "normalisations");
    }

    private static String phonemes(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) sb.append(id == Symbols.SPACE_ID ? "_" : Symbols.symbol(id)).append(' ');
        return sb.toString().trim();
    }

    private static void checkIds(Phonemizer p, List<Vectors.Row> rows, List<String> problems) {
        for (Vectors.Row r : rows) {
            String text = r.json(3);
            String got;
            try {
                got = Vectors.ids(p.textToIds(text));
            } catch (IllegalArgumentException e) {
                got = "ERROR";
            } catch (RuntimeException e) {
                got = "EXCEPTION " + e;
            }
            if (!got.equals(r.f[5])) {
                String py = r.f[5].equals("ERROR") ? "ERROR" : phonemes(Vectors.ids(r.f[5]));
                String jv = got.startsWith("E") ? got : phonemes(Vectors.ids(got));
                problems.add(r.where() + " [" + r.f[1] + "] " + r.f[3] + "\n      python: " + py + "\n      java:   " + jv);
            }
        }
    }

    private static List<Vectors.Row> idsRows(String... kinds) throws Exception {
        List<Vectors.Row> out = new ArrayList<>();
        for (Vectors.Row r : Vectors.of("ids")) for (String k : kinds) if (r.f[1].equals(k)) out.add(r);
        return out;
    }

    /** The exact-match vectors: every word in the dictionary, no homograph. */
    @Test
    public void dictionarySentencesGiveTheSameIds() throws Exception {
        List<Vectors.Row> rows = idsRows("dict");
        List<String> problems = new ArrayList<>();
        checkIds(Vectors.subsetPhonemizer(), rows, problems);
        report(problems, rows.size(), "dictionary sentences");
    }

    /** Homographs: the Java core reads them as Python does with SPEEDYSPEECH_POS_TAGGER=none. */
    @Test
    public void homographSentencesGiveTheUntaggedIds() throws Exception {
        List<Vectors.Row> rows = idsRows("homograph");
        List<String> problems = new ArrayList<>();
        checkIds(Vectors.subsetPhonemizer(), rows, problems);
        report(problems, rows.size(), "homograph sentences");
    }

    /**
     * Out-of-vocabulary words with the letter-to-sound fallback: the pronunciations differ from g2p_en's network,
     * but everything else must not: the same punctuation in the same places, valid ids, no empty words.
     */
    @Test
    public void oovSentencesWithoutTheNetworkKeepTheStructure() throws Exception {
        Phonemizer p = Vectors.subsetPhonemizer();
        List<Vectors.Row> rows = idsRows("oov");
        List<String> problems = new ArrayList<>();
        for (Vectors.Row r : rows) {
            int[] expected = Vectors.ids(r.f[5]);
            int[] got = p.textToIds(r.json(3));
            if (!punctuation(expected).equals(punctuation(got))) {
                problems.add(r.where() + " " + r.f[3] + ": punctuation " + punctuation(got) + " != " + punctuation(expected));
            }
            for (int i = 0; i < got.length; i++) {
                boolean edgeSpace = got[i] == Symbols.SPACE_ID
                        && (i == 0 || i == got.length - 1 || got[i - 1] == Symbols.SPACE_ID);
                if (got[i] < 2 || got[i] >= Symbols.COUNT || edgeSpace) {
                    problems.add(r.where() + ": bad id " + got[i] + " at " + i);
                    break;
                }
            }
        }
        report(problems, rows.size(), "oov sentences (structure)");
    }

    private static String punctuation(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) if (Symbols.isPunctuation(id)) sb.append(Symbols.symbol(id));
        return sb.toString();
    }

    /** With the full assets (real dictionary and g2p_en's network), every row matches, OOV words included. */
    @Test
    public void everySentenceMatchesWithTheFullAssets() throws Exception {
        FrontEnd full = Vectors.fullFrontEnd();
        String why = "set -Dspeedyspeech.assets=DIR (run-core-tests.sh does when Python is available)";
        if (Boolean.getBoolean("speedyspeech.requireAssets")) {
            assertTrue("the full-asset test must run here (-Dspeedyspeech.requireAssets=true): " + why, full != null);
        }
        Assume.assumeTrue(why, full != null);
        assertTrue("the full assets include g2p_en's network", full.neuralOov());
        List<Vectors.Row> rows = Vectors.of("ids");
        List<String> problems = new ArrayList<>();
        checkIds(full.phonemizer(), rows, problems);
        report(problems, rows.size(), "sentences (full assets)");
    }

    @Test
    public void sentenceSplittingMatches() throws Exception {
        List<String> problems = new ArrayList<>();
        List<Vectors.Row> rows = Vectors.of("split");
        for (Vectors.Row r : rows) {
            Object expected = Json.parse(r.f[2]);
            List<String> got = Chunking.splitSentences(r.json(1));
            if (!expected.equals(got)) problems.add(r.where() + " " + r.f[1] + "\n      python: " + expected + "\n      java:   " + got);
        }
        report(problems, rows.size(), "sentence splits");
    }

    @Test
    public void chunkingMatches() throws Exception {
        List<String> problems = new ArrayList<>();
        List<Vectors.Row> rows = Vectors.of("chunk");
        for (Vectors.Row r : rows) {
            int maxLen = Integer.parseInt(r.f[1]);
            List<int[]> chunks = Chunking.chunkIds(Vectors.ids(r.f[2]), maxLen);
            StringBuilder got = new StringBuilder();
            for (int[] c : chunks) {
                if (got.length() > 0) got.append('|');
                got.append(Vectors.ids(c));
            }
            if (!got.toString().equals(r.f[3])) problems.add(r.where() + " max_len " + maxLen + ": " + got + " != " + r.f[3]);
        }
        report(problems, rows.size(), "chunkings");
    }

    @Test
    public void overflowSplitsMatch() throws Exception {
        for (Vectors.Row r : Vectors.of("halves")) {
            int[][] halves = Chunking.splitInTwo(Vectors.ids(r.f[1]));
            String got = halves == null ? "NONE" : Vectors.ids(halves[0]) + "|" + Vectors.ids(halves[1]);
            assertEquals(r.where() + " " + r.f[1], r.f[2], got);
        }
    }

    /** Which window and which samples each streamed piece comes from (see the vocode rows in android_assets.py). */
    @Test
    public void streamedVocoderPiecesMatchTheRuntime() throws Exception {
        for (Vectors.Row r : Vectors.of("vocode")) {
            int frames = Integer.parseInt(r.f[1]);
            float[] mel = new float[frames];
            for (int t = 0; t < frames; t++) mel[t] = t;
            Vocoder fake = window -> {
                float[] a = new float[window.length];
                for (int j = 0; j < a.length; j++) a[j] = window[j] * 1000 + j;
                return a;
            };
            StringBuilder got = new StringBuilder();
            WindowPlanner.stitch(fake, mel, frames, 1, Integer.parseInt(r.f[2]), Integer.parseInt(r.f[3]), 1, -1f,
                    Synthesizer.PAD_FRAMES, (audio, offset, n) -> {
                        if (got.length() > 0) got.append(';');
                        for (int i = 0; i < n; i++) got.append(i > 0 ? " " : "").append((long) audio[offset + i]);
                    }, null);
            assertEquals(r.where(), r.f[4], got.toString());
        }
    }

    @Test
    public void windowPlansMatch() throws Exception {
        for (Vectors.Row r : Vectors.of("windows")) {
            List<WindowPlanner.Span> spans = WindowPlanner.plan(Integer.parseInt(r.f[1]), Integer.parseInt(r.f[2]),
                    Integer.parseInt(r.f[3]));
            StringBuilder got = new StringBuilder();
            for (WindowPlanner.Span s : spans) {
                if (got.length() > 0) got.append(';');
                got.append(s.inStart).append(' ').append(s.inEnd).append(' ').append(s.outStart).append(' ').append(s.outEnd);
            }
            assertEquals(r.where(), r.f[4], got.toString());
        }
    }

    @Test
    public void numberWordsMatch() throws Exception {
        for (Vectors.Row r : Vectors.of("number")) {
            BigInteger n = new BigInteger(r.f[2]);
            String got;
            switch (r.f[1]) {
                case "cardinal": got = NumberWords.cardinal(n); break;
                case "ordinal": got = NumberWords.ordinal(n); break;
                case "year": got = NumberWords.year(n.longValueExact()); break;
                default: throw new AssertionError(r.where() + ": unknown function " + r.f[1]);
            }
            assertEquals(r.where() + " " + r.f[1] + "(" + n + ")", r.json(3), got);
        }
    }

    @Test
    public void pcmConversionMatches() throws Exception {
        for (Vectors.Row r : Vectors.of("pcm")) {
            float x = (float) Double.parseDouble(r.f[1]);
            assertEquals(r.where() + " " + r.f[1], Integer.parseInt(r.f[2]), Pcm.toPcm16(x));
        }
    }

    @Test
    public void wavBytesMatchSoundfile() throws Exception {
        for (Vectors.Row r : Vectors.of("wav")) {
            int rate = Integer.parseInt(r.f[1]);
            String[] parts = r.f[2].trim().isEmpty() ? new String[0] : r.f[2].trim().split(" ");
            float[] samples = new float[parts.length];
            for (int i = 0; i < parts.length; i++) samples[i] = (float) Double.parseDouble(parts[i]);
            byte[] got = WavWriter.toBytes(Pcm.toPcm16(samples), rate);
            byte[] expected = new byte[r.f[3].length() / 2];
            for (int i = 0; i < expected.length; i++) expected[i] = (byte) Integer.parseInt(r.f[3].substring(2 * i, 2 * i + 2), 16);
            assertArrayEquals(r.where(), expected, got);
        }
    }
}
