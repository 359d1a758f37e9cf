package org.speedyspeech.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SSML subset -> a flat list of pieces (text, fixed words, breaks), each with its speaking rate. Port of
 * {@code speedyspeech_tf.text.ssml}: the same tags and attributes, the same pieces and the same errors (message,
 * line and column; the shared test vectors check them).
 *
 * <p>Supported: {@code <speak>} (the root), {@code <break time="300ms|1.5s" strength="..."/>},
 * {@code <prosody rate="...">}, {@code <phoneme alphabet="arpabet" ph="...">}, {@code <sub alias="...">},
 * {@code <say-as interpret-as="characters|cardinal|ordinal|date" format="mdy|dmy|ymd|md|dm|ym|my|y">}, comments, an
 * {@code <?xml ...?>} declaration and the five XML entities plus character references. Anything else raises
 * IllegalArgumentException naming the line and column.
 */
public final class Ssml {
    private Ssml() {}

    public static final double MAX_BREAK_SECONDS = 60.0;
    static final Map<String, Double> BREAK_STRENGTHS = new LinkedHashMap<>();
    static final Map<String, Double> RATE_WORDS = new LinkedHashMap<>();
    private static final Map<String, String> ENTITIES = new LinkedHashMap<>();
    private static final Map<String, Set<String>> ATTRIBUTES = new LinkedHashMap<>();
    private static final Set<String> TEXT_ONLY = new HashSet<>(Arrays.asList("phoneme", "sub", "say-as"));
    private static final String[] MONTHS = ("January February March April May June July August September October "
            + "November December").split(" ");

    static {
        String[] strengths = {"none", "x-weak", "weak", "medium", "strong", "x-strong"};
        double[] seconds = {0.0, 0.1, 0.25, 0.5, 0.75, 1.25};
        for (int i = 0; i < strengths.length; i++) BREAK_STRENGTHS.put(strengths[i], seconds[i]);
        String[] rates = {"x-slow", "slow", "medium", "default", "fast", "x-fast"};
        double[] factors = {0.5, 0.75, 1.0, 1.0, 1.25, 1.5};
        for (int i = 0; i < rates.length; i++) RATE_WORDS.put(rates[i], factors[i]);
        ENTITIES.put("amp", "&");
        ENTITIES.put("lt", "<");
        ENTITIES.put("gt", ">");
        ENTITIES.put("quot", "\"");
        ENTITIES.put("apos", "'");
        ATTRIBUTES.put("speak", set("version", "xmlns", "xml:lang", "xmlns:xsi", "xsi:schemalocation"));
        ATTRIBUTES.put("break", set("time", "strength"));
        ATTRIBUTES.put("prosody", set("rate"));
        ATTRIBUTES.put("phoneme", set("alphabet", "ph"));
        ATTRIBUTES.put("sub", set("alias"));
        ATTRIBUTES.put("say-as", set("interpret-as", "format", "detail"));
    }

    private static Set<String> set(String... s) {
        return new HashSet<>(Arrays.asList(s));
    }

    private static final String S = PyText.S;
    private static final String NAME_CHARS = "[\\p{L}\\p{N}_.:-]";
    private static final Pattern TAG = Pattern.compile("<(/?)([A-Za-z]" + NAME_CHARS + "*)((?:" + S + "+[A-Za-z_:]"
            + NAME_CHARS + "*" + S + "*=" + S + "*(?:\"[^\"<]*\"|'[^'<]*'))*)" + S + "*(/?)>");
    private static final Pattern ATTR = Pattern.compile("([A-Za-z_:]" + NAME_CHARS + "*)" + S + "*=" + S
            + "*(?:\"([^\"<]*)\"|'([^'<]*)')");
    private static final Pattern ENTITY = Pattern.compile("&(?:#(" + PyText.D + "{1,7})|#x([0-9A-Fa-f]{1,6})|([A-Za-z]+));");
    private static final Pattern TIME = Pattern.compile(S + "*(" + PyText.D + "+(?:\\." + PyText.D + "*)?|\\." + PyText.D
            + "+)" + S + "*(ms|s)" + S + "*");
    private static final Pattern RATE = Pattern.compile(S + "*([+-]?)(" + PyText.D + "+(?:\\." + PyText.D + "*)?|\\."
            + PyText.D + "+)" + S + "*(%?)" + S + "*");
    private static final Pattern SPEAK_START = Pattern.compile("<speak(?:" + S + "|[/>])");
    private static final Pattern INTEGER = Pattern.compile("[+-]?" + PyText.D + "{1,18}");
    private static final Pattern ISO_DATE = Pattern.compile(PyText.D + "{4}-" + PyText.D + "{1,2}-" + PyText.D + "{1,2}");
    private static final Pattern DATE_SEPARATORS = Pattern.compile("[-/." + S.substring(1, S.length() - 1) + "]+");
    private static final Pattern DATE_FORMAT = Pattern.compile("[dmy]{1,3}");

