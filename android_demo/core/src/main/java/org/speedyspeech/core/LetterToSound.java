package org.speedyspeech.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Pronunciations for words that are neither in the dictionary nor covered by the g2p network asset: never empty,
 * never an exception, only phonemes of the symbol table. In order:
 * <ol>
 *   <li>morphology with the dictionary: a known word plus a suffix ("blogging" = blog + IH0 NG, "zoomers" = zoom
 *   + ER0 Z) or a prefix ("unfriend" = AH0 N + friend), or a compound of two known words of 3+ letters each
 *   ("snowbot" = snow + bot; the second word's primary stress becomes secondary, as the dictionary writes
 *   compounds);</li>
 *   <li>a word without vowel letters is spelled out ("xkcd": EH2 K S K EY2 S IY2 D IY1);</li>
 *   <li>otherwise letter-to-sound rules written for this project: consonant and vowel digraphs ("sh" "tch" "igh"
 *   "ou" ...), soft c/g before e/i/y, silent final e with the long vowel it marks ("vape"), r-coloured vowels,
 *   common endings ("-tion" "-ture" "-le"), primary stress on the first syllable (on the syllable before "-tion",
 *   "-ic", "-ity", ... when the word ends so) and reduced vowels (AH0/IH0) in unstressed syllables.</li>
 * </ol>
 * This is a fallback of plain rules, not g2p_en's network: see android_demo/README.md for how often it agrees
 * with the dictionary. Thread-safe.
 */
public final class LetterToSound implements OovPronouncer {
    private final Lexicon lexicon;

    /** @param lexicon dictionary for the morphology step (may be {@link Lexicon#empty()}) */
    public LetterToSound(Lexicon lexicon) {
        this.lexicon = lexicon == null ? Lexicon.empty() : lexicon;
    }

    @Override
    public List<String> pronounce(String letters) {
        String w = clean(letters);
        if (w.isEmpty()) return Collections.singletonList("AH0"); // cannot happen for a real token; never silence
        List<String> out = morphology(w, 0);
        if (out == null) out = hasVowel(w) ? rules(w) : spell(w);
        if (out.isEmpty()) out = spell(w);
        return Collections.unmodifiableList(out);
    }

