package org.speedyspeech.core;

/**
 * The exported MelGAN vocoder (DIR/vocoder.tflite): mel float32 [1, W + 2C, n_mels] natural-log mel -> audio
 * float32 [1, (W + 2C) * hop] in [-1, 1], the audio of the whole input window. The app implements it with TFLite;
 * tests use fakes. Implementations need not be thread-safe.
 */
public interface Vocoder {
    /** @param mel (W + 2C) * n_mels values, frame-major; returns (W + 2C) * hop samples */
    float[] run(float[] mel);
}
