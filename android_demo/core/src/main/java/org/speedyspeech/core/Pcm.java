package org.speedyspeech.core;

/**
 * Float audio in [-1, 1] to 16-bit PCM exactly as the Python runtime writes it
 * (speedyspeech_tf.runtime.wav.float_to_pcm16): clip to [-1, 1], multiply by 32767 in float32, round to the nearest
 * integer (halves to even). Non-finite samples are an error (they mean a broken model).
 */
public final class Pcm {
    private Pcm() {}

    public static final float FULL_SCALE = 32767f;

    public static short toPcm16(float x) {
        if (Float.isNaN(x) || Float.isInfinite(x)) {
            throw new IllegalArgumentException("audio sample is " + x + " (NaN or infinite): the vocoder output is broken");
        }
        float clipped = Math.max(-1f, Math.min(1f, x));
        return (short) Math.rint(clipped * FULL_SCALE); // float32 product, as numpy computes it
    }

    /** Convert {@code n} samples of {@code src} from {@code offset} into {@code dst} (from 0). */
    public static void toPcm16(float[] src, int offset, int n, short[] dst) {
        for (int i = 0; i < n; i++) {
            float x = src[offset + i];
            if (Float.isNaN(x) || Float.isInfinite(x)) {
                throw new IllegalArgumentException("audio sample " + (offset + i) + " is " + x
                        + " (NaN or infinite): the vocoder output is broken");
            }
            dst[i] = toPcm16(x);
        }
    }

    public static short[] toPcm16(float[] src) {
        short[] out = new short[src.length];
        toPcm16(src, 0, src.length, out);
        return out;
    }

    /** int16 -> float with the same full scale. */
    public static float toFloat(short s) {
        return s / FULL_SCALE;
    }
}
