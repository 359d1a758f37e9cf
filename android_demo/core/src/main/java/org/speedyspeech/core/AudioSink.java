package org.speedyspeech.core;

/** Receives synthesised audio as it is produced (one vocoder window at a time), e.g. an AudioTrack or a WAV file. */
public interface AudioSink {
    /** {@code n} samples from {@code offset}; 16-bit PCM at the model's sample rate. */
    void write(short[] pcm, int offset, int n) throws Exception;
}
