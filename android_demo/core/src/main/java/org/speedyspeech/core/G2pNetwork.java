package org.speedyspeech.core;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * g2p_en's out-of-vocabulary network (a GRU encoder-decoder over letters, greedy decoding of at most 20
 * phonemes), the same computation as {@code speedyspeech_tf.text._OOVModel}, so that words missing from the
 * dictionary get the pronunciation the model was trained with. Weights: the asset {@code g2p_en_oov.bin} written
 * by {@code speedyspeech_tf.android_assets} from g2p_en's own {@code checkpoint20.npz} (Apache-2.0).
 *
 * <p>Asset format: the ASCII line {@code #speedyspeech-g2p 1\n}, then for each array: int32 name length, the
 * name (ASCII), int32 rank, int32 dims, float32 data (row-major); all little-endian. Dot products are accumulated in
 * double and rounded to float32: Python (numpy float32 BLAS) and this port agree on every out-of-vocabulary
 * word we measured (see android_demo/README.md); an exact tie between two phoneme scores could still differ.
 *
 * <p>Like the Python model it can return an empty list (the network ends at once); the phonemizer then skips the
 * word exactly as Python does. Thread-safe (no mutable state).
 */
public final class G2pNetwork implements OovPronouncer {
    public static final String HEADER = "#speedyspeech-g2p 1\n";
    static final String[] NAMES = {"enc_emb", "enc_w_ih", "enc_w_hh", "enc_b_ih", "enc_b_hh", "dec_emb", "dec_w_ih",
        "dec_w_hh", "dec_b_ih", "dec_b_hh", "fc_w", "fc_b"};
    // Graphemes: <pad> <unk> </s> a..z; output symbols: <pad> <unk> <s> </s> then the 70 phonemes.
    private static final int UNK = 1;
    private static final int END_GRAPHEME = 2;
    private static final int START = 2;
    private static final int END = 3;
    private static final int MAX_LEN = 20;

    private final float[][] encEmb, encWih, encWhh, decEmb, decWih, decWhh, fcW;
    private final float[] encBih, encBhh, decBih, decBhh, fcB;
    private final int hidden;
    private final String[] outSymbols;

    private G2pNetwork(float[][][] m, float[][] v) {
        encEmb = m[0]; encWih = m[1]; encWhh = m[2]; decEmb = m[5]; decWih = m[6]; decWhh = m[7]; fcW = m[10];
        encBih = v[3]; encBhh = v[4]; decBih = v[8]; decBhh = v[9]; fcB = v[11];
        hidden = encWhh[0].length;
        outSymbols = new String[fcW.length];
        outSymbols[0] = "<pad>";
        outSymbols[1] = "<unk>";
        outSymbols[2] = "<s>";
        outSymbols[3] = "</s>";
        List<String> phonemes = Symbols.SYMBOLS.subList(Symbols.UNK_ID + 1, Symbols.SPACE_ID);
        if (fcW.length != 4 + phonemes.size()) {
            throw new IllegalArgumentException("g2p network: " + fcW.length + " output symbols, expected " + (4 + phonemes.size()));
        }
        for (int i = 0; i < phonemes.size(); i++) outSymbols[4 + i] = phonemes.get(i);
        if (encWih.length != 3 * hidden || decWhh.length != 3 * hidden || encEmb[0].length != encWih[0].length) {
            throw new IllegalArgumentException("g2p network: inconsistent GRU shapes");
        }
    }

    /** Read the weights asset; {@code name} appears in errors. The stream is closed. */
    public static G2pNetwork load(InputStream stream, String name) throws IOException {
        byte[] all;
        try (InputStream in = stream) {
            ByteArrayOutputStream bos = new ByteArrayOutputStream(1 << 22);
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) bos.write(buf, 0, n);
            all = bos.toByteArray();
        }
        byte[] header = HEADER.getBytes(StandardCharsets.US_ASCII);
        if (all.length < header.length || !Arrays.equals(Arrays.copyOf(all, header.length), header)) {
            throw new IOException(name + ": not a g2p weights asset (expected it to start with '" + HEADER.trim() + "')");
        }
        ByteBuffer b = ByteBuffer.wrap(all, header.length, all.length - header.length).order(ByteOrder.LITTLE_ENDIAN);
        float[][][] matrices = new float[NAMES.length][][];
        float[][] vectors = new float[NAMES.length][];
        try {
            for (int k = 0; k < NAMES.length; k++) {
                int len = b.getInt();
                byte[] nb = new byte[len];
                b.get(nb);
                String got = new String(nb, StandardCharsets.US_ASCII);
                if (!got.equals(NAMES[k])) throw new IOException(name + ": array " + k + " is '" + got + "', expected '" + NAMES[k] + "'");
                int rank = b.getInt();
                if (rank == 1) {
                    float[] v = new float[b.getInt()];
                    for (int i = 0; i < v.length; i++) v[i] = b.getFloat();
                    vectors[k] = v;
                } else if (rank == 2) {
                    int rows = b.getInt();
                    int cols = b.getInt();
                    float[][] m = new float[rows][cols];
                    for (float[] row : m) for (int i = 0; i < cols; i++) row[i] = b.getFloat();
                    matrices[k] = m;
                } else {
                    throw new IOException(name + ": array '" + got + "' has rank " + rank);
                }
            }
        } catch (java.nio.BufferUnderflowException e) {
            throw new IOException(name + ": truncated g2p weights asset", e);
        }
        if (b.hasRemaining()) throw new IOException(name + ": " + b.remaining() + " unexpected bytes after the weights");
        try {
            return new G2pNetwork(matrices, vectors);
        } catch (IllegalArgumentException | NullPointerException | ArrayIndexOutOfBoundsException e) {
            throw new IOException(name + ": bad g2p weights (" + e + ")", e);
        }
    }

    private static float sigmoid(double x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    /** One PyTorch GRU cell step (gates r, z, n), float32 results. */
    private float[] cell(float[] x, float[] h, float[][] wIh, float[][] wHh, float[] bIh, float[] bHh) {
        int hs = hidden;
        float[] gi = new float[3 * hs];
        float[] gh = new float[3 * hs];
        for (int j = 0; j < 3 * hs; j++) {
            float[] wi = wIh[j];
            float[] wh = wHh[j];
            double si = 0;
            double sh = 0;
            for (int k = 0; k < x.length; k++) si += (double) x[k] * wi[k];
            for (int k = 0; k < hs; k++) sh += (double) h[k] * wh[k];
            gi[j] = (float) (si + bIh[j]);
            gh[j] = (float) (sh + bHh[j]);
        }
        float[] out = new float[hs];
        for (int j = 0; j < hs; j++) {
            float r = sigmoid((double) gi[j] + gh[j]);
            float z = sigmoid((double) gi[hs + j] + gh[hs + j]);
            float n = (float) Math.tanh((double) gi[2 * hs + j] + (double) (r * gh[2 * hs + j]));
            out[j] = (1.0f - z) * n + z * h[j];
        }
        return out;
    }

    @Override
    public List<String> pronounce(String letters) {
        float[] h = new float[hidden];
        for (int i = 0; i <= letters.length(); i++) {
            int g;
            if (i == letters.length()) {
                g = END_GRAPHEME;
            } else {
                char c = letters.charAt(i);
                g = c >= 'a' && c <= 'z' ? 3 + (c - 'a') : UNK;
            }
            h = cell(encEmb[g], h, encWih, encWhh, encBih, encBhh);
        }
        List<String> out = new ArrayList<>();
        int prev = START;
        for (int step = 0; step < MAX_LEN; step++) {
            h = cell(decEmb[prev], h, decWih, decWhh, decBih, decBhh);
            int best = 0;
            float bestScore = Float.NEGATIVE_INFINITY;
            for (int o = 0; o < fcW.length; o++) {
                double s = 0;
                float[] w = fcW[o];
                for (int k = 0; k < hidden; k++) s += (double) h[k] * w[k];
                float score = (float) (s + fcB[o]);
                if (score > bestScore) { // first maximum wins, as numpy's argmax
                    bestScore = score;
                    best = o;
                }
            }
            prev = best;
            if (prev == END) break;
            String sym = outSymbols[prev];
            if (Symbols.isPhoneme(sym)) out.add(sym); // <pad>/<unk>/<s> never reach the symbol table
        }
        return Collections.unmodifiableList(out);
    }
}
