package org.speedyspeech.core;

import java.math.BigInteger;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Port of {@code speedyspeech_tf.text.normalize_text}: the same tables, the same rules in the same order, so
 * the result is identical for every input (the shared test vectors check it). Steps:
 * <ol>
 *   <li>Unicode punctuation and spaces to ASCII (an en dash between numbers is "to");</li>
 *   <li>NFKD, combining marks dropped, special letters (ß, æ, ø, ...) spelled in ASCII;</li>
 *   <li>abbreviations ("Mr." "St." "No. 5" "e.g." initials ...);</li>
 *   <li>symbols read as words (&amp; @ + = ° ×);</li>
 *   <li>numbers: minus, currency, cents, clock times, percentages, ordinals, decimals, years, cardinals;</li>
 *   <li>anything still not ASCII becomes a space; whitespace collapsed.</li>
 * </ol>
 * Thread-safe and stateless.
 */
public final class TextNormalizer {
    private TextNormalizer() {}

    private static final String S = PyText.S;
    private static final String D = PyText.D;
    private static final String W = PyText.W;

    // ---------------------------------------------------------------------------------------------- tables

    private static final Map<Character, String> UNICODE_TABLE = new HashMap<>();
    private static final Map<Character, String> LETTER_TABLE = new HashMap<>();
    /** Titles: their period never ends a sentence. Insertion order matters (ties in the length sort). */
    static final LinkedHashMap<String, String> TITLE_ABBREVIATIONS = new LinkedHashMap<>();
    /** These can end a sentence: they keep a "." at the end of the text or before a capitalised word. */
    static final LinkedHashMap<String, String> ABBREVIATIONS = new LinkedHashMap<>();
    static final List<String> NAME_SUFFIXES = Arrays.asList("Jr", "Sr", "Esq", "Co", "Corp", "Inc", "Ltd", "Bros");
    static final LinkedHashMap<String, String> DOTTED_ABBREVIATIONS = new LinkedHashMap<>();
    static final LinkedHashMap<String, String> SYMBOL_WORDS = new LinkedHashMap<>();
    /** sign -> unit singular, unit plural, sub-unit singular, sub-unit plural (null: no sub-unit). */
    private static final Map<String, String[]> CURRENCIES = new HashMap<>();

    private static void pairs(Map<String, String> map, String... kv) {
        for (int i = 0; i < kv.length; i += 2) map.put(kv[i], kv[i + 1]);
    }

