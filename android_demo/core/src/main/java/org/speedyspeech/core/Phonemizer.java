package org.speedyspeech.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Port of {@code speedyspeech_tf.text.text_to_phonemes} / {@code text_to_ids}: normalised text -> tokens
 * (initialisms, words, punctuation) -> pronunciations -> symbols joined with the space symbol, consecutive
 * punctuation merged into one symbol, leading punctuation dropped, never {@code <unk>}.
 *
 * <p>Word pronunciation follows Python's chain: homograph table -> dictionary -> the word without outer
 * apostrophes -> "X's" from X -> the word without apostrophes -> the out-of-vocabulary pronouncer. Where the
 * Java core differs from Python (documented in android_demo/README.md): homographs always get their "otherwise"
 * reading (Python tags parts of speech), and out-of-vocabulary words use {@link G2pNetwork} when its asset is
 * present (the same network as Python) or else {@link LetterToSound} rules.
 *
 * <p>Thread-safe.
 */
public final class Phonemizer {
    private final Lexicon lexicon;
    private final Homographs homographs;
    private final OovPronouncer oov;
    private final Map<String, List<String>> cache = new ConcurrentHashMap<>();
    private static final int CACHE_LIMIT = 1 << 16;

    public Phonemizer(Lexicon lexicon, Homographs homographs, OovPronouncer oov) {
        this.lexicon = lexicon == null ? Lexicon.empty() : lexicon;
        this.homographs = homographs == null ? Homographs.empty() : homographs;
        this.oov = oov == null ? new LetterToSound(this.lexicon) : oov;
    }

    public Lexicon lexicon() {
        return lexicon;
    }

    public OovPronouncer oovPronouncer() {
        return oov;
    }

    // ------------------------------------------------------------------------------------------ letters

    private static final Map<Character, String[]> LETTER_NAMES = new HashMap<>();

    static {
        String[] names = {"EY1", "B IY1", "S IY1", "D IY1", "IY1", "EH1 F", "JH IY1", "EY1 CH", "AY1", "JH EY1", "K EY1",
            "EH1 L", "EH1 M", "EH1 N", "OW1", "P IY1", "K Y UW1", "AA1 R", "EH1 S", "T IY1", "Y UW1", "V IY1",
            "D AH1 B AH0 L Y UW0", "EH1 K S", "W AY1", "Z IY1"};
        for (int i = 0; i < 26; i++) LETTER_NAMES.put((char) ('a' + i), names[i].split(" "));
    }

    /** The name of a letter a-z ("w" -> D AH1 B AH0 L Y UW0), as speedyspeech_tf.text.LETTER_NAMES. */
    static String[] letterName(char c) {
        String[] n = LETTER_NAMES.get(Character.toLowerCase(c));
        if (n == null) throw new IllegalArgumentException("no letter name for '" + c + "'");
        return n;
    }

