package org.speedyspeech.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.Test;

/** Normalisation, lexicon and homograph assets, the fallback for unknown words, the phonemizer's contract. */
public class TextFrontEndTest {

    private static String joined(Phonemizer p, String text) {
        StringBuilder sb = new StringBuilder();
        for (String s : p.textToPhonemes(text)) sb.append(s.equals(" ") ? "_" : s).append(' ');
        return sb.toString().trim();
    }

    private static Phonemizer tiny() {
        Map<String, String> words = new HashMap<>();
        words.put("hello", "HH AH0 L OW1");
        words.put("world", "W ER1 L D");
        words.put("wait", "W EY1 T");
        words.put("what", "W AH1 T");
        words.put("snow", "S N OW1");
        words.put("bot", "B AA1 T");
        words.put("u.s.", "Y UW1 EH1 S");
        words.put("james", "JH EY1 M Z");
        return new Phonemizer(Lexicon.of(words), Homographs.empty(), null);
    }

    @Test
    public void spacingAndPunctuationFollowTheReference() {
        Phonemizer p = tiny();
        assertEquals("HH AH0 L OW1 _ , _ W ER1 L D _ .", joined(p, "Hello, world."));
        assertEquals("W EY1 T _ \\- _ W AH1 T", joined(p, "wait \u2014 what"));
        assertEquals(joined(p, "wait -- what"), joined(p, "wait - what"));
        assertEquals(joined(p, "hello?"), joined(p, "hello?!"));
        assertEquals(joined(p, "hello"), joined(p, "-- , hello"));      // leading punctuation dropped
        assertEquals(joined(p, "hello world"), joined(p, "\"Hello\" (world)"));
        assertEquals("Y UW1 EH1 S _ .", joined(p, "U.S."));               // initialism at the end gets a period
        assertEquals("JH EY1 M Z IH0 Z", joined(p, "James's"));          // X's after a sibilant
    }