    private static void charPairs(Map<Character, String> map, String... kv) {
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i].length() != 1) throw new AssertionError(kv[i]);
            map.put(kv[i].charAt(0), kv[i + 1]);
        }
    }

    static {
        charPairs(UNICODE_TABLE,
                // single quotes, apostrophes, primes
                "\u2018", "'", "\u2019", "'", "\u201a", "'", "\u201b", "'", "\u2032", "'", "\u02bc", "'", "\u00b4", "'",
                "`", "'",
                // double quotes
                "\u201c", "\"", "\u201d", "\"", "\u201e", "\"", "\u201f", "\"", "\u2033", "\"", "\u00ab", "\"",
                "\u00bb", "\"", "\u2039", "\"", "\u203a", "\"",
                // hyphens and minus
                "\u2010", "-", "\u2011", "-", "\u2012", "-", "\u2043", "-", "\u2212", "-", "\ufe63", "-", "\uff0d", "-",
                // dashes (a pause)
                "\u2013", " -- ", "\u2014", " -- ", "\u2015", " -- ", "\u2e3a", " -- ", "\u2e3b", " -- ",
                // ellipsis
                "\u2026", "...",
                // spaces
                "\u00a0", " ", "\u1680", " ", "\u2000", " ", "\u2001", " ", "\u2002", " ", "\u2003", " ", "\u2004", " ",
                "\u2005", " ", "\u2006", " ", "\u2007", " ", "\u2008", " ", "\u2009", " ", "\u200a", " ", "\u2028", " ",
                "\u2029", " ", "\u202f", " ", "\u205f", " ", "\u3000", " ", "\t", " ", "\n", " ", "\r", " ", "\f", " ",
                String.valueOf((char) 0x0B), " ",
                // invisible characters
                "\u200b", "", "\u200c", "", "\u200d", "", "\u2060", "", "\ufeff", "", "\u00ad", "",
                // marks that are not read
                "\u2122", " ", "\u00a9", " ", "\u00ae", " ",
                // fractions
                "\u00bd", " one half ", "\u00bc", " one quarter ", "\u00be", " three quarters ");
        charPairs(LETTER_TABLE,
                "\u00df", "ss", "\u00e6", "ae", "\u00c6", "Ae", "\u0153", "oe", "\u0152", "Oe", "\u00f8", "o",
                "\u00d8", "O", "\u0142", "l", "\u0141", "L", "\u0111", "d", "\u0110", "D", "\u00f0", "d",
                "\u00d0", "D", "\u00fe", "th", "\u00de", "Th", "\u0131", "i", "\u0127", "h", "\u0126", "H");
        pairs(TITLE_ABBREVIATIONS,
                "Mr", "Mister", "Mrs", "Missus", "Ms", "Ms", "Messrs", "Messieurs", "Mme", "Madame", "Dr", "Doctor",
                "Drs", "Doctors", "Prof", "Professor", "Rev", "Reverend", "Hon", "Honorable", "Gen", "General",
                "Gov", "Governor", "Capt", "Captain", "Col", "Colonel", "Lt", "Lieutenant", "Sgt", "Sergeant",
                "Maj", "Major", "Cpl", "Corporal", "Sen", "Senator", "Rep", "Representative", "Pres", "President",
                "Mt", "Mount", "Ft", "Fort", "vs", "versus");
        pairs(ABBREVIATIONS,
                "Jr", "Junior", "Sr", "Senior", "Esq", "Esquire", "Co", "Company", "Corp", "Corporation",
                "Inc", "Incorporated", "Ltd", "Limited", "Bros", "Brothers", "Ave", "Avenue", "Blvd", "Boulevard",
                "Rd", "Road", "Dept", "Department", "Jan", "January", "Feb", "February", "Mar", "March", "Apr", "April",
                "Jun", "June", "Jul", "July", "Aug", "August", "Sep", "September", "Sept", "September",
                "Oct", "October", "Nov", "November", "Dec", "December", "etc", "et cetera", "approx", "approximately");
        // all four: the expansion never ends a sentence
        pairs(DOTTED_ABBREVIATIONS, "e.g.", "for example", "i.e.", "that is", "cf.", "compare", "viz.", "namely");
        pairs(SYMBOL_WORDS, "&", "and", "@", "at", "+", "plus", "=", "equals", "\u00b0", "degrees", "\u00d7", "times");
        CURRENCIES.put("$", new String[] {"dollar", "dollars", "cent", "cents"});
        CURRENCIES.put("\u00a3", new String[] {"pound", "pounds", "penny", "pence"});
        CURRENCIES.put("\u20ac", new String[] {"euro", "euros", "cent", "cents"});
        CURRENCIES.put("\u00a5", new String[] {"yen", "yen", null, null});
    }

    // --------------------------------------------------------------------------------------------- patterns

    // Python: (?<=\d)\s*\u2013\s*(?=[$£€¥]?\d); the lookbehind is the guard PyText::isDigit (see PyText.sub).
    private static final Pattern EN_DASH_RANGE = Pattern.compile(S + "*\u2013" + S + "*(?=[$\u00a3\u20ac\u00a5]?" + D + ")");

    private static final class Rule {
        final Pattern pattern;
        final Function<Matcher, String> replacement;
        /** The Python pattern's leading lookbehind, as a test of the code point before the match (or null). */
        final IntPredicate before;

        Rule(Pattern pattern, Function<Matcher, String> replacement) {
            this(pattern, null, replacement);
        }

        Rule(Pattern pattern, IntPredicate before, Function<Matcher, String> replacement) {
            this.pattern = pattern;
            this.before = before;
            this.replacement = replacement;
        }
    }

    private static final List<Rule> ABBREVIATION_RULES = buildAbbreviationRules();
    private static final Pattern SYMBOL_RE;
    private static final String NUM = D + "{1,3}(?:," + D + "{3})+|" + D + "+";
    private static final String NOT_WORD_AFTER = "(?!" + W + ")"; // Python's \b after a word character
    private static final List<Rule> NUMBER_RULES;
    private static final Pattern NON_ASCII = Pattern.compile("[^\\x00-\\x7f]");
    private static final Pattern WHITESPACE = Pattern.compile("[ \\t\\n\\r\\f\\x0B]+");
    private static final Pattern SPACE_BEFORE_PUNCT = Pattern.compile(" (?=[.,?!;:](?:" + S + "|\\z))");

    static {
        StringBuilder alts = new StringBuilder();
        for (String k : SYMBOL_WORDS.keySet()) {
            if (alts.length() > 0) alts.append('|');
            alts.append(Pattern.quote(k));
        }
        SYMBOL_RE = Pattern.compile(alts.toString());

        List<Rule> rules = new ArrayList<>();
        // "#5" -> "number 5"
        rules.add(new Rule(Pattern.compile("#" + S + "?(?=" + D + ")"), m -> " number "));
        // "-5", "-$5" -> "minus ..." (a hyphen not preceded by a word character, period or hyphen)
        // (Python's leading lookbehinds on \d and \w are the `before` tests: see PyText.sub)
        rules.add(new Rule(Pattern.compile("-(?=[$\u00a3\u20ac\u00a5]?\\.?" + D + ")"),
                cp -> !(PyText.isWord(cp) || cp == '.' || cp == '-'), m -> " minus "));
        // "$3.50", "£5", "€1.5 million"
        rules.add(new Rule(Pattern.compile("([$\u00a3\u20ac\u00a5])" + S + "?(" + NUM + ")(?:\\.(" + D + "+))?(?:" + S
                + "?(thousand|million|billion|trillion)" + NOT_WORD_AFTER + ")?", Pattern.CASE_INSENSITIVE),
                TextNormalizer::expandCurrency));
        // "50¢"
        rules.add(new Rule(Pattern.compile("(" + NUM + ")" + S + "?\u00a2"), m -> {
            BigInteger n = NumberWords.parse(m.group(1));
            return pad(NumberWords.integerWords(m.group(1), false) + " " + (n.equals(BigInteger.ONE) ? "cent" : "cents"));
        }));
        // "3:30", "10:00"
        rules.add(new Rule(Pattern.compile("([01]?" + D + "|2[0-3]):([0-5]" + D + ")(?![" + D + ":])"),
                cp -> !(PyText.isDigit(cp) || cp == ':'), m -> {
            long hours = Long.parseLong(PyText.asciiDigits(m.group(1)));
            long minutes = Long.parseLong(PyText.asciiDigits(m.group(2)));
            if (minutes == 0) return pad(NumberWords.cardinal(hours) + " o'clock");
            if (minutes < 10) return pad(NumberWords.cardinal(hours) + " oh " + NumberWords.cardinal(minutes));
            return pad(NumberWords.cardinal(hours) + " " + NumberWords.cardinal(minutes));
        }));
        // "50%", "3.5 %"
        rules.add(new Rule(Pattern.compile("(" + NUM + ")(?:\\.(" + D + "+))?" + S + "?%"), cp -> !(PyText.isDigit(cp) || cp == '.'),
                m -> pad(NumberWords.numberWords(m.group(1), m.group(2)) + " percent")));
        // "3rd", "21st", "1,000th"
        rules.add(new Rule(Pattern.compile("(" + NUM + ")(?:st|nd|rd|th)" + NOT_WORD_AFTER, Pattern.CASE_INSENSITIVE),
                cp -> !(PyText.isDigit(cp) || cp == '.'),
                m -> pad(NumberWords.ordinal(NumberWords.parse(m.group(1))))));
        // "3.14", ".5", "1,234.5" (not version numbers like "1.2.3")
        rules.add(new Rule(Pattern.compile("(" + NUM + ")?\\.(" + D + "+)(?!" + D + "|\\." + D + ")"),
                cp -> !(PyText.isWord(cp) || cp == '.'),
                m -> pad(NumberWords.decimalWords(m.group(1), m.group(2)))));
        // everything else: years, "1980s", cardinals
        rules.add(new Rule(Pattern.compile("(" + NUM + ")('?s" + NOT_WORD_AFTER + ")?"), m -> {
            String words = NumberWords.integerWords(m.group(1), true);
            if (m.group(2) != null) words = NumberWords.lastWordSub(words, NumberWords::pluralWord);
            return pad(words);
        }));
        NUMBER_RULES = Collections.unmodifiableList(rules);
    }

    private static String pad(String s) {
        return " " + s + " ";
    }

    private static String expandCurrency(Matcher m) {
        String sign = m.group(1);
        String integer = m.group(2);
        String fraction = m.group(3);
        String scale = m.group(4);
        String[] c = CURRENCIES.get(sign);
        String unit1 = c[0], units = c[1], sub1 = c[2], subs = c[3];
        if (scale != null) {
            return pad(NumberWords.numberWords(integer, fraction) + " " + scale.toLowerCase(java.util.Locale.ROOT) + " " + units);
        }
        BigInteger amount = NumberWords.parse(integer);
        String unit = amount.equals(BigInteger.ONE) ? unit1 : units;
        if (fraction == null || (sub1 == null && fraction.chars().allMatch(ch -> ch == '0'))) {
            return pad(NumberWords.integerWords(integer, false) + " " + unit);
        }
        if (sub1 == null || PyText.len(fraction) > 2) {
            return pad(NumberWords.decimalWords(integer, fraction) + " " + units);
        }
        String padded = PyText.len(fraction) < 2 ? fraction + "0" : fraction; // fraction.ljust(2, "0")
        long cents = Long.parseLong(PyText.asciiDigits(padded));
        String centWords = NumberWords.cardinal(cents) + " " + (cents == 1 ? sub1 : subs);
        if (amount.signum() != 0 && cents != 0) {
            return pad(NumberWords.integerWords(integer, false) + " " + unit + " and " + centWords);
        }
        if (cents != 0) return pad(centWords);
        return pad(NumberWords.integerWords(integer, false) + " " + unit);
    }

    private static List<String> variants(String key) {
        List<String> out = new ArrayList<>();
        out.add(key);
        String upper = key.toUpperCase(java.util.Locale.ROOT);
        if (!out.contains(upper)) out.add(upper);
        if (key.equals(key.toLowerCase(java.util.Locale.ROOT))) { // Python's key.islower() (keys are letters)
            String cap = Character.toUpperCase(key.charAt(0)) + key.substring(1);
            if (!out.contains(cap)) out.add(cap);
        }
        return out;
    }

    private static String alternation(List<String> words) {
        StringBuilder sb = new StringBuilder();
        for (String w : words) {
            if (sb.length() > 0) sb.append('|');
            sb.append(Pattern.quote(w));
        }
        return sb.toString();
    }

    private static List<Rule> buildAbbreviationRules() {
        final Pattern endOfText = Pattern.compile("[\"')\\]]*" + S + "*\\z");
        List<String> suffixVariants = new ArrayList<>();
        for (String k : NAME_SUFFIXES) suffixVariants.addAll(variants(k));
        final Pattern capitalFollows = Pattern.compile("[\"')\\]]*" + S + "+[\"'(\\[]*(?!(?:" + alternation(suffixVariants) + ")\\.)[A-Z]");

        class Make implements Function<Matcher, String> {
            final String expansion;
            final boolean mayEnd;

            Make(String expansion, boolean mayEnd) {
                this.expansion = expansion;
                this.mayEnd = mayEnd;
            }

            @Override
            public String apply(Matcher m) {
                if (!mayEnd) return expansion;
                // Python: m.string[m.end():] is the text this rule is applied to, after the match
                String rest = restOf(m);
                boolean keep = endOfText.matcher(rest).lookingAt() || capitalFollows.matcher(rest).lookingAt();
                return keep ? expansion + "." : expansion;
            }
        }

        List<Rule> rules = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            LinkedHashMap<String, String> table = t == 0 ? TITLE_ABBREVIATIONS : ABBREVIATIONS;
            boolean mayEnd = t == 1;
            List<String> keys = new ArrayList<>(table.keySet());
            keys.sort((a, b) -> Integer.compare(b.length(), a.length())); // stable, like Python's sorted(reverse=True)
            for (String key : keys) {
                Pattern p = Pattern.compile("(?<![A-Za-z.'])(?:" + alternation(variants(key)) + ")\\.(?![A-Za-z])");
                rules.add(new Rule(p, new Make(table.get(key), mayEnd)));
            }
        }
        for (Map.Entry<String, String> e : DOTTED_ABBREVIATIONS.entrySet()) {
            Pattern p = Pattern.compile("(?<![A-Za-z.'])" + Pattern.quote(e.getKey()) + "(?![A-Za-z])", Pattern.CASE_INSENSITIVE);
            rules.add(new Rule(p, new Make(e.getValue(), false)));
        }
        rules.add(new Rule(Pattern.compile("(?<![A-Za-z.'])(?:St|ST)\\.(?=" + S + "+[\"'(\\[]*[A-Z])"), m -> "Saint"));
        rules.add(new Rule(Pattern.compile("(?<![A-Za-z.'])(?:St|ST)\\.(?![A-Za-z])"), new Make("Street", true)));
        rules.add(new Rule(Pattern.compile("(?<![A-Za-z.'])(?:No|NO|no)\\.(?=" + S + "?" + D + ")"), m -> "number"));
        rules.add(new Rule(Pattern.compile("(?<![A-Za-z.'])([A-Z])\\.(?=" + S + "+[\"'(\\[]*[A-Z])"), m -> m.group(1)));
        return Collections.unmodifiableList(rules);
    }

    /** The rest of the matcher's input after the match (the input is kept by {@link #applyRule}). */
    private static String restOf(Matcher m) {
        return CURRENT_INPUT.get().substring(m.end());
    }

    // The text a rule is being applied to, for replacement functions that look past their match (Python's
    // m.string). Per thread, so the normaliser stays thread-safe.
    private static final ThreadLocal<String> CURRENT_INPUT = new ThreadLocal<>();

    private static String applyRule(Rule rule, String text) {
        CURRENT_INPUT.set(text);
        try {
            return PyText.sub(rule.pattern, text, rule.before, rule.replacement);
        } finally {
            CURRENT_INPUT.remove();
        }
    }

    // ------------------------------------------------------------------------------------------------- API

    /**
     * Spell out numbers, abbreviations and symbols, map Unicode punctuation to ASCII, drop what is left of
     * non-ASCII characters and collapse whitespace. The result is ASCII, and normalize(normalize(t)) == normalize(t).
     */
    public static String normalize(String text) {
        if (text == null) throw new IllegalArgumentException("text must not be null");
        // 1. Unicode punctuation and spaces
        text = PyText.sub(EN_DASH_RANGE, text, PyText::isDigit, m -> " to ");
        StringBuilder sb = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String r = UNICODE_TABLE.get(c);
            if (r != null) sb.append(r);
            else sb.append(c);
        }
        // 2. accents and special letters
        String nfkd = Normalizer.normalize(sb, Normalizer.Form.NFKD);
        sb.setLength(0);
        for (int i = 0; i < nfkd.length(); ) {
            int cp = nfkd.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.getType(cp) == Character.NON_SPACING_MARK) continue;
            String r = cp < 0x10000 ? LETTER_TABLE.get((char) cp) : null;
            if (r != null) sb.append(r);
            else sb.appendCodePoint(cp);
        }
        text = sb.toString();
        // 3. abbreviations
        for (Rule rule : ABBREVIATION_RULES) text = applyRule(rule, text);
        // 4. symbols read as words
        text = PyText.sub(SYMBOL_RE, text, m -> pad(SYMBOL_WORDS.get(m.group())));
        // 5. numbers
        for (Rule rule : NUMBER_RULES) text = applyRule(rule, text);
        text = text.replace("%", " percent ").replace("\u00a2", " cents ");
        // 6. whatever is not ASCII now is dropped; collapse whitespace
        text = PyText.sub(NON_ASCII, text, " ");
        text = PyText.strip(PyText.sub(WHITESPACE, text, " "));
        text = PyText.sub(SPACE_BEFORE_PUNCT, text, "");
        return text;
    }
}
