package org.speedyspeech.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What the synthesizer says, in order: phrases (words spoken in one go at one rate) and the pauses after them. Port
 * of {@code speedyspeech_tf.text.phrases.plan_phrases}: plain text is split into sentences, each a phrase (split after
 * every comma when the comma silence is > 0); SSML ({@link Ssml}) and typed phonemes
 * ({@link Phonemizer#parsePhonemes}) give phrases the same way. Pauses: the sentence silence between sentences, the
 * comma silence after commas, a break's time exactly where it stands; nothing after the last phrase except a trailing
 * break. With both silences 0, plain text gives exactly one phrase per sentence.
 */
public final class Phrases {
    private Phrases() {}

    /** One phrase: its words, rate factor, the seconds of silence after it and whether it ends a sentence. */
    public static final class Phrase {
        public final List<Word> words;
        public final double rate;
        public double pauseAfter;
        public final boolean sentenceEnd;

        Phrase(List<Word> words, double rate, double pauseAfter, boolean sentenceEnd) {
            this.words = words;
            this.rate = rate;
            this.pauseAfter = pauseAfter;
            this.sentenceEnd = sentenceEnd;
        }

        /** The symbol ids (words joined with the space id), and per id the index of its word (-1: a space). */
        public int[][] idsAndOwners() {
            List<Integer> ids = new ArrayList<>();
            List<Integer> owners = new ArrayList<>();
            for (int k = 0; k < words.size(); k++) {
                if (!ids.isEmpty()) {
                    ids.add(Symbols.SPACE_ID);
                    owners.add(-1);
                }
                for (String s : words.get(k).symbols) {
                    ids.add(Symbols.requireId(s));
                    owners.add(k);
                }
            }
            int[][] out = new int[2][ids.size()];
            for (int i = 0; i < ids.size(); i++) {
                out[0][i] = ids.get(i);
                out[1][i] = owners.get(i);
            }
            return out;
        }
    }

    /** The phrases, the number of sentences and of sentences skipped (nothing pronounceable in them). */
    public static final class Plan {
        public final List<Phrase> phrases;
        public final int sentences;
        public final int skipped;

        Plan(List<Phrase> phrases, int sentences, int skipped) {
            this.phrases = phrases;
            this.sentences = sentences;
            this.skipped = skipped;
        }
    }

    /** Input and options of one synthesis: text (plain or SSML) or typed phonemes, silences. */
    public static final class Options {
        /** Typed phonemes instead of text ("HH AH0 L OW1 | W ER1 L D"); null for text. */
        public String phonemes;
        /** SSML: null = when the text starts with {@code <speak>}; true / false forces it. */
        public Boolean ssml;
        public double sentenceSilence;
        public double commaSilence;

        public Options phonemes(String p) {
            phonemes = p;
            return this;
        }

        public Options ssml(Boolean s) {
            ssml = s;
            return this;
        }

        public Options sentenceSilence(double s) {
            sentenceSilence = s;
            return this;
        }

        public Options commaSilence(double s) {
            commaSilence = s;
            return this;
        }
    }

    private static final List<String> SENTENCE_END = Arrays.asList(".", "?", "!");

    static double checkSeconds(String name, double v) {
        if (!(!Double.isNaN(v) && !Double.isInfinite(v) && v >= 0.0 && v <= 60.0)) {
            throw new IllegalArgumentException(name + " " + v + " is outside [0, 60] seconds");
        }
        return v;
    }

    /**
     * Plan {@code text} (with {@code options.phonemes} null) or {@code options.phonemes}. {@code lexicon} (may be
     * null): a user lexicon ({@link UserLexicon}).
     *
     * @throws IllegalArgumentException when nothing is pronounceable, for bad SSML, phonemes or silences
     */
    public static Plan plan(String text, Options options, Map<String, List<String>> lexicon, Phonemizer phonemizer) {
        double sentenceSilence = checkSeconds("sentence silence", options.sentenceSilence);
        double commaSilence = checkSeconds("comma silence", options.commaSilence);
        if ((text == null) == (options.phonemes == null)) throw new IllegalArgumentException("give either text or phonemes");
        List<Phrase> raw = new ArrayList<>();
        int sentences = 0;
        int skipped = 0;
        if (options.phonemes != null) {
            List<Word> current = new ArrayList<>();
            for (Word w : Phonemizer.parsePhonemes(options.phonemes)) {
                current.add(w);
                if (w.isPunctuation() && SENTENCE_END.contains(w.symbols.get(0))) {
                    raw.add(new Phrase(current, 1.0, 0.0, true));
                    current = new ArrayList<>();
                }
            }
            if (!current.isEmpty()) raw.add(new Phrase(current, 1.0, 0.0, true));
            for (Phrase p : raw) if (p.sentenceEnd) sentences++;
            if (sentences == 0) sentences = 1;
        } else {
            if (PyText.strip(text).isEmpty()) throw new IllegalArgumentException("empty text: nothing to synthesise");
            boolean useSsml = options.ssml == null ? Ssml.isSsml(text) : options.ssml;
            List<Ssml.Piece> pieces = useSsml ? Ssml.parse(text, phonemizer)
                    : java.util.Collections.singletonList(Ssml.Piece.text(text, 1.0));
            List<Word> current = new ArrayList<>();
            double currentRate = 1.0;
            for (Ssml.Piece piece : pieces) {
                if (piece.kind == Ssml.Piece.Kind.BREAK) {
                    close(raw, current, currentRate, false);
                    if (raw.isEmpty() || raw.get(raw.size() - 1).words.isEmpty()) raw.add(new Phrase(new ArrayList<>(), 1.0, 0.0, false));
                    raw.get(raw.size() - 1).pauseAfter += piece.seconds;
                    continue;
                }
                if (piece.rate != currentRate) {
                    close(raw, current, currentRate, false);
                    currentRate = piece.rate;
                }
                if (piece.kind == Ssml.Piece.Kind.WORDS) {
                    current.addAll(piece.words);
                    continue;
                }
                List<String> parts = Chunking.splitSentences(piece.text);
                sentences += parts.size();
                for (int i = 0; i < parts.size(); i++) {
                    List<Word> words;
                    try {
                        words = phonemizer.textToWords(parts.get(i), lexicon);
                    } catch (IllegalArgumentException nothingToSay) {
                        skipped++;
                        continue;
                    }
                    current.addAll(words);
                    boolean ends = SENTENCE_END.contains(words.get(words.size() - 1).symbols.get(0));
                    if (i < parts.size() - 1 || ends || !useSsml) close(raw, current, currentRate, true);
                }
            }
            close(raw, current, currentRate, true);
        }
        int lastWords = -1;
        List<Phrase> out = new ArrayList<>();
        for (Phrase p : raw) {
            if (commaSilence > 0) out.addAll(splitCommas(p, commaSilence));
            else out.add(p);
        }
        for (int i = 0; i < out.size(); i++) if (!out.get(i).words.isEmpty()) lastWords = i;
        if (lastWords < 0) {
            String shown = text != null ? text : options.phonemes;
            throw new IllegalArgumentException("nothing pronounceable in the text "
                    + PyText.truncate(PyText.repr(PyText.strip(shown)), 80));
        }
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).sentenceEnd && i < lastWords) out.get(i).pauseAfter += sentenceSilence;
        }
        return new Plan(out, sentences, skipped);
    }

    private static void close(List<Phrase> raw, List<Word> current, double rate, boolean sentenceEnd) {
        List<Word> words = Phonemizer.mergePunctuation(current);
        if (!words.isEmpty()) raw.add(new Phrase(words, rate, 0.0, sentenceEnd));
        current.clear();
    }

    private static List<Phrase> splitCommas(Phrase phrase, double commaSilence) {
        List<Phrase> out = new ArrayList<>();
        List<Word> current = new ArrayList<>();
        for (int k = 0; k < phrase.words.size(); k++) {
            Word w = phrase.words.get(k);
            current.add(w);
            if (w.isPunctuation() && w.symbols.get(0).equals(",") && k < phrase.words.size() - 1) {
                out.add(new Phrase(current, phrase.rate, commaSilence, false));
                current = new ArrayList<>();
            }
        }
        out.add(new Phrase(current, phrase.rate, phrase.pauseAfter, phrase.sentenceEnd));
        return out;
    }
}
