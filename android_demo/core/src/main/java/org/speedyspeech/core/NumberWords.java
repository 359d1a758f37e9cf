package org.speedyspeech.core;

import java.math.BigInteger;

/**
 * Numbers to words exactly as speedyspeech_tf/text/ writes them ({@code cardinal}, {@code ordinal},
 * {@code year}): no "and", a hyphen in 21..99, numbers of 10^18 or more digit by digit.
 */
public final class NumberWords {
    private NumberWords() {}

    static final String[] ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
            + "fourteen fifteen sixteen seventeen eighteen nineteen").split(" ");
    static final String[] TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split(" ");
    static final String[] SCALES = {"", "thousand", "million", "billion", "trillion", "quadrillion"};
    private static final BigInteger THOUSAND = BigInteger.valueOf(1000);
    private static final BigInteger LIMIT = THOUSAND.pow(SCALES.length); // 10^18

    private static String belowThousand(int n) {
        StringBuilder out = new StringBuilder();
        if (n >= 100) {
            out.append(ONES[n / 100]).append(" hundred");
            n %= 100;
        }
        if (n >= 20) {
            if (out.length() > 0) out.append(' ');
            out.append(TENS[n / 10]);
            if (n % 10 != 0) out.append('-').append(ONES[n % 10]);
        } else if (n != 0 || out.length() == 0) {
            if (out.length() > 0) out.append(' ');
            out.append(ONES[n]);
        }
        return out.toString();
    }

    /** "1 2 3" digit by digit: every code point is a decimal digit (any script, as Python's int()). */
    static String digits(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (out.length() > 0) out.append(' ');
            out.append(ONES[Character.digit(cp, 10)]);
        }
        return out.toString();
    }

    public static String cardinal(long n) {
        return cardinal(BigInteger.valueOf(n));
    }

    /** 42 -> "forty-two", 1234 -> "one thousand two hundred thirty-four". */
    public static String cardinal(BigInteger n) {
        if (n.signum() < 0) return "minus " + cardinal(n.negate());
        if (n.compareTo(LIMIT) >= 0) return digits(n.toString());
        if (n.signum() == 0) return "zero";
        long v = n.longValue();
        StringBuilder out = new StringBuilder();
        for (int scale = SCALES.length - 1; scale >= 0; scale--) {
            long div = 1;
            for (int k = 0; k < scale; k++) div *= 1000;
            int group = (int) ((v / div) % 1000);
            if (group != 0) {
                if (out.length() > 0) out.append(' ');
                out.append(belowThousand(group));
                if (!SCALES[scale].isEmpty()) out.append(' ').append(SCALES[scale]);
            }
        }
        return out.toString();
    }

    /** Python's _last_word_sub: apply fn to the text after the last space or hyphen. */
    static String lastWordSub(String words, java.util.function.UnaryOperator<String> fn) {
        int cut = Math.max(words.lastIndexOf(' '), words.lastIndexOf('-')) + 1;
        return words.substring(0, cut) + fn.apply(words.substring(cut));
    }

    static String ordinalWord(String w) {
        switch (w) {
            case "one": return "first";
            case "two": return "second";
            case "three": return "third";
            case "five": return "fifth";
            case "eight": return "eighth";
            case "nine": return "ninth";
            case "twelve": return "twelfth";
            default:
                return w.endsWith("y") ? w.substring(0, w.length() - 1) + "ieth" : w + "th";
        }
    }

    static String pluralWord(String w) {
        if (w.endsWith("y")) return w.substring(0, w.length() - 1) + "ies";
        if (w.endsWith("s") || w.endsWith("x")) return w + "es";
        return w + "s";
    }

    /** 3 -> "third", 21 -> "twenty-first", 100 -> "one hundredth". */
    public static String ordinal(BigInteger n) {
        return lastWordSub(cardinal(n), NumberWords::ordinalWord);
    }

    public static String ordinal(long n) {
        return ordinal(BigInteger.valueOf(n));
    }

    /**
     * A year as it is said: 1984 -> "nineteen eighty-four", 1900 -> "nineteen hundred", 1905 -> "nineteen oh
     * five", 2000 -> "two thousand", 2005 -> "two thousand five", 2010 -> "twenty ten"; other numbers as cardinals.
     */
    public static String year(long n) {
        if (n < 1000 || n > 9999 || n % 1000 == 0 || (n >= 2001 && n <= 2009)) return cardinal(n);
        long high = n / 100;
        long low = n % 100;
        if (low == 0) return cardinal(high) + " hundred";
        if (low < 10) return cardinal(high) + " oh " + cardinal(low);
        return cardinal(high) + " " + cardinal(low);
    }

    /** Python's _integer_words: digits, possibly with grouping commas, to words. */
    static String integerWords(String s, boolean allowYear) {
        if (s.indexOf(',') >= 0) return cardinal(new BigInteger(PyText.asciiDigits(s)));
        int len = PyText.len(s);
        if (len > 1 && s.charAt(0) == '0') return digits(s);
        if (len > 18) return digits(s);
        long n = Long.parseLong(PyText.asciiDigits(s));
        if (allowYear && len == 4 && n >= 1000 && n <= 2999) return year(n);
        return cardinal(n);
    }

    /** Python's _decimal_words: "[integer ]point d d d". */
    static String decimalWords(String integer, String fraction) {
        String head = integer != null && !integer.isEmpty() ? integerWords(integer, false) + " " : "";
        return head + "point " + digits(fraction);
    }

    static String numberWords(String integer, String fraction) {
        return fraction != null && !fraction.isEmpty() ? decimalWords(integer, fraction) : integerWords(integer, false);
    }

    static BigInteger parse(String digitsWithCommas) {
        return new BigInteger(PyText.asciiDigits(digitsWithCommas));
    }
}
