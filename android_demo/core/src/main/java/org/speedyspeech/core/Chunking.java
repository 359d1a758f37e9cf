package org.speedyspeech.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ports of {@code speedyspeech_tf.text.split_sentences} and {@code chunk_ids}: how text is fitted into the
 * exported student's fixed number of symbol slots.
 */
public final class Chunking {
    private Chunking() {}

    private static final Set<String> NO_SPLIT_AFTER = new HashSet<>();

    static {
        for (String k : TextNormalizer.TITLE_ABBREVIATIONS.keySet()) NO_SPLIT_AFTER.add(k.toLowerCase(Locale.ROOT));
        NO_SPLIT_AFTER.addAll(Arrays.asList("st", "no", "e.g", "i.e", "cf", "viz"));
    }

    private static final Pattern SENTENCE_END = Pattern.compile(
            "([.!?\u2026]+)([\"'\u201d\u2019\u00bb)\\]]*)(?=" + PyText.S + "|\\z)");
    private static final Pattern PARAGRAPH = Pattern.compile("\\n[ \\t\\r\\f\\x0B]*\\n");
    private static final Pattern WHITESPACE = Pattern.compile("[ \\t\\n\\r\\f\\x0B]+");

    /**
     * Split text into sentences (whitespace collapsed, wording kept). A sentence ends at ".", "!", "?" or "…"
     * (plus closing quotes/brackets) before whitespace or the end, unless the next word starts with a lower-case
     * letter, or the word before is a title abbreviation ("Mr.", "St.", "No.", "e.g.", ...) or a single-letter
     * initial. Blank lines also end sentences.
     */
    public static List<String> splitSentences(String text) {
        if (text == null) throw new IllegalArgumentException("text must not be null");
        List<String> sentences = new ArrayList<>();
        for (String paragraph : PARAGRAPH.split(text, -1)) {
            paragraph = PyText.strip(PyText.sub(WHITESPACE, paragraph, " "));
            int start = 0;
            Matcher m = SENTENCE_END.matcher(paragraph);
            while (m.find()) {
                String rest = PyText.lstrip(paragraph.substring(m.end()));
                if (rest.isEmpty()) continue;
                if (isLower(rest.codePointAt(0))) continue;
                if (m.group(1).equals(".")) {
                    String word = trailingWord(paragraph.substring(start, m.start()));
                    if (NO_SPLIT_AFTER.contains(word.toLowerCase(Locale.ROOT))
                            || (word.length() == 1 && Character.isUpperCase(word.charAt(0)))) {
                        continue;
                    }
                }
                String s = PyText.strip(paragraph.substring(start, m.end()));
                if (!s.isEmpty()) sentences.add(s);
                start = m.end();
            }
            String tail = PyText.strip(paragraph.substring(start));
            if (!tail.isEmpty()) sentences.add(tail);
        }
        return sentences;
    }

    /** Python's str.islower() for one character: a cased lower-case letter. */
    private static boolean isLower(int cp) {
        return Character.isLowerCase(cp);
    }

    /** The trailing run of [A-Za-z.] (Python: re.search(r"([A-Za-z.]*)$", s).group(1)). */
    private static String trailingWord(String s) {
        int i = s.length();
        while (i > 0) {
            char c = s.charAt(i - 1);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.') i--;
            else break;
        }
        return s.substring(i);
    }

    /**
     * Split a symbol-id sequence into chunks of at most {@code maxLen} ids: right after the last punctuation id
     * that fits, else at the last space that fits, else (a word longer than maxLen) hard at maxLen. Spaces at the
     * split points and at both ends are dropped, so chunks never start or end with a space and joining them with
     * spaces gives back the input. Returns an empty list for an input of only spaces.
     */
    public static List<int[]> chunkIds(int[] seq, int maxLen) {
        List<int[]> chunks = new ArrayList<>();
        for (int[] span : chunkSpans(seq, maxLen)) chunks.add(Arrays.copyOfRange(seq, span[0], span[1]));
        return chunks;
    }

