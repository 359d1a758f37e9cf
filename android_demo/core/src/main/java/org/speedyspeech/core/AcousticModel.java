package org.speedyspeech.core;

/**
 * The exported student (DIR/student.tflite): phoneme_ids int32 [1, N], length int32 [1], speed float32 [1]
 * -> mel float32 [1, F, n_mels] (natural-log mel, frames past {@code frames} hold the silence value),
 * frames int32 [1], overflow int32 [1]. The app implements it with TFLite; tests use fakes.
 * Implementations need not be thread-safe: the {@link Synthesizer} calls them from one thread.
 */
public interface AcousticModel {
    /**
     * @param phonemeIds N ids: the text's ids, then padding ids (0); N is one of {@link ModelConfig#buckets}'s
     *                   maxPhonemes (the student file of that size must run it; the mel then has that size's F)
     * @param length     number of text ids (before the padding)
     * @param speed      1.0 as trained, 2.0 twice as fast
     */
    Output run(int[] phonemeIds, int length, float speed);

    /** The student's outputs for one call. */
    final class Output {
        /** F * n_mels values, frame-major: mel[f * nMels + m]. */
        public final float[] mel;
        /** Valid frames (<= F). */
        public final int frames;
        /** The sentence needed more than F frames (frames == F); the synthesizer splits it and tries again. */
        public final boolean overflow;

        /** Frames per input slot (the student's durations output; null for exports made before timestamps). */
        public final int[] durations;

        public Output(float[] mel, int frames, boolean overflow) {
            this(mel, frames, overflow, null);
        }

        public Output(float[] mel, int frames, boolean overflow, int[] durations) {
            this.mel = mel;
            this.frames = frames;
            this.overflow = overflow;
            this.durations = durations;
        }
    }
}