    /** One piece of a document: text to read (at a rate), fixed words (at a rate) or a break. */
    public static final class Piece {
        public enum Kind { TEXT, WORDS, BREAK }

        public final Kind kind;
        /** TEXT: the text (grows while parsing, then final). */
        public String text;
        /** WORDS: fixed pronunciations (phoneme, say-as characters). */
        public final List<Word> words;
        /** TEXT and WORDS: the speaking-rate factor. */
        public final double rate;
        /** BREAK: seconds of silence. */
        public final double seconds;

        private Piece(Kind kind, String text, List<Word> words, double rate, double seconds) {
            this.kind = kind;
            this.text = text;
            this.words = words;
            this.rate = rate;
            this.seconds = seconds;
        }

        static Piece text(String text, double rate) {
            return new Piece(Kind.TEXT, text, null, rate, 0);
        }

        static Piece words(List<Word> words, double rate) {
            return new Piece(Kind.WORDS, null, Collections.unmodifiableList(words), rate, 0);
        }

        static Piece pause(double seconds) {
            return new Piece(Kind.BREAK, null, null, 1.0, seconds);
        }
    }

    /** True for a document whose first tag is {@code <speak>} (after an optional {@code <?xml ...?>}). */
    public static boolean isSsml(String text) {
        String s = PyText.lstrip(text);
        if (s.startsWith("<?xml")) {
            int end = s.indexOf("?>");
            s = end >= 0 ? PyText.lstrip(s.substring(end + 2)) : "";
        }
        return SPEAK_START.matcher(s).lookingAt();
    }

    /** A document being parsed: error positions as Python gives them (line, column in code points). */
    private static final class Doc {
        final String text;

        Doc(String text) {
            this.text = text;
        }

        IllegalArgumentException error(int pos, String message) {
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < pos; i++) {
                if (text.charAt(i) == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            int col = text.codePointCount(lineStart, pos) + 1;
            return new IllegalArgumentException("SSML: " + message + " at line " + line + ", column " + col);
        }

        String unescape(String s, int pos) {
            StringBuilder out = new StringBuilder();
            int i = 0;
            while (true) {
                int j = s.indexOf('&', i);
                if (j < 0) {
                    out.append(s, i, s.length());
                    return out.toString();
                }
                out.append(s, i, j);
                Matcher m = ENTITY.matcher(s);
                m.region(j, s.length());
                if (!m.lookingAt()) throw error(pos + j, "a stray '&' (write &amp;)");
                if (m.group(3) != null) {
                    String v = ENTITIES.get(m.group(3));
                    if (v == null) throw error(pos + j, "unknown entity &" + m.group(3) + ";");
                    out.append(v);
                } else {
                    long code = m.group(1) != null ? Long.parseLong(PyText.asciiDigits(m.group(1)))
                            : Long.parseLong(m.group(2), 16);
                    if (!(code > 0 && code <= 0x10FFFF) || (code >= 0xD800 && code <= 0xDFFF)) {
                        throw error(pos + j, "character reference " + m.group(0) + " is not a character");
                    }
                    out.appendCodePoint((int) code);
                }
                i = m.end();
            }
        }
    }

    /** Unicode decimal digits -> ASCII, other characters kept (Python's float() of such a string). */
    private static double number(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            int d = Character.digit(cp, 10);
            if (d >= 0 && PyText.isDigit(cp)) out.append((char) ('0' + d));
            else out.appendCodePoint(cp);
        }
        return Double.parseDouble(out.toString());
    }

