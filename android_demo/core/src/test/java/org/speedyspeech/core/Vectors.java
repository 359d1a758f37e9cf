package org.speedyspeech.core;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The shared test vectors (src/test/resources/vectors.tsv, written by speedyspeech_tf.android_assets). */
final class Vectors {
    private Vectors() {}

    /** One data row: its line number and tab-separated fields. */
    static final class Row {
        final int line;
        final String[] f;

        Row(int line, String[] f) {
            this.line = line;
            this.f = f;
        }

        String where() {
            return "vectors.tsv:" + line;
        }

        String json(int i) {
            return (String) Json.parse(f[i]);
        }
    }

    private static List<Row> rows;

    static synchronized List<Row> all() throws IOException {
        if (rows == null) {
            String text = new String(FrontEnd.readAll(resource("vectors.tsv")), StandardCharsets.UTF_8);
            List<Row> out = new ArrayList<>();
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].isEmpty() || lines[i].startsWith("#")) continue;
                out.add(new Row(i + 1, lines[i].split("\t", -1)));
            }
            rows = out;
        }
        return rows;
    }

    static List<Row> of(String type) throws IOException {
        List<Row> out = new ArrayList<>();
        for (Row r : all()) if (r.f[0].equals(type)) out.add(r);
        if (out.isEmpty()) throw new AssertionError("vectors.tsv has no '" + type + "' rows");
        return out;
    }

    static InputStream resource(String name) throws IOException {
        InputStream in = Vectors.class.getResourceAsStream("/" + name);
        if (in == null) throw new IOException("test resource " + name + " not on the classpath (src/test/resources)");
        return in;
    }

    static int[] ids(String field) {
        field = field.trim();
        if (field.isEmpty()) return new int[0];
        String[] parts = field.split(" ");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) out[i] = Integer.parseInt(parts[i]);
        return out;
    }

    static String ids(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int i : ids) {
            if (sb.length() > 0) sb.append(' ');
            sb.append(i);
        }
        return sb.toString();
    }

    /** The phonemizer the Java core has with the committed resources only (lexicon subset, homographs, rules). */
    static Phonemizer subsetPhonemizer() throws IOException {
        Lexicon lex = Lexicon.load(resource("lexicon-subset.txt"), "lexicon-subset.txt");
        Homographs hom = Homographs.load(resource("homographs.txt"), "homographs.txt");
        return new Phonemizer(lex, hom, new LetterToSound(lex));
    }

    /**
     * The full front-end assets (written by `python -m speedyspeech_tf.android_assets --assets DIR`), when the
     * system property speedyspeech.assets names their directory (run-core-tests.sh sets it when Python is there).
     */
    static FrontEnd fullFrontEnd() throws IOException {
        String dir = System.getProperty("speedyspeech.assets", "");
        if (dir.isEmpty()) return null;
        return FrontEnd.load(AssetSource.directory(new File(dir)));
    }
}
