package org.speedyspeech.core;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The text front end of the app: the Java port of speedyspeech_tf/text/ with its assets (written by
 * {@code speedyspeech-tf export --android-assets DIR}, i.e. speedyspeech_tf.android_assets.write_assets):
 * <ul>
 *   <li>{@value #MANIFEST}: format version and the symbol table (checked here);</li>
 *   <li>{@value #LEXICON}: the CMU dictionary, word -> first pronunciation (required);</li>
 *   <li>{@value #HOMOGRAPHS}: the homograph table (required);</li>
 *   <li>{@value #G2P}: g2p_en's out-of-vocabulary network (optional; without it unknown words go to
 *   {@link LetterToSound}).</li>
 * </ul>
 */
public final class FrontEnd {
    public static final String MANIFEST = "frontend.json";
    public static final String LEXICON = "cmudict.txt.gz";
    public static final String HOMOGRAPHS = "homographs.txt";
    public static final String G2P = "g2p_en_oov.bin";
    public static final int FORMAT_VERSION = 1;

    private final Phonemizer phonemizer;
    private final boolean neuralOov;

    public FrontEnd(Phonemizer phonemizer, boolean neuralOov) {
        this.phonemizer = phonemizer;
        this.neuralOov = neuralOov;
    }

    /** Load the front-end assets. IOException naming the asset when one is missing or malformed. */
    @SuppressWarnings("unchecked")
    public static FrontEnd load(AssetSource assets) throws IOException {
        Object manifest;
        try (InputStream in = assets.open(MANIFEST)) {
            manifest = Json.parse(new String(readAll(in), StandardCharsets.UTF_8));
        } catch (FileNotFoundException e) {
            throw new FileNotFoundException(assets.describe(MANIFEST) + " is missing: copy the front-end assets with "
                    + "`speedyspeech-tf export ... --android-assets app/src/main/assets` (see android_demo/README.md)");
        } catch (IllegalArgumentException e) {
            throw new IOException(assets.describe(MANIFEST) + ": " + e.getMessage(), e);
        }
        if (!(manifest instanceof Map)) throw new IOException(assets.describe(MANIFEST) + ": not a JSON object");
        Map<String, Object> m = (Map<String, Object>) manifest;
        Object version = m.get("format_version");
        if (!(version instanceof Long) || (Long) version != FORMAT_VERSION) {
            throw new IOException(assets.describe(MANIFEST) + ": format_version " + version + ", this app reads "
                    + FORMAT_VERSION + " (write the assets again with this version of speedyspeech-tf)");
        }
        if (!Symbols.SYMBOLS.equals(m.get("symbols"))) {
            throw new IOException(assets.describe(MANIFEST) + ": the assets were written for another symbol table");
        }
        Lexicon lexicon = Lexicon.load(assets.open(LEXICON), assets.describe(LEXICON));
        Homographs homographs = Homographs.load(assets.open(HOMOGRAPHS), assets.describe(HOMOGRAPHS));
        OovPronouncer oov;
        boolean neural;
        InputStream g2p;
        try {
            g2p = assets.open(G2P);
        } catch (FileNotFoundException e) {
            g2p = null;
        }
        if (g2p != null) {
            oov = G2pNetwork.load(g2p, assets.describe(G2P));
            neural = true;
        } else {
            oov = new LetterToSound(lexicon);
            neural = false;
        }
        return new FrontEnd(new Phonemizer(lexicon, homographs, oov), neural);
    }

    static byte[] readAll(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) > 0) bos.write(buf, 0, n);
        return bos.toByteArray();
    }

    public Phonemizer phonemizer() {
        return phonemizer;
    }

    /** True when unknown words go through g2p_en's network (as in Python), false for the letter-to-sound rules. */
    public boolean neuralOov() {
        return neuralOov;
    }

    public String normalize(String text) {
        return TextNormalizer.normalize(text);
    }

    public List<String> textToPhonemes(String text) {
        return phonemizer.textToPhonemes(text);
    }

    public int[] textToIds(String text) {
        return phonemizer.textToIds(text);
    }

    public List<String> splitSentences(String text) {
        return Chunking.splitSentences(text);
    }

    public List<int[]> chunkIds(int[] ids, int maxLen) {
        return Chunking.chunkIds(ids, maxLen);
    }
}
