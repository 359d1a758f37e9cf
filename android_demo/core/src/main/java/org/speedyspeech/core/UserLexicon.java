package org.speedyspeech.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A user lexicon: one {@code WORD PHONEMES} entry per line ("tomato T AH0 M AA1 T OW2"), ARPAbet symbols of the
 * table; "#" starts a comment. Words are matched lower-case (letters and apostrophes, or an initialism like "u.s.")
 * and override the homographs and the dictionary; a later line for the same word wins. Port of
 * {@code speedyspeech_tf.text.lexicon.parse_user_lexicon}: the same rules and the same error messages.
 */
public final class UserLexicon {
    private UserLexicon() {}

    private static final Pattern WORD = Pattern.compile("[a-z']+|(?:[a-z]\\.){2,}");

    /**
     * Parse the text of a lexicon file. {@code source} names it in errors ("my.lex:3: ...").
     *
     * @return word -> phonemes, in the order the words first appear
     * @throws IllegalArgumentException naming the source, line and problem
     */
    public static Map<String, List<String>> parse(String text, String source) {
        Map<String, List<String>> entries = new LinkedHashMap<>();
        int lineNo = 0;
        for (String raw : PyText.splitlines(text)) {
            lineNo++;
            int hash = raw.indexOf('#');
            String line = PyText.strip(hash >= 0 ? raw.substring(0, hash) : raw);
            if (line.isEmpty()) continue;
            List<String> fields = PyText.split(line);
            String word = fields.get(0).toLowerCase(Locale.ROOT);
            if (!WORD.matcher(word).matches()) {
                throw new IllegalArgumentException(source + ":" + lineNo + ": " + PyText.repr(fields.get(0))
                        + " can never be looked up (a word is letters and apostrophes, or an initialism like u.s.)");
            }
            if (fields.size() < 2) {
                throw new IllegalArgumentException(source + ":" + lineNo + ": " + PyText.repr(fields.get(0))
                        + " has no phonemes (expected WORD PHONEMES)");
            }
            List<String> phonemes = new ArrayList<>(fields.subList(1, fields.size()));
            for (String p : phonemes) {
                if (!Symbols.isPhoneme(p)) {
                    throw new IllegalArgumentException(source + ":" + lineNo + ": unknown phoneme symbol " + PyText.repr(p)
                            + " (ARPAbet of the model's table, AA0 ... ZH)");
                }
            }
            entries.put(word, Collections.unmodifiableList(phonemes));
        }
        return Collections.unmodifiableMap(entries);
    }

    /** {@link #parse} of a UTF-8 stream (closed); {@code name} appears in errors. */
    public static Map<String, List<String>> load(InputStream in, String name) throws IOException {
        try (InputStream s = in) {
            return parse(new String(FrontEnd.readAll(s), StandardCharsets.UTF_8), name);
        }
    }
}