    @Test
    public void rejectsTextWithNothingToSay() {
        Phonemizer p = tiny();
        for (String text : new String[] {"", "   ", "...", "?!", "\u6f22\u5b57", "''"}) {
            try {
                p.textToPhonemes(text);
                fail("expected IllegalArgumentException for " + Json.quote(text));
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("empty text") || e.getMessage().contains("nothing pronounceable"));
            }
        }
    }

    @Test
    public void normalizationIsIdempotentAscii() {
        Random rng = new Random(3);
        String alphabet = "aZ 09.,;:!?-'\"$%#&@+=\u00b0\u00d7\u2013\u2014\u2026\u00a3\u20ac\u00a5\u00a2\u00e9\u00df\u00bd\u00a0\t\n";
        for (int k = 0; k < 3000; k++) {
            StringBuilder sb = new StringBuilder();
            for (int i = rng.nextInt(30); i > 0; i--) sb.append(alphabet.charAt(rng.nextInt(alphabet.length())));
            String once = TextNormalizer.normalize(sb.toString());
            for (char c : once.toCharArray()) assertTrue("non-ASCII in " + Json.quote(once), c < 128);
            assertEquals("idempotent on " + Json.quote(sb.toString()), once, TextNormalizer.normalize(once));
        }
    }

    @Test
    public void lexiconAssetRoundTripPlainAndGzip() throws Exception {
        String text = Lexicon.HEADER + " 1 3\nhello\tHH AH0 L OW1\nu.s.\tY UW1 EH1 S\nworld\tW ER1 L D\n";
        byte[] plain = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(gz)) {
            out.write(plain);
        }
        for (byte[] data : new byte[][] {plain, gz.toByteArray()}) {
            Lexicon lex = Lexicon.load(new ByteArrayInputStream(data), "test");
            assertEquals(3, lex.size());
            assertEquals(Arrays.asList("HH", "AH0", "L", "OW1"), lex.lookup("hello"));
            assertEquals(Arrays.asList("Y", "UW1", "EH1", "S"), lex.lookup("u.s."));
            assertEquals(null, lex.lookup("nope"));
        }
    }

    private static String lexiconError(String text) {
        try {
            Lexicon.load(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "cmudict.txt.gz");
        } catch (IOException e) {
            return e.getMessage();
        }
        throw new AssertionError("no error for " + Json.quote(text));
    }

    @Test
    public void badLexiconAssetsAreRefusedNamingTheProblem() {
        assertTrue(lexiconError("").contains("cmudict.txt.gz: empty"));
        assertTrue(lexiconError("word\tAH0\n").contains("not a lexicon asset"));
        assertTrue(lexiconError(Lexicon.HEADER + " 2 1\na\tAH0\n").contains("format version 2"));
        assertTrue(lexiconError(Lexicon.HEADER + " 1 2\na\tAH0\n").contains("truncated"));
        assertTrue(lexiconError(Lexicon.HEADER + " 1 1\na\tXX9\n").contains("cmudict.txt.gz:2: 'XX9' is not an ARPAbet phoneme"));
        assertTrue(lexiconError(Lexicon.HEADER + " 1 1\nnotab\n").contains("cmudict.txt.gz:2: expected 'word<TAB>phonemes'"));
        assertTrue(lexiconError(Lexicon.HEADER + " 1 2\na\tAH0\na\tEY1\n").contains("duplicate word 'a'"));
    }

    @Test
    public void homographsUseTheUntaggedReadingUnlessATagIsGiven() throws Exception {
        Homographs h = Homographs.load(Vectors.resource("homographs.txt"), "homographs.txt");
        assertTrue(h.size() > 300);
        // speedyspeech_tf.text.HOMOGRAPH_OVERRIDES: "read" is R EH1 D when tagged VBD/VBN, else R IY1 D
        assertEquals(Arrays.asList("R", "IY1", "D"), h.reading("read", null));
        assertEquals(Arrays.asList("R", "EH1", "D"), h.reading("read", "VBD"));
        assertEquals(Arrays.asList("L", "AY1", "V"), h.reading("live", null));
        assertEquals(null, h.reading("hello", null));
        Phonemizer p = new Phonemizer(Lexicon.empty(), h, null);
        assertEquals("R IY1 D", joined(p, "read"));
    }

    @Test
    public void unknownWordsAlwaysGetAPronunciation() {
        LetterToSound lts = new LetterToSound(Lexicon.empty());
        Random rng = new Random(1);
        for (int k = 0; k < 20000; k++) {
            StringBuilder w = new StringBuilder();
            int len = 1 + rng.nextInt(k % 7 == 0 ? 30 : 10);
            for (int i = 0; i < len; i++) w.append((char) ('a' + rng.nextInt(26)));
            List<String> p = lts.pronounce(w.toString());
            assertFalse("empty pronunciation for " + w, p.isEmpty());
            int vowels = 0;
            int primary = 0;
            for (String s : p) {
                assertTrue("'" + s + "' for " + w + " is not a phoneme", Symbols.isPhoneme(s));
                if (Character.isDigit(s.charAt(s.length() - 1))) vowels++;
                if (s.endsWith("1")) primary++;
            }
            assertTrue("no vowel in " + p + " for " + w, vowels > 0);
            assertTrue("no primary stress in " + p + " for " + w, primary > 0);
        }
        assertEquals(Arrays.asList("B", "L", "IH1", "K"), lts.pronounce("blick"));
        assertEquals(Arrays.asList("T", "EY1", "B", "AH0", "L"), lts.pronounce("table"));
        assertEquals(Arrays.asList("V", "EY1", "P"), lts.pronounce("vape"));
        // no vowel letters: spelled out like an initialism
        assertEquals(Arrays.asList("EH2", "K", "S", "K", "EY2", "S", "IY2", "D", "IY1"), lts.pronounce("xkcd"));
    }

    @Test
    public void unknownWordsUseDictionaryMorphology() {
        Phonemizer p = tiny();
        // a compound of two dictionary words: the second word's primary stress becomes secondary
        assertEquals("S N OW1 B AA2 T", joined(p, "snowbot"));
        // a dictionary word + suffix
        assertEquals("HH AH0 L OW1 Z", joined(p, "hellos"));
        assertEquals("W EY1 T IH0 NG", joined(p, "waiting"));
        assertEquals("W EY1 T IH0 D", joined(p, "waited"));
        assertEquals("AH0 N HH AH0 L OW1", joined(p, "unhello"));
    }

    @Test
    public void frontEndLoadsFromADirectoryAndNamesMissingAssets() throws Exception {
        File dir = Files.createTempDirectory("frontend").toFile();
        try {
            try {
                FrontEnd.load(AssetSource.directory(dir));
                fail("expected FileNotFoundException");
            } catch (FileNotFoundException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("frontend.json") && e.getMessage().contains("--android-assets"));
            }
            StringBuilder symbols = new StringBuilder();
            for (String s : Symbols.SYMBOLS) symbols.append(symbols.length() > 0 ? "," : "").append(Json.quote(s));
            write(new File(dir, FrontEnd.MANIFEST), "{\"format_version\": 1, \"symbols\": [" + symbols + "]}");
            copy("lexicon-subset.txt", new File(dir, FrontEnd.LEXICON));
            copy("homographs.txt", new File(dir, FrontEnd.HOMOGRAPHS));
            FrontEnd fe = FrontEnd.load(AssetSource.directory(dir));
            assertFalse("no g2p asset: letter-to-sound rules", fe.neuralOov());
            assertTrue(fe.phonemizer().oovPronouncer() instanceof LetterToSound);
            assertEquals(fe.textToIds("hello world").length, 9);

            write(new File(dir, FrontEnd.G2P), "#speedyspeech-g2p 1\ngarbage");
            try {
                FrontEnd.load(AssetSource.directory(dir));
                fail("expected IOException for a truncated g2p asset");
            } catch (IOException e) {
                assertTrue(e.getMessage(), e.getMessage().contains(FrontEnd.G2P));
            }
            write(new File(dir, FrontEnd.MANIFEST), "{\"format_version\": 2, \"symbols\": []}");
            try {
                FrontEnd.load(AssetSource.directory(dir));
                fail("expected IOException for format_version 2");
            } catch (IOException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("format_version 2"));
            }
        } finally {
            for (File f : dir.listFiles()) f.delete();
            dir.delete();
        }
    }

    private static void write(File f, String text) throws IOException {
        Files.write(f.toPath(), text.getBytes(StandardCharsets.UTF_8));
    }

    private static void copy(String resource, File to) throws IOException {
        try (FileOutputStream out = new FileOutputStream(to)) {
            out.write(FrontEnd.readAll(Vectors.resource(resource)));
        }
    }
}