    /** {@link #chunkIds} as {start, end} slices of {@code seq} (Python's chunk_spans). */
    public static List<int[]> chunkSpans(int[] seq, int maxLen) {
        if (maxLen < 1) throw new IllegalArgumentException("maxLen must be a positive integer, got " + maxLen);
        int n = seq.length;
        List<int[]> chunks = new ArrayList<>();
        int start = 0;
        while (true) {
            while (start < n && seq[start] == Symbols.SPACE_ID) start++;
            int end = n;
            while (end > start && seq[end - 1] == Symbols.SPACE_ID) end--;
            if (start >= end) break;
            if (end - start <= maxLen) {
                chunks.add(new int[] {start, end});
                break;
            }
            int limit = start + maxLen;
            int firstContent = -1;
            for (int i = start; i < limit; i++) {
                if (seq[i] != Symbols.SPACE_ID && !Symbols.isPunctuation(seq[i])) {
                    firstContent = i;
                    break;
                }
            }
            int cut = -1;
            if (firstContent >= 0) {
                for (int i = limit - 1; i > firstContent; i--) {
                    if (Symbols.isPunctuation(seq[i])) {
                        cut = i + 1;
                        break;
                    }
                }
                if (cut < 0) {
                    for (int i = limit; i > firstContent; i--) {
                        if (seq[i] == Symbols.SPACE_ID) {
                            cut = i;
                            break;
                        }
                    }
                }
            }
            if (cut < 0) cut = limit;
            int chunkEnd = cut;
            while (seq[chunkEnd - 1] == Symbols.SPACE_ID) chunkEnd--;
            chunks.add(new int[] {start, chunkEnd});
            start = cut;
        }
        return chunks;
    }

    /**
     * Port of {@code speedyspeech_tf.runtime.synthesizer.split_in_two}: split a chunk the student could not fit into
     * its F frames in two, as near the middle as a natural boundary allows: right after a punctuation id, then at a
     * space, in the middle half of the chunk (nearest the middle first, then the earlier cut); else at a space
     * anywhere; else hard in the middle. Spaces at the cut are dropped. Returns null when the chunk cannot be
     * split (fewer than two non-space ids).
     */
    public static int[][] splitInTwo(int[] seq) {
        int[][] spans = splitSpans(seq);
        if (spans == null) return null;
        return new int[][] {Arrays.copyOfRange(seq, spans[0][0], spans[0][1]),
            Arrays.copyOfRange(seq, spans[1][0], spans[1][1])};
    }

    /** {@link #splitInTwo} as two {start, end} slices of {@code seq}, or null (Python's split_spans). */
    public static int[][] splitSpans(int[] seq) {
        int n = seq.length;
        double mid = n / 2.0;
        int lo = n / 4;
        int hi = n - n / 4;
        List<Integer> punct = new ArrayList<>();
        List<Integer> spacesMiddle = new ArrayList<>();
        List<Integer> spaces = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (Symbols.isPunctuation(seq[i]) && lo <= i + 1 && i + 1 <= hi) punct.add(i + 1);
            if (seq[i] == Symbols.SPACE_ID) {
                spaces.add(i);
                if (lo <= i && i <= hi) spacesMiddle.add(i);
            }
        }
        List<List<Integer>> order = Arrays.asList(punct, spacesMiddle, spaces, java.util.Collections.singletonList(n / 2));
        for (List<Integer> cuts : order) {
            List<Integer> sorted = new ArrayList<>(cuts);
            sorted.sort((x, y) -> {
                int c = Double.compare(Math.abs(x - mid), Math.abs(y - mid));
                return c != 0 ? c : Integer.compare(x, y);
            });
            for (int cut : sorted) {
                int[] a = stripSpaces(seq, 0, cut);
                int[] b = stripSpaces(seq, cut, n);
                if (a[1] > a[0] && b[1] > b[0]) return new int[][] {a, b};
            }
        }
        return null;
    }

    private static int[] stripSpaces(int[] seq, int from, int to) {
        while (from < to && seq[from] == Symbols.SPACE_ID) from++;
        while (to > from && seq[to - 1] == Symbols.SPACE_ID) to--;
        return new int[] {from, to};
    }
}