    /** "u.s." -> its dictionary entry, else the letter names (all but the last letter with secondary stress). */
    public List<String> initialismPronunciation(String token) {
        token = token.toLowerCase(Locale.ROOT);
        List<String> hit = lexicon.lookup(token);
        if (hit != null) return hit;
        List<Character> letters = new ArrayList<>();
        for (char c : token.toCharArray()) if (c != '.') letters.add(c);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < letters.size(); i++) {
            for (String p : letterName(letters.get(i))) {
                out.add(i < letters.size() - 1 && p.endsWith("1") ? p.substring(0, p.length() - 1) + "2" : p);
            }
        }
        return out;
    }

    // -------------------------------------------------------------------------------------------- words

    private static final List<String> SIBILANTS = Arrays.asList("S", "Z", "SH", "ZH", "CH", "JH");
    private static final List<String> VOICELESS = Arrays.asList("P", "T", "K", "F", "TH");

    /**
     * Pronunciation of one lower-case word (letters and apostrophes), ignoring homographs. May be empty (only
     * apostrophes, or the g2p network gave nothing), in which case the word is not spoken, as in Python.
     */
    public List<String> wordPronunciation(String word) {
        List<String> cached = cache.get(word);
        if (cached != null) return cached;
        List<String> p = Collections.unmodifiableList(computeWord(word));
        if (cache.size() >= CACHE_LIMIT) cache.clear();
        cache.put(word, p);
        return p;
    }

    private List<String> computeWord(String word) {
        List<String> hit = lexicon.lookup(word);
        if (hit != null) return hit;
        String bare = stripApostrophes(word);
        if (bare.isEmpty()) return Collections.emptyList();
        hit = lexicon.lookup(bare);
        if (hit != null) return hit;
        if (bare.endsWith("'s") && bare.length() > 2) {
            List<String> base = wordPronunciation(bare.substring(0, bare.length() - 2));
            if (!base.isEmpty()) {
                List<String> out = new ArrayList<>(base);
                String last = base.get(base.size() - 1);
                if (SIBILANTS.contains(last)) out.addAll(Arrays.asList("IH0", "Z"));
                else if (VOICELESS.contains(last)) out.add("S");
                else out.add("Z");
                return out;
            }
        }
        String letters = bare.replace("'", "");
        hit = lexicon.lookup(letters);
        if (hit != null) return hit;
        return new ArrayList<>(oov.pronounce(letters));
    }

    private static String stripApostrophes(String w) {
        int a = 0;
        int b = w.length();
        while (a < b && w.charAt(a) == '\'') a++;
        while (b > a && w.charAt(b - 1) == '\'') b--;
        return w.substring(a, b);
    }

    // ------------------------------------------------------------------------------------------- tokens

    private static final Pattern INTRA_WORD_HYPHEN = Pattern.compile("(?<=[A-Za-z])-(?=[A-Za-z])");
    private static final Pattern TOKEN = Pattern.compile("(?<![A-Za-z'])(?:[A-Za-z]\\.){2,}|[A-Za-z']+|[.,?!\\-]");
    private static final String PUNCT_PRIORITY = "?!.,-";

    /** The tokens of normalised text (Python's tokenize). */
    static List<String> tokens(String normalized) {
        String text = normalized.replace(';', ',').replace(':', ',');
        text = PyText.sub(INTRA_WORD_HYPHEN, text, " ");
        List<String> out = new ArrayList<>();
        Matcher m = TOKEN.matcher(text);
        while (m.find()) out.add(m.group());
        return out;
    }

    private static boolean isPunctuationToken(String t) {
        return t.length() == 1 && ".,?!-".indexOf(t.charAt(0)) >= 0;
    }

    private static String punctuationSymbol(char p) {
        return p == '-' ? Symbols.DASH : String.valueOf(p);
    }

    /**
     * Text -> symbols (ARPAbet phonemes, " " between words, punctuation). Never {@code <unk>}/{@code <pad>}.
     *
     * @throws IllegalArgumentException for empty text or text with no pronounceable word (as Python's ValueError)
     */
    public List<String> textToPhonemes(String text) {
        return wordsToPhonemes(textToWords(text, null));
    }

    /**
     * Text -> its words and punctuation marks with their symbols (Python's text_to_words). {@code userLexicon}
     * (lower-case word -> phonemes, may be null; {@link UserLexicon}) is consulted before the homographs and the
     * dictionary.
     *
     * @throws IllegalArgumentException for empty text or text with no pronounceable word
     */
    public List<Word> textToWords(String text, Map<String, List<String>> userLexicon) {
        String normalized = TextNormalizer.normalize(text);
        if (normalized.isEmpty()) throw new IllegalArgumentException("empty text: '" + abbreviate(text) + "'");
        List<String> tokens = tokens(normalized);
        List<Word> words = new ArrayList<>();
        StringBuilder pending = new StringBuilder(); // punctuation since the last word
        boolean endsText = false;
        for (int i = 0; i < tokens.size(); i++) {
            String tok = tokens.get(i);
            if (isPunctuationToken(tok)) {
                pending.append(tok);
                continue;
            }
            String low = tok.toLowerCase(Locale.ROOT);
            List<String> pron;
            if (userLexicon != null && userLexicon.containsKey(low)) {
                pron = userLexicon.get(low);
            } else if (tok.endsWith(".")) { // an initialism; its last period also ends the text if nothing follows
                pron = initialismPronunciation(low);
                endsText = i == tokens.size() - 1;
            } else if (homographs.contains(low)) {
                pron = homographs.reading(low, null);
            } else {
                pron = wordPronunciation(low);
            }
            if (pron.isEmpty()) continue;
            flush(pending, words);
            words.add(new Word(tok, new ArrayList<>(pron)));
        }
        if (endsText) pending.append('.');
        flush(pending, words);
        if (words.isEmpty()) {
            throw new IllegalArgumentException("nothing pronounceable in text '" + abbreviate(text) + "' (normalised: '"
                    + abbreviate(normalized) + "')");
        }
        return words;
    }

    private static void flush(StringBuilder pending, List<Word> words) {
        if (pending.length() > 0 && !words.isEmpty()) {
            for (int k = 0; k < PUNCT_PRIORITY.length(); k++) {
                char p = PUNCT_PRIORITY.charAt(k);
                if (pending.indexOf(String.valueOf(p)) >= 0) {
                    words.add(new Word(punctuationSymbol(p), punctuationSymbol(p)));
                    break;
                }
            }
        }
        pending.setLength(0);
    }

    /** Words -> symbols joined with the space symbol. */
    public static List<String> wordsToPhonemes(List<Word> words) {
        List<String> out = new ArrayList<>();
        for (Word w : words) {
            if (!out.isEmpty()) out.add(Symbols.SPACE);
            out.addAll(w.symbols);
        }
        return out;
    }

    private static final String[] SYMBOL_PRIORITY = {"?", "!", ".", ",", Symbols.DASH};

    /**
     * Punctuation before the first word is dropped and consecutive marks become one: "?" if any is "?", else "!",
     * ".", "," or the dash, in that order (Python's merge_punctuation).
     */
    public static List<Word> mergePunctuation(List<Word> words) {
        List<Word> out = new ArrayList<>();
        List<String> pending = new ArrayList<>();
        for (Word w : words) {
            if (w.isPunctuation()) {
                pending.add(w.symbols.get(0));
                continue;
            }
            if (!pending.isEmpty() && !out.isEmpty()) out.add(punctuationWord(pending));
            pending.clear();
            out.add(w);
        }
        if (!pending.isEmpty() && !out.isEmpty()) out.add(punctuationWord(pending));
        return out;
    }

    private static Word punctuationWord(List<String> marks) {
        for (String s : SYMBOL_PRIORITY) if (marks.contains(s)) return new Word(s, s);
        throw new IllegalStateException("no punctuation in " + marks);
    }

    /**
     * Phonemes typed by hand (Python's parse_phonemes): ARPAbet symbols of the table separated by spaces, "|"
     * between words; a word may also be one punctuation mark (". , ? ! -"). "HH AH0 L OW1 | W ER1 L D" -> two words.
     *
     * @throws IllegalArgumentException naming an unknown symbol, or for nothing to say
     */
    public static List<Word> parsePhonemes(String spec) {
        if (spec == null) throw new IllegalArgumentException("phonemes must not be null");
        List<Word> words = new ArrayList<>();
        String[] groups = spec.split("\\|", -1);
        for (int k = 1; k <= groups.length; k++) {
            String group = groups[k - 1];
            List<String> symbols = new ArrayList<>();
            for (String s : PyText.split(group)) symbols.add("-".equals(s) ? Symbols.DASH : s);
            if (symbols.isEmpty()) continue;
            boolean marks = false;
            for (String s : symbols) {
                boolean punct = isPunctuationSymbol(s);
                if (!Symbols.isPhoneme(s) && !punct) {
                    throw new IllegalArgumentException("unknown phoneme symbol " + PyText.repr(s) + " in word " + k + " ("
                            + PyText.repr(PyText.strip(group)) + "): expected ARPAbet symbols of the model's table (AA0 ... ZH, "
                            + "with stress digits) or . , ? ! -");
                }
                marks |= punct;
            }
            if (marks && symbols.size() > 1) {
                throw new IllegalArgumentException("word " + k + " (" + PyText.repr(PyText.strip(group)) + ") mixes phonemes "
                        + "and punctuation: put the punctuation mark in its own word (\"... | ,\")");
            }
            words.add(new Word(String.join(" ", symbols), symbols));
        }
        words = mergePunctuation(words);
        if (words.isEmpty()) {
            throw new IllegalArgumentException("no phonemes to say in " + PyText.truncate(PyText.repr(spec), 80));
        }
        return words;
    }

    private static boolean isPunctuationSymbol(String s) {
        return s.equals(".") || s.equals(",") || s.equals("?") || s.equals("!") || s.equals(Symbols.DASH);
    }

    /** Text -> symbol ids (no padding). */
    public int[] textToIds(String text) {
        return Symbols.toIds(textToPhonemes(text));
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