    private static double seconds(Doc doc, Map<String, String> attrs, int pos) {
        if (attrs.containsKey("time")) {
            String time = attrs.get("time");
            Matcher m = TIME.matcher(time);
            if (!m.matches()) {
                throw doc.error(pos, "<break> time " + PyText.repr(time) + " is not like \"300ms\" or \"1.5s\"");
            }
            double value = number(m.group(1)) / (m.group(2).equals("ms") ? 1000.0 : 1.0);
            if (value > MAX_BREAK_SECONDS) {
                throw doc.error(pos, "<break> time " + PyText.repr(time) + " is longer than 60 s");
            }
            return value;
        }
        String strength = attrs.containsKey("strength") ? attrs.get("strength") : "medium";
        Double s = BREAK_STRENGTHS.get(strength);
        if (s == null) {
            throw doc.error(pos, "<break> strength " + PyText.repr(strength) + " is not one of "
                    + String.join(", ", BREAK_STRENGTHS.keySet()));
        }
        return s;
    }

    private static double rate(Doc doc, String value, int pos) {
        Double word = RATE_WORDS.get(PyText.strip(value));
        if (word != null) return word;
        Matcher m = RATE.matcher(value);
        if (!m.matches()) {
            throw doc.error(pos, "<prosody> rate " + PyText.repr(value) + " is not x-slow ... x-fast, a percentage or a number");
        }
        double n = number(m.group(2));
        if (!m.group(3).isEmpty()) n /= 100.0;
        if (!m.group(1).isEmpty()) n = m.group(1).equals("+") ? 1.0 + n : 1.0 - n;
        if (!(n > 0)) throw doc.error(pos, "<prosody> rate " + PyText.repr(value) + " is not positive");
        return n;
    }

    private static long integer(Doc doc, String text, int pos, String what) {
        String s = PyText.strip(text).replace(",", "");
        if (!INTEGER.matcher(s).matches()) {
            throw doc.error(pos, "<say-as interpret-as=\"" + what + "\"> needs an integer, got "
                    + PyText.truncate(PyText.repr(PyText.strip(text)), 40));
        }
        boolean negative = s.startsWith("-");
        long v = Long.parseLong(PyText.asciiDigits(s.startsWith("+") || negative ? s.substring(1) : s));
        return negative ? -v : v;
    }

    private static boolean asciiDigits(String p) {
        if (p.isEmpty()) return false;
        for (int i = 0; i < p.length(); i++) if (p.charAt(i) < '0' || p.charAt(i) > '9') return false;
        return true;
    }

    private static String date(Doc doc, String text, String fmt, int pos) {
        String stripped = PyText.strip(text);
        String[] parts = DATE_SEPARATORS.split(stripped, -1);
        if (fmt == null) fmt = ISO_DATE.matcher(stripped).matches() ? "ymd" : "mdy";
        Set<Character> distinct = new HashSet<>();
        for (char c : fmt.toCharArray()) distinct.add(c);
        if (!DATE_FORMAT.matcher(fmt).matches() || distinct.size() != fmt.length()) {
            throw doc.error(pos, "<say-as> date format " + PyText.repr(fmt) + " is not like mdy, dmy, ymd, md, dm, ym, my or y");
        }
        String shown = PyText.truncate(PyText.repr(stripped), 40);
        boolean ok = parts.length == fmt.length();
        for (String p : parts) ok &= asciiDigits(p) && p.length() <= 4;
        if (!ok) throw doc.error(pos, "<say-as> date " + shown + " does not match the format " + PyText.repr(fmt));
        Map<Character, Integer> got = new LinkedHashMap<>();
        for (int i = 0; i < parts.length; i++) got.put(fmt.charAt(i), Integer.parseInt(parts[i]));
        if (got.containsKey('m') && !(got.get('m') >= 1 && got.get('m') <= 12)) {
            throw doc.error(pos, "<say-as> date " + shown + ": month " + got.get('m') + " is not 1-12");
        }
        if (got.containsKey('d') && !(got.get('d') >= 1 && got.get('d') <= 31)) {
            throw doc.error(pos, "<say-as> date " + shown + ": day " + got.get('d') + " is not 1-31");
        }
        List<String> words = new ArrayList<>();
        if (got.containsKey('m')) words.add(MONTHS[got.get('m') - 1]);
        if (got.containsKey('d')) words.add(NumberWords.ordinal(got.get('d')));
        if (got.containsKey('y')) words.add(NumberWords.year(got.get('y')));
        return String.join(" ", words);
    }

