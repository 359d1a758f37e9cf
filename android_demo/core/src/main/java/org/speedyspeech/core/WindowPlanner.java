package org.speedyspeech.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Port of {@code speedyspeech_tf.melgan_windows.plan_windows}: windows of {@code window} output frames, each computed
 * from window + 2 * context input frames, so that a fixed-shape vocoder gives exactly the audio of the whole
 * utterance (the context covers the generator's receptive field; windows near an edge are shifted to end at the
 * edge). {@link #stitch} runs a vocoder over a mel window by window and hands each window's audio on as soon as it
 * is computed (streaming).
 */
public final class WindowPlanner {
    private WindowPlanner() {}

    /** One vocoder call: input frames [inStart, inEnd) give output frames [outStart, outEnd). */
    public static final class Span {
        public final int inStart, inEnd, outStart, outEnd;

        public Span(int inStart, int inEnd, int outStart, int outEnd) {
            this.inStart = inStart;
            this.inEnd = inEnd;
            this.outStart = outStart;
            this.outEnd = outEnd;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Span)) return false;
            Span s = (Span) o;
            return s.inStart == inStart && s.inEnd == inEnd && s.outStart == outStart && s.outEnd == outEnd;
        }

        @Override
        public int hashCode() {
            return ((inStart * 31 + inEnd) * 31 + outStart) * 31 + outEnd;
        }

        @Override
        public String toString() {
            return "(" + inStart + ", " + inEnd + ", " + outStart + ", " + outEnd + ")";
        }
    }

    /**
     * Every span has inEnd - inStart == min(window + 2 * context, nFrames); the output spans tile [0, nFrames) in
     * order (the last may be shorter than window).
     */
    public static List<Span> plan(int nFrames, int window, int context) {
        if (nFrames < 1) throw new IllegalArgumentException("n_frames must be an integer >= 1, got " + nFrames);
        if (window < 1) throw new IllegalArgumentException("window must be an integer >= 1, got " + window);
        if (context < 0) throw new IllegalArgumentException("context must be an integer >= 0, got " + context);
        int length = window + 2 * context;
        List<Span> spans = new ArrayList<>();
        if (nFrames <= length) {
            spans.add(new Span(0, nFrames, 0, nFrames));
            return spans;
        }
        for (int start = 0; start < nFrames; start += window) {
            int end = Math.min(start + window, nFrames);
            int inStart = Math.min(Math.max(start - context, 0), nFrames - length);
            spans.add(new Span(inStart, inStart + length, start, end));
        }
        return spans;
    }

    /** Receives the audio of one window: {@code n} samples of {@code audio} from {@code offset}. */
    public interface WindowConsumer {
        void accept(float[] audio, int offset, int n) throws Exception;
    }

    /**
     * Vocode {@code frames} frames of a frame-major mel (nMels values per frame) window by window, exactly as the
     * Python runtime does (speedyspeech_tf.runtime.synthesizer.Synthesizer.iter_vocode): {@code padFrames}
     * silence frames are appended (the reference appends 5 before MelGAN), the windows are planned over
     * frames + padFrames, a window shorter than W + 2C (a short utterance) is padded with silence at the end,
     * windows whose output lies wholly in the appended frames are not run, and the appended frames' audio is
     * trimmed, so the consumer receives exactly frames * hop samples. Returns the number of vocoder calls.
     */
    public static int stitch(Vocoder vocoder, float[] mel, int frames, int nMels, int window, int context, int hop,
                             float silence, int padFrames, WindowConsumer out,
                             java.util.function.BooleanSupplier cancelled) throws Exception {
        if (frames < 0 || mel.length < (long) frames * nMels) {
            throw new IllegalArgumentException("mel has " + mel.length + " values, fewer than " + frames + " frames x " + nMels);
        }
        if (padFrames < 0) throw new IllegalArgumentException("padFrames must be >= 0, got " + padFrames);
        if (frames == 0) return 0;
        int length = window + 2 * context;
        int total = frames + padFrames;
        float[] buf = new float[length * nMels];
        int calls = 0;
        for (Span span : plan(total, window, context)) {
            if (span.outStart >= frames) break; // only the appended frames' audio, which is trimmed anyway
            if (cancelled != null && cancelled.getAsBoolean()) break;
            int real = Math.max(0, Math.min(span.inEnd, frames) - span.inStart);
            System.arraycopy(mel, span.inStart * nMels, buf, 0, real * nMels);
            java.util.Arrays.fill(buf, real * nMels, buf.length, silence);
            float[] audio = vocoder.run(buf);
            calls++;
            if (audio == null || audio.length != length * hop) {
                throw new IllegalStateException("vocoder returned " + (audio == null ? "null" : audio.length + " samples")
                        + " for " + length + " frames, expected " + (length * hop) + " (hop " + hop + ")");
            }
            int a = (span.outStart - span.inStart) * hop;
            int b = (Math.min(span.outEnd, frames) - span.inStart) * hop;
            out.accept(audio, a, b - a);
        }
        return calls;
    }
}
