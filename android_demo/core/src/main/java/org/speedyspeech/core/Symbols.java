package org.speedyspeech.core;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference's 78-symbol table (speedyspeech_tf/config.py SYMBOLS): {@code <pad>}, {@code <unk>}, 70 ARPAbet
 * phonemes with stress as g2p_en emits them, then space and the punctuation {@code . , ? ! \-}. Ids are positions.
 * The exported model's config.json carries the table too; {@link ModelConfig} refuses a model whose table differs.
 */
public final class Symbols {
    private Symbols() {}

    private static final String[] TABLE = {
        "<pad>", "<unk>", "AA0", "AA1", "AA2", "AE0", "AE1", "AE2", "AH0", "AH1", "AH2", "AO0", "AO1", "AO2",
        "AW0", "AW1", "AW2", "AY0", "AY1", "AY2", "B", "CH", "D", "DH", "EH0", "EH1", "EH2", "ER0", "ER1", "ER2",
        "EY0", "EY1", "EY2", "F", "G", "HH", "IH0", "IH1", "IH2", "IY0", "IY1", "IY2", "JH", "K", "L", "M", "N",
        "NG", "OW0", "OW1", "OW2", "OY0", "OY1", "OY2", "P", "R", "S", "SH", "T", "TH", "UH0", "UH1", "UH2", "UW",
        "UW0", "UW1", "UW2", "V", "W", "Y", "Z", "ZH", " ", ".", ",", "?", "!", "\\-",
    };

    /** All 78 symbols in id order. */
    public static final List<String> SYMBOLS = Collections.unmodifiableList(Arrays.asList(TABLE));
    public static final int COUNT = TABLE.length;
    public static final int PAD_ID = 0;
    public static final int UNK_ID = 1;
    /** The dash symbol: a backslash and a hyphen, one symbol (the reference spells it as a regex escape). */
    public static final String DASH = "\\-";
    public static final String SPACE = " ";

    private static final Map<String, Integer> IDS = new HashMap<>();

    static {
        for (int i = 0; i < TABLE.length; i++) IDS.put(TABLE[i], i);
        if (TABLE.length != 78) throw new AssertionError("symbol table must have 78 entries");
    }

    public static final int SPACE_ID = IDS.get(SPACE);
    public static final int PERIOD_ID = IDS.get(".");
    public static final int COMMA_ID = IDS.get(",");
    public static final int QUESTION_ID = IDS.get("?");
    public static final int EXCLAMATION_ID = IDS.get("!");
    public static final int DASH_ID = IDS.get(DASH);

    /** Id of a symbol ("-" is accepted for the dash, as g2p_en writes it); -1 when it is not in the table. */
    public static int idOf(String symbol) {
        Integer id = IDS.get("-".equals(symbol) ? DASH : symbol);
        return id == null ? -1 : id;
    }

    /** Id of a symbol; IllegalArgumentException naming the symbol when it is not in the table. */
    public static int requireId(String symbol) {
        int id = idOf(symbol);
        if (id < 0) throw new IllegalArgumentException("unknown phoneme symbol '" + symbol + "' (not in the 78-symbol table)");
        return id;
    }

    public static String symbol(int id) {
        if (id < 0 || id >= TABLE.length) {
            throw new IllegalArgumentException("symbol id " + id + " is outside the table (0.." + (TABLE.length - 1) + ")");
        }
        return TABLE[id];
    }

    public static boolean isPunctuation(int id) {
        return id == PERIOD_ID || id == COMMA_ID || id == QUESTION_ID || id == EXCLAMATION_ID || id == DASH_ID;
    }

    /** An ARPAbet phoneme (not pad/unk, not space or punctuation). */
    public static boolean isPhoneme(int id) {
        return id > UNK_ID && id < SPACE_ID;
    }

    public static boolean isPhoneme(String symbol) {
        int id = IDS.getOrDefault(symbol, -1);
        return isPhoneme(id);
    }

    public static int[] toIds(List<String> symbols) {
        int[] out = new int[symbols.size()];
        for (int i = 0; i < out.length; i++) {
            int id = idOf(symbols.get(i));
            if (id < 0) {
                throw new IllegalArgumentException("unknown phoneme symbol '" + symbols.get(i) + "' at position " + i
                        + " (not in the 78-symbol table)");
            }
            out[i] = id;
        }
        return out;
    }
}