    private static List<Word> characters(String text, Phonemizer phonemizer) {
        List<Word> words = new ArrayList<>();
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            String s = new String(Character.toChars(c));
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                words.add(new Word(s, Phonemizer.letterName((char) c)));
            } else if (c >= '0' && c <= '9') {
                words.add(new Word(s, new ArrayList<>(phonemizer.wordPronunciation(NumberWords.cardinal(c - '0')))));
            }
        }
        return words;
    }

    /** State of one parse. */
    private static final class Parse {
        final Doc doc;
        final Phonemizer phonemizer;
        final List<Piece> pieces = new ArrayList<>();
        final List<Object[]> stack = new ArrayList<>(); // {tag, attrs, position, rate}
        final StringBuilder inner = new StringBuilder();
        boolean seenRoot;
        boolean closedRoot;

        Parse(Doc doc, Phonemizer phonemizer) {
            this.doc = doc;
            this.phonemizer = phonemizer;
        }

        Object[] top() {
            return stack.get(stack.size() - 1);
        }

        double rate() {
            return stack.isEmpty() ? 1.0 : (Double) top()[3];
        }

        void addText(String s, int at) {
            if (s.isEmpty()) return;
            if (closedRoot || stack.isEmpty()) {
                if (!PyText.strip(s).isEmpty()) throw doc.error(at, "text outside <speak>");
                return;
            }
            s = doc.unescape(s, at);
            if (TEXT_ONLY.contains((String) top()[0])) inner.append(s);
            else appendText(s, rate());
        }

        void appendText(String s, double rate) {
            Piece last = pieces.isEmpty() ? null : pieces.get(pieces.size() - 1);
            if (last != null && last.kind == Piece.Kind.TEXT && last.rate == rate) last.text += s;
            else pieces.add(Piece.text(s, rate));
        }

        void closeTextOnly(String tag, Map<String, String> attrs, int at, String content, double rate) {
            if (tag.equals("sub")) {
                appendText(" " + attrs.get("alias") + " ", rate);
            } else if (tag.equals("phoneme")) {
                List<Word> words;
                try {
                    words = Phonemizer.parsePhonemes(attrs.get("ph"));
                } catch (IllegalArgumentException e) {
                    throw doc.error(at, "<phoneme> ph: " + e.getMessage());
                }
                String label = PyText.strip(content);
                if (!label.isEmpty() && words.size() == 1) words = Collections.singletonList(new Word(label, words.get(0).symbols));
                pieces.add(Piece.words(words, rate));
            } else {
                String kind = attrs.get("interpret-as");
                if (kind.equals("characters")) {
                    List<Word> words = characters(content, phonemizer);
                    if (!words.isEmpty()) pieces.add(Piece.words(words, rate));
                } else if (kind.equals("cardinal")) {
                    appendText(" " + NumberWords.cardinal(integer(doc, content, at, kind)) + " ", rate);
                } else if (kind.equals("ordinal")) {
                    long n = integer(doc, content, at, kind);
                    appendText(" " + (n < 0 ? "minus " : "") + NumberWords.ordinal(Math.abs(n)) + " ", rate);
                } else {
                    appendText(" " + date(doc, content, attrs.get("format"), at) + " ", rate);
                }
            }
        }
    }

    /**
     * The pieces of an SSML document, in order. {@code phonemizer} pronounces the digits of
     * {@code <say-as interpret-as="characters">}.
     *
     * @throws IllegalArgumentException naming the line and column of the problem
     */
    @SuppressWarnings("unchecked")
    public static List<Piece> parse(String document, Phonemizer phonemizer) {
        if (document == null) throw new IllegalArgumentException("SSML must not be null");
        Doc doc = new Doc(document);
        Parse p = new Parse(doc, phonemizer);
        int pos = 0;
        int n = document.length();
        Matcher tag = TAG.matcher(document);
        while (pos < n) {
            int lt = document.indexOf('<', pos);
            if (lt < 0) {
                p.addText(document.substring(pos), pos);
                break;
            }
            p.addText(document.substring(pos, lt), pos);
            if (document.startsWith("<!--", lt)) {
                int end = document.indexOf("-->", lt + 4);
                if (end < 0) throw doc.error(lt, "unterminated comment");
                pos = end + 3;
                continue;
            }
            if (document.startsWith("<?xml", lt)) {
                int end = document.indexOf("?>", lt);
                if (end < 0 || p.seenRoot || !PyText.strip(document.substring(0, lt)).isEmpty()) {
                    throw doc.error(lt, "a misplaced or unterminated <?xml ...?> declaration");
                }
                pos = end + 2;
                continue;
            }
            tag.region(lt, n);
            if (!tag.lookingAt()) throw doc.error(lt, "a malformed tag or a stray '<' (write &lt;)");
            boolean closing = !tag.group(1).isEmpty();
            String name = tag.group(2);
            String attrText = tag.group(3);
            boolean selfClosing = !tag.group(4).isEmpty();
            pos = tag.end();
            if (!ATTRIBUTES.containsKey(name)) {
                throw doc.error(lt, "unsupported tag <" + (closing ? "/" : "") + name + "> (supported: "
                        + String.join(", ", ATTRIBUTES.keySet()) + ")");
            }
            if (closing) {
                if (selfClosing || !PyText.strip(attrText).isEmpty()) throw doc.error(lt, "malformed closing tag </" + name + ">");
                if (p.stack.isEmpty() || !p.top()[0].equals(name)) {
                    String expected = p.stack.isEmpty() ? "nothing" : "</" + p.top()[0] + ">";
                    throw doc.error(lt, "</" + name + "> does not close an open <" + name + "> (expected " + expected + ")");
                }
                Object[] open = p.stack.remove(p.stack.size() - 1);
                if (TEXT_ONLY.contains((String) open[0])) {
                    p.closeTextOnly((String) open[0], (Map<String, String>) open[1], (Integer) open[2], p.inner.toString(), p.rate());
                    p.inner.setLength(0);
                }
                if (p.stack.isEmpty()) p.closedRoot = true;
                continue;
            }
            Map<String, String> attrs = new LinkedHashMap<>();
            Matcher a = ATTR.matcher(attrText);
            while (a.find()) {
                String key = a.group(1).toLowerCase(Locale.ROOT);
                if (attrs.containsKey(key)) throw doc.error(lt, "<" + name + "> repeats the attribute " + key);
                attrs.put(key, doc.unescape(a.group(2) != null ? a.group(2) : a.group(3), lt));
            }
            TreeSet<String> unknown = new TreeSet<>(attrs.keySet());
            unknown.removeAll(ATTRIBUTES.get(name));
            if (!unknown.isEmpty()) {
                throw doc.error(lt, "<" + name + "> does not support the attribute " + PyText.repr(unknown.first()));
            }
            if (name.equals("speak")) {
                if (p.seenRoot) throw doc.error(lt, "a second <speak> (only the root may be <speak>)");
                p.seenRoot = true;
            } else if (p.stack.isEmpty() || p.closedRoot) {
                throw doc.error(lt, "<" + name + "> outside <speak> (the document's root must be <speak>)");
            } else if (TEXT_ONLY.contains((String) p.top()[0])) {
                throw doc.error(lt, "<" + name + "> inside <" + p.top()[0] + "> (which holds text only)");
            }
            if (name.equals("break")) {
                if (!selfClosing) throw doc.error(lt, "<break> must be empty (<break .../>)");
                p.pieces.add(Piece.pause(seconds(doc, attrs, lt)));
                continue;
            }
            if (name.equals("phoneme") && !(attrs.containsKey("alphabet") ? attrs.get("alphabet") : "arpabet")
                    .toLowerCase(Locale.ROOT).equals("arpabet")) {
                throw doc.error(lt, "<phoneme> alphabet " + PyText.repr(attrs.get("alphabet")) + " is not supported (only arpabet)");
            }
            if (name.equals("phoneme") && !attrs.containsKey("ph")) throw doc.error(lt, "<phoneme> needs the attribute ph");
            if (name.equals("sub") && !attrs.containsKey("alias")) throw doc.error(lt, "<sub> needs the attribute alias");
            if (name.equals("say-as")) {
                String kind = attrs.get("interpret-as");
                if (!Arrays.asList("characters", "cardinal", "ordinal", "date").contains(kind)) {
                    throw doc.error(lt, "<say-as> interpret-as " + (kind == null ? "None" : PyText.repr(kind))
                            + " is not characters, cardinal, ordinal or date");
                }
            }
            double newRate = name.equals("prosody") && attrs.containsKey("rate")
                    ? p.rate() * rate(doc, attrs.get("rate"), lt) : p.rate();
            if (selfClosing) {
                if (TEXT_ONLY.contains(name)) p.closeTextOnly(name, attrs, lt, "", newRate);
                else if (name.equals("speak")) p.closedRoot = true;
                continue;
            }
            p.stack.add(new Object[] {name, attrs, lt, newRate});
        }
        if (!p.stack.isEmpty()) throw doc.error((Integer) p.top()[2], "<" + p.top()[0] + "> is never closed");
        if (!p.seenRoot) throw doc.error(0, "the document's root must be <speak>");
        return p.pieces;
    }
}
