package org.speedyspeech.core;

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

/**
 * g2p_en's homograph table with the Python front end's corrections applied (speedyspeech_tf/text/
 * HOMOGRAPH_OVERRIDES, HOMOGRAPH_SWAPPED), as written by {@code speedyspeech_tf.android_assets}
 * ({@code homographs.txt}): a header {@code #speedyspeech-homographs 1 <entries>}, then
 * {@code word|reading when tagged|reading otherwise|tag prefixes (comma-separated)} per line.
 *
 * <p>The Python front end chooses between the two readings with a part-of-speech tagger; the Java core has no
 * tagger and always uses the "otherwise" reading, which is exactly what Python does with
 * {@code SPEEDYSPEECH_POS_TAGGER=none}. {@link #reading(String, String)} takes a tag for callers that have one.
 */
public final class Homographs {
    public static final String HEADER = "#speedyspeech-homographs";

    private static final class Entry {
        final List<String> tagged;
        final List<String> otherwise;
        final String[] prefixes;

        Entry(List<String> tagged, List<String> otherwise, String[] prefixes) {
            this.tagged = tagged;
            this.otherwise = otherwise;
            this.prefixes = prefixes;
        }
    }

    private final Map<String, Entry> entries;

    private Homographs(Map<String, Entry> entries) {
        this.entries = entries;
    }

    public static Homographs empty() {
        return new Homographs(Collections.emptyMap());
    }

    /** Read the asset; {@code name} appears in errors. The stream is closed. */
    public static Homographs load(InputStream stream, String name) throws IOException {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            String header = reader.readLine();
            if (header == null || !header.startsWith(HEADER + " ")) {
                throw new IOException(name + ": not a homograph asset (expected a first line '" + HEADER + " 1 <entries>')");
            }
            String[] h = header.split(" ");
            if (h.length != 3 || !h[1].equals("1")) throw new IOException(name + ": unsupported header '" + header + "'");
            int expected = Integer.parseInt(h[2]);
            Map<String, Entry> map = new HashMap<>();
            String line;
            int lineNo = 1;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (line.isEmpty()) continue;
                String[] f = line.split("\\|", -1);
                if (f.length != 4) throw new IOException(name + ":" + lineNo + ": expected 4 '|'-separated fields, got '" + line + "'");
                String where = name + ":" + lineNo;
                map.put(f[0], new Entry(phonemes(f[1], where), phonemes(f[2], where), f[3].split(",")));
            }
            if (map.size() != expected) throw new IOException(name + ": " + map.size() + " entries, header says " + expected);
            return new Homographs(map);
        }
    }

    private static List<String> phonemes(String field, String where) throws IOException {
        List<String> out = new ArrayList<>();
        for (String p : field.trim().split(" +")) {
            if (!Symbols.isPhoneme(p)) throw new IOException(where + ": '" + p + "' is not an ARPAbet phoneme of the symbol table");
            out.add(p);
        }
        return Collections.unmodifiableList(out);
    }

    public boolean contains(String word) {
        return entries.containsKey(word);
    }

    public int size() {
        return entries.size();
    }

    /**
     * The reading of a homograph for a part-of-speech tag (Penn Treebank, e.g. "VBD"), or the "otherwise"
     * reading when {@code tag} is null or matches none of the entry's prefixes. Null if the word is not a homograph.
     */
    public List<String> reading(String word, String tag) {
        Entry e = entries.get(word);
        if (e == null) return null;
        if (tag != null) {
            for (String p : e.prefixes) if (!p.isEmpty() && tag.startsWith(p)) return e.tagged;
        }
        return e.otherwise;
    }
}