    private static String clean(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = Character.toLowerCase(s.charAt(i));
            if (c >= 'a' && c <= 'z') sb.append(c);
        }
        return sb.toString();
    }

    private static boolean hasVowel(String w) {
        for (int i = 0; i < w.length(); i++) if ("aeiouy".indexOf(w.charAt(i)) >= 0) return true;
        return false;
    }

    // ------------------------------------------------------------------------------------------- spelling

    /** The letter names, every letter but the last with its primary stress made secondary (as initialisms). */
    static List<String> spell(String w) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < w.length(); i++) {
            String[] name = Phonemizer.letterName(w.charAt(i));
            for (String p : name) out.add(i < w.length() - 1 && p.endsWith("1") ? p.substring(0, p.length() - 1) + "2" : p);
        }
        return out;
    }

    // ----------------------------------------------------------------------------------------- morphology

    private static final String[][] SUFFIXES = {
        // suffix, phonemes appended ("" = decided by the base's last phoneme), kind
        {"ings", "IH0 NG Z", "ing"}, {"ing", "IH0 NG", "ing"}, {"ers", "ER0 Z", "er"}, {"er", "ER0", "er"},
        {"est", "AH0 S T", "er"}, {"ed", "", "ed"}, {"es", "", "s"}, {"s", "", "s"}, {"ly", "L IY0", ""},
        {"ness", "N AH0 S", ""}, {"less", "L AH0 S", ""}, {"ful", "F AH0 L", ""}, {"ment", "M AH0 N T", ""},
        {"ments", "M AH0 N T S", ""}, {"ish", "IH0 SH", ""}, {"able", "AH0 B AH0 L", "ing"}, {"y", "IY0", "ing"},
        {"ism", "IH2 Z AH0 M", ""}, {"ist", "IH0 S T", ""}, {"ists", "IH0 S T S", ""},
    };
    private static final String[][] PREFIXES = {
        {"un", "AH0 N"}, {"re", "R IY0"}, {"non", "N AA2 N"}, {"pre", "P R IY0"}, {"dis", "D IH0 S"},
        {"mis", "M IH0 S"}, {"anti", "AE2 N T IY0"}, {"over", "OW2 V ER0"}, {"under", "AH2 N D ER0"},
        {"out", "AW2 T"}, {"sub", "S AH2 B"}, {"super", "S UW2 P ER0"}, {"inter", "IH2 N T ER0"},
        {"multi", "M AH2 L T IY0"}, {"semi", "S EH2 M IY0"}, {"micro", "M AY2 K R OW0"}, {"mega", "M EH2 G AH0"},
    };
    private static final List<String> SIBILANTS = Arrays.asList("S", "Z", "SH", "ZH", "CH", "JH");
    private static final List<String> VOICELESS = Arrays.asList("P", "T", "K", "F", "TH");

    static {
        Arrays.sort(SUFFIXES, (a, b) -> Integer.compare(b[0].length(), a[0].length())); // longest first (stable)
    }

    private List<String> known(String w) {
        return lexicon.lookup(w);
    }

    /** A pronunciation from dictionary words plus affixes, or null. */
    private List<String> morphology(String w, int depth) {
        if (depth > 0) {
            List<String> hit = known(w);
            if (hit != null) return new ArrayList<>(hit);
        }
        if (depth >= 2) return null;
        for (String[] suf : SUFFIXES) {
            String s = suf[0];
            if (w.length() < s.length() + 3 || !w.endsWith(s)) continue;
            String base = w.substring(0, w.length() - s.length());
            List<String> b = null;
            for (String cand : baseCandidates(base, suf[2])) {
                b = morphology(cand, depth + 1);
                if (b != null) break;
            }
            if (b == null || b.isEmpty()) continue;
            List<String> out = new ArrayList<>(b);
            String last = strip(b.get(b.size() - 1));
            if (suf[2].equals("s") && suf[1].isEmpty()) {
                if (s.equals("es") && !SIBILANTS.contains(last)) continue; // "es" only after a sibilant
                out.addAll(SIBILANTS.contains(last) ? Arrays.asList("IH0", "Z") : VOICELESS.contains(last)
                        ? Collections.singletonList("S") : Collections.singletonList("Z"));
            } else if (suf[2].equals("ed") && suf[1].isEmpty()) {
                out.addAll(last.equals("T") || last.equals("D") ? Arrays.asList("IH0", "D")
                        : VOICELESS.contains(last) || SIBILANTS.contains(last) && !last.equals("Z") && !last.equals("ZH")
                        && !last.equals("JH") ? Collections.singletonList("T") : Collections.singletonList("D"));
            } else {
                out.addAll(Arrays.asList(suf[1].split(" ")));
            }
            return out;
        }
        for (String[] pre : PREFIXES) {
            String p = pre[0];
            if (w.length() < p.length() + 3 || !w.startsWith(p)) continue;
            List<String> rest = morphology(w.substring(p.length()), depth + 1);
            if (rest == null) continue;
            List<String> out = new ArrayList<>(Arrays.asList(pre[1].split(" ")));
            out.addAll(rest);
            return out;
        }
        // compound of two known words (3+ letters each), the longest first word first
        for (int cut = w.length() - 3; cut >= 3; cut--) {
            List<String> a = known(w.substring(0, cut));
            if (a == null) continue;
            List<String> b = known(w.substring(cut));
            if (b == null) continue;
            List<String> out = new ArrayList<>(a);
            for (String p : b) out.add(p.endsWith("1") ? p.substring(0, p.length() - 1) + "2" : p);
            return out;
        }
        return null;
    }

    private static List<String> baseCandidates(String base, String kind) {
        List<String> out = new ArrayList<>();
        out.add(base);
        if (kind.equals("ing") || kind.equals("ed") || kind.equals("er")) {
            out.add(base + "e"); // "vaping" -> "vape"
            int n = base.length();
            if (n >= 2 && base.charAt(n - 1) == base.charAt(n - 2)) out.add(base.substring(0, n - 1)); // "blogging"
            if (n >= 1 && base.charAt(n - 1) == 'i') out.add(base.substring(0, n - 1) + "y"); // "copied"
        }
        if (kind.equals("s") && base.endsWith("i")) out.add(base.substring(0, base.length() - 1) + "y");
        return out;
    }

    private static String strip(String phoneme) {
        char c = phoneme.charAt(phoneme.length() - 1);
        return c >= '0' && c <= '2' ? phoneme.substring(0, phoneme.length() - 1) : phoneme;
    }

    // ---------------------------------------------------------------------------------- letter-to-sound

    /** A consonant (fixed phonemes) or a vowel nucleus (stressed and unstressed realisations). */
    private static final class Seg {
        final String consonants; // space-separated, or null for a vowel
        final String stressed;
        final String unstressed;
        final boolean rColored; // followed by R inside the same segment

        Seg(String consonants) {
            this.consonants = consonants;
            this.stressed = null;
            this.unstressed = null;
            this.rColored = false;
        }

        Seg(String stressed, String unstressed, boolean rColored) {
            this.consonants = null;
            this.stressed = stressed;
            this.unstressed = unstressed;
            this.rColored = rColored;
        }

        boolean vowel() {
            return consonants == null;
        }
    }

    private static boolean isVowelLetter(String w, int i) {
        if (i < 0 || i >= w.length()) return false;
        char c = w.charAt(i);
        if ("aeiou".indexOf(c) >= 0) return true;
        // y is a vowel unless it starts the word (or a syllable) before a vowel
        return c == 'y' && i > 0 && !isVowelLetterNoY(w, i + 1);
    }

    private static boolean isVowelLetterNoY(String w, int i) {
        return i >= 0 && i < w.length() && "aeiou".indexOf(w.charAt(i)) >= 0;
    }

    private static boolean frontVowelAt(String w, int i) {
        return i < w.length() && "eiy".indexOf(w.charAt(i)) >= 0;
    }

    private static boolean at(String w, int i, String s) {
        return w.startsWith(s, i);
    }

    /** A single consonant letter followed by a silent final "e" (optionally + s/d): "vape", "vapes", "vaped". */
    private static boolean magicE(String w, int consonant) {
        if (consonant >= w.length() || isVowelLetterNoY(w, consonant) || w.charAt(consonant) == 'y') return false;
        if (w.charAt(consonant) == 'x' || w.charAt(consonant) == 'w') return false;
        int e = consonant + 1;
        if (e >= w.length() || w.charAt(e) != 'e') return false;
        String rest = w.substring(e + 1);
        return rest.isEmpty() || rest.equals("s") || rest.equals("d") || rest.equals("ly");
    }

    private static final String[][] ENDINGS = {
        // suffix -> phonemes, stress goes on the syllable before it when "pre"
        {"tion", "SH AH0 N", "pre"}, {"tions", "SH AH0 N Z", "pre"}, {"sion", "ZH AH0 N", "pre"},
        {"sions", "ZH AH0 N Z", "pre"}, {"cian", "SH AH0 N", "pre"}, {"tious", "SH AH0 S", "pre"},
        {"cious", "SH AH0 S", "pre"}, {"tial", "SH AH0 L", "pre"}, {"cial", "SH AH0 L", "pre"},
        {"ture", "CH ER0", ""}, {"tures", "CH ER0 Z", ""}, {"sure", "ZH ER0", ""}, {"ous", "AH0 S", ""},
        {"ic", "IH0 K", "pre"}, {"ics", "IH0 K S", "pre"}, {"ical", "IH0 K AH0 L", "pre"}, {"ity", "AH0 T IY0", "pre"},
        {"ian", "IY0 AH0 N", "pre"}, {"ia", "IY0 AH0", "pre"}, {"que", "K", ""}, {"gue", "G", ""},
        {"ism", "IH0 Z AH0 M", ""}, {"ing", "IH0 NG", ""}, {"ings", "IH0 NG Z", ""}, {"ed", "", ""},
    };

    List<String> rules(String w) {
        // the ending first (it decides the stress), then the stem left to right
        String ending = null;
        String endingPhonemes = "";
        boolean stressBeforeEnding = false;
        for (String[] e : ENDINGS) {
            if (w.length() >= e[0].length() + 2 && w.endsWith(e[0]) && hasVowel(w.substring(0, w.length() - e[0].length()))) {
                if (e[0].equals("ed")) {
                    char prev = w.charAt(w.length() - 3);
                    if (isVowelLetter(w, w.length() - 3)) continue; // "-eed", "-ied": let the rules read it
                    endingPhonemes = prev == 't' || prev == 'd' ? "IH0 D" : "pkfsxc".indexOf(prev) >= 0 ? "T" : "D";
                } else {
                    endingPhonemes = e[1];
                }
                ending = e[0];
                stressBeforeEnding = e[2].equals("pre");
                break;
            }
        }
        String stem = ending == null ? w : w.substring(0, w.length() - ending.length());
        List<Seg> segs = segments(stem, ending != null);
        if (!endingPhonemes.isEmpty()) {
            for (String p : endingPhonemes.split(" ")) {
                if (Character.isDigit(p.charAt(p.length() - 1))) {
                    String base = p.substring(0, p.length() - 1);
                    segs.add(new Seg(base + "0", base + "0", false)); // ending vowels are never stressed
                } else {
                    segs.add(new Seg(p));
                }
            }
        }
        // stress: the first vowel of the stem, or the stem's last vowel before a stress-attracting ending
        int stemVowels = 0;
        for (Seg s : segs) if (s.vowel() && s.stressed.indexOf('0') < 0) stemVowels++;
        int stressed = stressBeforeEnding && stemVowels > 0 ? stemVowels - 1 : 0;
        if (!stressBeforeEnding && stemVowels >= 2 && unstressedPrefix(w)) stressed = 1; // "abear", "deduce", "mcmahon"
        List<String> out = new ArrayList<>();
        int v = 0;
        for (Seg s : segs) {
            if (!s.vowel()) {
                for (String p : s.consonants.split(" ")) out.add(p);
                continue;
            }
            boolean endingVowel = s.stressed.indexOf('0') >= 0;
            String vowel;
            if (endingVowel) {
                vowel = s.stressed;
            } else {
                vowel = v == stressed ? s.stressed + "1" : s.unstressed + "0";
                v++;
            }
            out.add(vowel);
            if (s.rColored && !vowel.startsWith("ER")) out.add("R"); // ER already is the r-coloured vowel
        }
        // remove doubled identical consonants produced across segments ("s" + "s")
        List<String> dedup = new ArrayList<>();
        for (String p : out) {
            boolean vowel = Character.isDigit(p.charAt(p.length() - 1));
            if (!vowel && !dedup.isEmpty() && dedup.get(dedup.size() - 1).equals(p)) continue;
            dedup.add(p);
        }
        if (countVowels(dedup) == 0) return spell(w);
        boolean primary = false;
        for (String p : dedup) primary |= p.endsWith("1");
        for (int i = 0; i < dedup.size() && !primary; i++) { // only ending vowels ("-le"): stress the first one
            String p = dedup.get(i);
            if (Character.isDigit(p.charAt(p.length() - 1))) {
                dedup.set(i, p.substring(0, p.length() - 1) + "1");
                primary = true;
            }
        }
        return dedup;
    }

    private static final String[] UNSTRESSED_PREFIXES = {"mc", "be", "de", "re", "con", "com", "ex", "ad", "ab", "ac",
        "af", "ag", "al", "ap", "as", "at", "ob", "op", "sup", "sus", "pro", "pre", "e"};

    /** Words that usually keep the first syllable unstressed: be-, de-, re-, con-, a + doubled consonant ... */
    private static boolean unstressedPrefix(String w) {
        if (w.length() >= 5 && w.charAt(0) == 'a' && !isVowelLetter(w, 1) && w.charAt(1) == w.charAt(2)) return true; // "affray"
        if (w.startsWith("mc") && w.length() > 3) return true;
        for (String p : UNSTRESSED_PREFIXES) {
            if (p.length() >= 2 && w.startsWith(p) && w.length() >= p.length() + 3 && !isVowelLetter(w, p.length())
                    && (p.length() == 3 || p.equals("mc") || isVowelLetterNoY(w, p.length() - 1))) {
                return true;
            }
        }
        return false;
    }

    private static int countVowels(List<String> ps) {
        int n = 0;
        for (String p : ps) if (Character.isDigit(p.charAt(p.length() - 1))) n++;
        return n;
    }

    private static List<Seg> segments(String w, boolean hasEnding) {
        List<Seg> segs = new ArrayList<>();
        int i = 0;
        int n = w.length();
        while (i < n) {
            char c = w.charAt(i);
            boolean start = i == 0;
            // ------------------------------------------------------------------ vowels
            if (isVowelLetter(w, i)) {
                // final silent e (the word has another vowel before it)
                if (c == 'e' && i == n - 1 && !hasEnding && i > 0 && vowelBefore(w, i)) {
                    i++;
                    continue;
                }
                // final "le" after a consonant handled by the consonant branch; "e" before final "s"/"d" after magic
                if (c == 'e' && i == n - 2 && (w.charAt(n - 1) == 's' || w.charAt(n - 1) == 'd') && i > 1
                        && !isVowelLetter(w, i - 1) && vowelBefore(w, i - 1) && !hasEnding) {
                    // "vapes": silent e (the s/d is read by the consonant rules)
                    i++;
                    continue;
                }
                String[] d = vowelDigraph(w, i);
                if (d != null) {
                    int len = Integer.parseInt(d[0]);
                    boolean r = d.length > 3;
                    segs.add(new Seg(d[1], d[2], r));
                    i += len;
                    continue;
                }
                // r-coloured single vowels: "ar" "or" "er" "ir" "ur" "yr" before a consonant or the end
                if (i + 1 < n && w.charAt(i + 1) == 'r' && !isVowelLetter(w, i + 2) && !(i + 2 < n && w.charAt(i + 2) == 'r')) {
                    switch (c) {
                        case 'a': segs.add(new Seg("AA", "ER", true)); break;
                        case 'o': segs.add(new Seg("AO", "ER", true)); break;
                        default: segs.add(new Seg("ER", "ER", false)); break;
                    }
                    i += 2;
                    continue;
                }
                boolean last = i == n - 1;
                boolean longV = magicE(w, i + 1) || (!last && openSyllable(w, i));
                switch (c) {
                    case 'a': segs.add(last ? new Seg("AA", "AH", false) : new Seg(longV ? "EY" : "AE", "AH", false)); break;
                    case 'e': segs.add(last ? new Seg("IY", "IY", false) : new Seg(longV ? "IY" : "EH", "IH", false)); break;
                    case 'i': segs.add(last ? new Seg("IY", "IY", false) : new Seg(longV ? "AY" : "IH", "IH", false)); break;
                    case 'o': segs.add(last ? new Seg("OW", "OW", false) : new Seg(longV ? "OW" : "AA", "AH", false)); break;
                    case 'u': segs.add(last ? new Seg("UW", "UW", false) : new Seg(longV ? "UW" : "AH", "AH", false)); break;
                    default: // y as a vowel
                        if (last) segs.add(vowelCount(w) > 1 ? new Seg("IY", "IY", false) : new Seg("AY", "AY", false));
                        else segs.add(new Seg(longV ? "AY" : "IH", "IH", false));
                }
                i++;
                continue;
            }
            // ------------------------------------------------------------------ consonants
            String[] r = consonant(w, i, start);
            if (!r[1].isEmpty()) segs.add(new Seg(r[1]));
            if (r.length > 2) segs.add(new Seg(r[2] + "0", r[2] + "0", false)); // "-le": an unstressed AH, then L
            if (r.length > 3) segs.add(new Seg(r[3]));
            i += Integer.parseInt(r[0]);
        }
        return segs;
    }

    private static boolean vowelBefore(String w, int i) {
        for (int k = 0; k < i; k++) if (isVowelLetter(w, k)) return true;
        return false;
    }

    private static int vowelCount(String w) {
        int n = 0;
        boolean prev = false;
        for (int i = 0; i < w.length(); i++) {
            boolean v = isVowelLetter(w, i);
            if (v && !prev) n++;
            prev = v;
        }
        return n;
    }

    /** V + one consonant + V (not a silent final e): an open syllable, read long in the first syllable. */
    private static boolean openSyllable(String w, int i) {
        if (vowelBefore(w, i)) return false; // only the first syllable
        int c = i + 1;
        if (c >= w.length() || isVowelLetter(w, c)) return false;
        String rest = w.substring(c + 1);
        if (rest.equals("le") || rest.equals("les") || rest.equals("led")) return true; // "table", "bible", "rifles"
        if (c + 1 >= w.length() || !isVowelLetter(w, c + 1)) return false;
        if ("xwr".indexOf(w.charAt(c)) >= 0) return false;
        return !(c + 1 == w.length() - 1 && w.charAt(c + 1) == 'e');
    }

    /** {length, stressed, unstressed[, "r"]} for a vowel digraph at i, or null. */
    private static String[] vowelDigraph(String w, int i) {
        int n = w.length();
        String[][] table = {
            {"eau", "OW", "OW"}, {"eigh", "EY", "EY"}, {"igh", "AY", "AY"}, {"ough", "AO", "AO"}, {"augh", "AO", "AO"},
            {"ai", "EY", "EY"}, {"ay", "EY", "EY"}, {"ei", "EY", "EY"}, {"ee", "IY", "IY"}, {"ea", "IY", "IY"},
            {"oa", "OW", "OW"}, {"oo", "UW", "UW"}, {"ou", "AW", "AW"}, {"ow", "OW", "OW"}, {"oi", "OY", "OY"},
            {"oy", "OY", "OY"}, {"au", "AO", "AO"}, {"aw", "AO", "AO"}, {"ew", "UW", "UW"}, {"ue", "UW", "UW"},
            {"ui", "UW", "UW"}, {"ie", "IY", "IY"},
        };
        if (at(w, i, "ey")) return i + 2 == n ? new String[] {"2", "IY", "IY"} : new String[] {"2", "EY", "EY"};
        if (at(w, i, "oe") && i + 2 == n) return new String[] {"2", "OW", "OW"};
        for (String[] t : table) {
            if (!at(w, i, t[0])) continue;
            char lastLetter = t[0].charAt(t[0].length() - 1);
            if ((lastLetter == 'w' || lastLetter == 'y') && isVowelLetterNoY(w, i + t[0].length())) continue; // "be-wilder"
            // "air" "ear" "eer" "oor" "our": the vowel + r
            int after = i + t[0].length();
            if (after < n && w.charAt(after) == 'r' && t[0].length() == 2 && !isVowelLetter(w, after + 1)) {
                switch (t[0]) {
                    case "ai": return new String[] {"3", "EH", "ER", "r"};
                    case "ea": case "ee": return new String[] {"3", "IH", "ER", "r"};
                    case "oo": case "ou": return new String[] {"3", "AO", "ER", "r"};
                    default: break;
                }
            }
            return new String[] {String.valueOf(t[0].length()), t[1], t[2]};
        }
        return null;
    }

    /** {letters consumed, phonemes (may be empty)[, vowel, consonant]} for the consonant at i. */
    private static String[] consonant(String w, int i, boolean start) {
        int n = w.length();
        char c = w.charAt(i);
        char next = i + 1 < n ? w.charAt(i + 1) : 0;
        // consonant + "le" at the end (also "-les", "-led"): "-ble" "-tle" -> B AH L
        int j = next == c ? i + 1 : i; // a doubled consonant before "le": "apple"
        boolean leEnd = j + 3 == n || (j + 4 == n && (w.charAt(n - 1) == 's' || w.charAt(n - 1) == 'd'));
        if (leEnd && j + 2 < n && w.charAt(j + 1) == 'l' && w.charAt(j + 2) == 'e' && i > 0 && !isVowelLetter(w, i) && c != 'l') {
            return new String[] {String.valueOf(j - i + 3), single(w.substring(0, i + 1), i, start), "AH", "L"};
        }
        if (start && at(w, i, "mc") && n > 3) return new String[] {"2", "M AH0 K"};
        if (at(w, i, "tch")) return new String[] {"3", "CH"};
        if (at(w, i, "sch")) return new String[] {"3", "S K"};
        if (at(w, i, "chr")) return new String[] {"3", "K R"};
        if (at(w, i, "ch")) return new String[] {"2", "CH"};
        if (at(w, i, "sh")) return new String[] {"2", "SH"};
        if (at(w, i, "th")) return new String[] {"2", "TH"};
        if (at(w, i, "ph")) return new String[] {"2", "F"};
        if (at(w, i, "wh")) return new String[] {"2", "W"};
        if (at(w, i, "ck")) return new String[] {"2", "K"};
        if (at(w, i, "dg")) return new String[] {"2", "JH"};
        if (at(w, i, "qu")) return new String[] {"2", "K W"};
        if (at(w, i, "ng")) return new String[] {"2", "NG"};
        if (at(w, i, "nk")) return new String[] {"2", "NG K"};
        if (at(w, i, "gh")) return new String[] {"2", start || isVowelLetter(w, i + 2) ? "G" : ""};
        if (start && (at(w, i, "kn") || at(w, i, "gn") || at(w, i, "pn"))) return new String[] {"2", "N"};
        if (start && at(w, i, "wr")) return new String[] {"2", "R"};
        if (start && at(w, i, "ps")) return new String[] {"2", "S"};
        if (start && at(w, i, "rh")) return new String[] {"2", "R"};
        if (at(w, i, "mb") && i + 2 == n) return new String[] {"2", "M"};
        if (at(w, i, "gn") && i + 2 == n) return new String[] {"2", "N"};
        if (at(w, i, "cc") && frontVowelAt(w, i + 2)) return new String[] {"2", "K S"};
        if ((at(w, i, "ti") || at(w, i, "ci")) && i > 0 && isVowelLetterNoY(w, i + 2)) return new String[] {"2", "SH"};
        // doubled consonants are read once
        if (next == c) return new String[] {"2", single(w, i, start)};
        return new String[] {"1", single(w, i, start)};
    }

    private static String single(String w, int i, boolean start) {
        int n = w.length();
        char c = w.charAt(i);
        switch (c) {
            case 'b': return "B";
            case 'c': return frontVowelAt(w, i + 1) ? "S" : "K";
            case 'd': return "D";
            case 'f': return "F";
            case 'g': return frontVowelAt(w, i + 1) && !(i + 1 < n && w.charAt(i + 1) == 'g') ? "JH" : "G";
            case 'h': return start || isVowelLetter(w, i + 1) ? "HH" : "";
            case 'j': return "JH";
            case 'k': return "K";
            case 'l': return "L";
            case 'm': return "M";
            case 'n': return "N";
            case 'p': return "P";
            case 'q': return "K";
            case 'r': return "R";
            case 's': {
                boolean between = i > 0 && isVowelLetter(w, i - 1) && isVowelLetter(w, i + 1);
                boolean finalVoiced = i == n - 1 && i > 0 && "bdglmnrvaeiouy".indexOf(w.charAt(i - 1)) >= 0
                        && !(i > 1 && w.charAt(i - 1) == 'u' && w.charAt(i - 2) != 'e');
                return between || finalVoiced ? "Z" : "S";
            }
            case 't': return "T";
            case 'v': return "V";
            case 'w': return "W";
            case 'x': return start ? "Z" : "K S";
            case 'y': return "Y";
            case 'z': return "Z";
            default: return "";
        }
    }
}
