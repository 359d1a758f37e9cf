package org.speedyspeech.core;

import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the port of the Python front end needs to behave like Python's {@code re} and {@code str} on any input.
 *
 * <p>Java's (and Android's ICU-based) regex shorthands differ from Python's: Java's {@code \s} and {@code \w} are
 * ASCII-only without UNICODE_CHARACTER_CLASS (a flag Android does not support), {@code \v} is a class, not
 * U+000B, and {@code $} also matches before a final \r, U+0085, U+2028 or U+2029. So the ported patterns never
 * use {@code \s \w \d \b $}; they use the explicit classes below, which are what Python 3.11 matches (checked
 * over every code point with Python's own {@code re}: see android_demo/README.md).
 */
final class PyText {
    private PyText() {}

    /** Python's {@code \s} for str patterns (= str.isspace): 29 code points. */
    static final String S = "[\\t\\n\\x0B\\f\\r\\x1C-\\x1F \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}"
            + "\\x{202F}\\x{205F}\\x{3000}]";
    /** Python's {@code \w} for str patterns (letters, numbers, underscore). */
    static final String W = "[\\p{L}\\p{N}_]";
    /** Python's {@code \d} for str patterns (Unicode decimal digits). */
    static final String D = "\\p{Nd}";

    /** str.isspace() for one code point. */
    static boolean isSpace(int cp) {
        switch (cp) {
            case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x1C: case 0x1D: case 0x1E: case 0x1F:
            case 0x20: case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
            case 0x3000:
                return true;
            default:
                return cp >= 0x2000 && cp <= 0x200A;
        }
    }

    /** str.strip(): removes str.isspace() characters at both ends. */
    static String strip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end) {
            int cp = s.codePointAt(start);
            if (!isSpace(cp)) break;
            start += Character.charCount(cp);
        }
        while (end > start) {
            int cp = s.codePointBefore(end);
            if (!isSpace(cp)) break;
            end -= Character.charCount(cp);
        }
        return s.substring(start, end);
    }

    /** str.lstrip(). */
    static String lstrip(String s) {
        int start = 0;
        while (start < s.length()) {
            int cp = s.codePointAt(start);
            if (!isSpace(cp)) break;
            start += Character.charCount(cp);
        }
        return s.substring(start);
    }

    /** Python's re.sub(pattern, function, text): every match replaced by what the function returns. */
    static String sub(Pattern pattern, String text, Function<Matcher, String> replacement) {
        Matcher m = pattern.matcher(text);
        if (!m.find()) return text;
        StringBuilder out = new StringBuilder(text.length() + 16);
        int last = 0;
        do {
            out.append(text, last, m.start());
            out.append(replacement.apply(m));
            last = m.end();
        } while (m.find());
        out.append(text, last, text.length());
        return out.toString();
    }

    /**
     * re.sub for a pattern whose Python original starts with a lookbehind on a Unicode class (\\d, \\w): Java's
     * regex lookbehind does not see a supplementary character (a surrogate pair) before the match, so such lookbehinds
     * are written as {@code before}, a test of the code point before the match start (-1 at the start of the text).
     * A match whose start fails it is skipped and the search resumes one code point later, which finds the same
     * leftmost matches as the Python pattern.
     */
    static String sub(Pattern pattern, String text, IntPredicate before, Function<Matcher, String> replacement) {
        if (before == null) return sub(pattern, text, replacement);
        Matcher m = pattern.matcher(text);
        StringBuilder out = null;
        int last = 0;
        int from = 0;
        while (from <= text.length() && m.find(from)) {
            int start = m.start();
            int prev = start > 0 ? text.codePointBefore(start) : -1;
            if (!before.test(prev)) {
                if (start >= text.length()) break;
                from = start + Character.charCount(text.codePointAt(start));
                continue;
            }
            if (m.end() == start) throw new IllegalStateException("guarded pattern matched the empty string: " + pattern);
            if (out == null) out = new StringBuilder(text.length() + 16);
            out.append(text, last, start);
            out.append(replacement.apply(m));
            last = m.end();
            from = last;
        }
        if (out == null) return text;
        out.append(text, last, text.length());
        return out.toString();
    }

    /** Python's \\w for one code point (letters, numbers, underscore). */
    static boolean isWord(int cp) {
        if (cp < 0) return false;
        if (cp == '_' || Character.isLetter(cp)) return true;
        int t = Character.getType(cp);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    /** Python's \\d for one code point. */
    static boolean isDigit(int cp) {
        return cp >= 0 && Character.getType(cp) == Character.DECIMAL_DIGIT_NUMBER;
    }

    /** Python's re.sub(pattern, literal, text). */
    static String sub(Pattern pattern, String text, String literal) {
        return sub(pattern, text, m -> literal);
    }

    /** Number of code points (Python's len). */
    static int len(String s) {
        return s.codePointCount(0, s.length());
    }

    /**
     * Decimal digits (any Unicode Nd code points, as Python's int() accepts them) to ASCII digits, dropping commas.
     */
    static String asciiDigits(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == ',') continue;
            int d = Character.digit(cp, 10);
            if (d < 0) throw new NumberFormatException("not a decimal digit: U+" + Integer.toHexString(cp) + " in '" + s + "'");
            out.append((char) ('0' + d));
        }
        return out.toString();
    }

    /** Python's str.isprintable() for one code point (categories Cc Cf Cs Co Cn Zl Zp Zs, except the space). */
    static boolean isPrintable(int cp) {
        if (cp == ' ') return true;
        switch (Character.getType(cp)) {
            case Character.CONTROL: case Character.FORMAT: case Character.SURROGATE: case Character.PRIVATE_USE:
            case Character.UNASSIGNED: case Character.LINE_SEPARATOR: case Character.PARAGRAPH_SEPARATOR:
            case Character.SPACE_SEPARATOR:
                return false;
            default:
                return true;
        }
    }

    /** Python's repr() of a str (for error messages that must read as Python's). */
    static String repr(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder().append(quote);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == quote || cp == '\\') sb.append('\\').appendCodePoint(cp);
            else if (cp == '\t') sb.append("\\t");
            else if (cp == '\n') sb.append("\\n");
            else if (cp == '\r') sb.append("\\r");
            else if (isPrintable(cp)) sb.appendCodePoint(cp);
            else if (cp < 0x100) sb.append(String.format("\\x%02x", cp));
            else if (cp < 0x10000) sb.append(String.format("\\u%04x", cp));
            else sb.append(String.format("\\U%08x", cp));
        }
        return sb.append(quote).toString();
    }

    /** The first {@code n} code points of s (Python's format precision: f"{s:.40}"). */
    static String truncate(String s, int n) {
        return len(s) <= n ? s : s.substring(0, s.offsetByCodePoints(0, n));
    }

    /** Python's str.split() with no argument: runs of str.isspace() characters separate fields; no empty fields. */
    static java.util.List<String> split(String s) {
        java.util.List<String> out = new java.util.ArrayList<>();
        int start = -1;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (isSpace(cp)) {
                if (start >= 0) out.add(s.substring(start, i));
                start = -1;
            } else if (start < 0) {
                start = i;
            }
            i += Character.charCount(cp);
        }
        if (start >= 0) out.add(s.substring(start));
        return out;
    }

    /** Python's str.splitlines(): lines end at \n, \r, \r\n, \v, \f, \x1c-\x1e, \x85, U+2028, U+2029. */
    static java.util.List<String> splitlines(String s) {
        java.util.List<String> out = new java.util.ArrayList<>();
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean end = c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || (c >= 0x1C && c <= 0x1E) || c == 0x85
                    || c == 0x2028 || c == 0x2029;
            if (!end) continue;
            out.add(s.substring(start, i));
            if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') i++;
            start = i + 1;
        }
        if (start < s.length()) out.add(s.substring(start));
        return out;
    }
}
