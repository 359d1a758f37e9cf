package org.speedyspeech.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Word and phoneme timestamps of one synthesis from the student's predicted durations: port of
 * {@code speedyspeech_tf.runtime.timing.Timeline}. Everything is in samples: a symbol of d frames lasts d * hop
 * samples, a pause its samples, so the segments (phonemes, spaces, punctuation, pauses) tile [0, audio length)
 * exactly. A space dropped at a chunk cut is not spoken and has no segment.
 */
public final class Timeline {
    /** One phoneme: symbol, first sample, end sample (exclusive). */
    public static final class PhonemeTiming {
        public final String symbol;
        public final long start;
        public final long end;

        PhonemeTiming(String symbol, long start, long end) {
            this.symbol = symbol;
            this.start = start;
            this.end = end;
        }
    }

    /** One word (or punctuation mark): start and end are -1 when the student gave no durations. */
    public static final class WordTiming {
        public final String text;
        public final int index;
        public final boolean punctuation;
        public long start = -1;
        public long end = -1;
        public final List<PhonemeTiming> phonemes = new ArrayList<>();

        WordTiming(String text, int index, boolean punctuation) {
            this.text = text;
            this.index = index;
            this.punctuation = punctuation;
        }
    }

    /** kind: "phoneme", "space", "punctuation" or "pause"; word: index into words, -1 for spaces and pauses. */
    public static final class Segment {
        public final String kind;
        public final String symbol;
        public final int word;
        public final long start;
        public final long end;

        Segment(String kind, String symbol, int word, long start, long end) {
            this.kind = kind;
            this.symbol = symbol;
            this.word = word;
            this.start = start;
            this.end = end;
        }
    }

    public final int sampleRate;
    public final int hop;
    public final List<WordTiming> words = new ArrayList<>();
    public final List<Segment> segments = new ArrayList<>();
    private long samples;
    private boolean exact = true;

    public Timeline(int sampleRate, int hop) {
        this.sampleRate = sampleRate;
        this.hop = hop;
    }

    public long samples() {
        return samples;
    }

    /** False when some piece had no durations (no timestamps then). */
    public boolean exact() {
        return exact;
    }

    /** The next words in order; symbols name their index (owners). */
    public void addWords(List<Word> ws) {
        for (Word w : ws) words.add(new WordTiming(w.text, words.size(), w.isPunctuation()));
    }

    /**
     * One student call's symbols (owners: word index per symbol, -1 for a space) and their durations in frames,
     * whose sum must be {@code frames}; without them (null, or not matching) the words' times stay -1.
     */
    public void addPiece(List<String> symbols, int[] owners, int[] durations, int frames) {
        long sum = 0;
        if (durations != null) for (int d : durations) sum += d;
        if (durations == null || durations.length != symbols.size() || sum != frames) {
            exact = false;
            samples += (long) frames * hop;
            return;
        }
        long pos = samples;
        for (int i = 0; i < durations.length; i++) {
            long end = pos + (long) durations[i] * hop;
            int w = owners[i];
            String kind = w < 0 ? "space" : words.get(w).punctuation ? "punctuation" : "phoneme";
            segments.add(new Segment(kind, symbols.get(i), w, pos, end));
            if (kind.equals("phoneme")) {
                WordTiming word = words.get(w);
                word.phonemes.add(new PhonemeTiming(symbols.get(i), pos, end));
                if (word.start < 0) word.start = pos;
                word.end = end;
            }
            pos = end;
        }
        samples = pos;
    }

    public void addPause(long n) {
        if (n > 0) {
            segments.add(new Segment("pause", "", -1, samples, samples + n));
            samples += n;
        }
    }

    /** The spoken words (punctuation marks left out). */
    public List<WordTiming> spokenWords() {
        List<WordTiming> out = new ArrayList<>();
        for (WordTiming w : words) if (!w.punctuation) out.add(w);
        return out;
    }
}
