package org.speedyspeech.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.Test;

/** Float -> PCM, WAV files, window planning and stitching. */
public class AudioTest {

    @Test
    public void pcmRoundsClipsAndRefusesNaN() {
        assertEquals(0, Pcm.toPcm16(0f));
        assertEquals(16384, Pcm.toPcm16(0.5f));        // 16383.5: halves to even
        assertEquals(32767, Pcm.toPcm16(1f));
        assertEquals(-32767, Pcm.toPcm16(-1f));        // full scale 32767, symmetric
        assertEquals(32767, Pcm.toPcm16(3f));
        assertEquals(-32767, Pcm.toPcm16(-3f));
        assertEquals(2, Pcm.toPcm16(2.5f / 32767));    // halves to even
        assertEquals(4, Pcm.toPcm16(3.5f / 32767));
        for (int s = -32767; s <= 32767; s++) {
            assertEquals("int16 / 32767 round-trips", s, Pcm.toPcm16(Pcm.toFloat((short) s)));
        }
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            try {
                Pcm.toPcm16(new float[] {0f, 0.1f, bad});
                fail("expected an error for " + bad);
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("sample 2"));
            }
        }
    }

    @Test
    public void streamingWavWriterPatchesTheSizes() throws Exception {
        File f = File.createTempFile("speedyspeech", ".wav");
        try {
            short[] pcm = new short[10000];
            for (int i = 0; i < pcm.length; i++) pcm[i] = (short) (i * 7);
            try (WavWriter w = new WavWriter(f, 22050)) {
                w.write(pcm, 0, 6000);
                w.write(pcm, 6000, 4000);
            }
            byte[] bytes = Files.readAllBytes(f.toPath());
            assertArrayEquals("same bytes as the one-shot writer", WavWriter.toBytes(pcm, 22050), bytes);
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(36 + 20000, b.getInt(4));
            assertEquals(22050, b.getInt(24));
            assertEquals(20000, b.getInt(40));
            assertEquals(pcm[1234], b.getShort(44 + 2 * 1234));
        } finally {
            f.delete();
        }
    }

    /** A stand-in for MelGAN: every output frame depends on its input frame and its neighbours (receptive field 2 frames), zero-padded at the window's edges like the generator's convolutions. */
    static final class FakeVocoder implements Vocoder {
        final int nMels, hop;
        int calls;
        final List<String> log;

        FakeVocoder(int nMels, int hop, List<String> log) {
            this.nMels = nMels;
            this.hop = hop;
            this.log = log;
        }

        static float[] synth(float[] mel, int frames, int nMels, int hop) {
            float[] out = new float[frames * hop];
            for (int t = 0; t < frames; t++) {
                float v = 0;
                for (int d = -2; d <= 2; d++) {
                    int u = t + d;
                    if (u < 0 || u >= frames) continue;
                    for (int m = 0; m < nMels; m++) v += mel[u * nMels + m] * (0.01f * (d + 3)) * (m + 1);
                }
                for (int k = 0; k < hop; k++) out[t * hop + k] = (float) Math.tanh(v * 0.001f * (k + 1));
            }
            return out;
        }

        @Override
        public float[] run(float[] mel) {
            calls++;
            if (log != null) log.add("vocoder");
            return synth(mel, mel.length / nMels, nMels, hop);
        }
    }

    private static float[] randomMel(int frames, int nMels, long seed) {
        Random rng = new Random(seed);
        float[] mel = new float[frames * nMels];
        for (int i = 0; i < mel.length; i++) mel[i] = (float) (rng.nextGaussian() * 2 - 5);
        return mel;
    }

    @Test
    public void windowedSynthesisEqualsWholeUtterance() throws Exception {
        int nMels = 3, hop = 4, window = 10, context = 2;
        for (int frames : new int[] {14, 15, 23, 40, 97}) {
            float[] mel = randomMel(frames, nMels, frames);
            float[] whole = FakeVocoder.synth(mel, frames, nMels, hop);
            float[] stitched = new float[frames * hop];
            int[] pos = {0};
            FakeVocoder voc = new FakeVocoder(nMels, hop, null);
            int calls = WindowPlanner.stitch(voc, mel, frames, nMels, window, context, hop, -11.5f, 0, (a, off, n) -> {
                System.arraycopy(a, off, stitched, pos[0], n);
                pos[0] += n;
            }, null);
            assertEquals(frames * hop, pos[0]);
            assertEquals(WindowPlanner.plan(frames, window, context).size(), calls);
            assertArrayEquals("T = " + frames, whole, stitched, 0f);
        }
    }

    /** With appended silence frames (the runtime appends 5): the audio of mel + silence in one call, trimmed to T frames. */
    @Test
    public void appendedSilenceFramesAreVocodedAndTrimmed() throws Exception {
        int nMels = 3, hop = 4, window = 10, context = 2, pad = 5;
        for (int frames : new int[] {1, 9, 10, 20, 37, 97}) {
            float[] mel = randomMel(frames, nMels, 100 + frames);
            int total = Math.max(frames + pad, window + 2 * context); // a short mel is one window padded with silence
            float[] padded = new float[total * nMels];
            java.util.Arrays.fill(padded, -11.5f);
            System.arraycopy(mel, 0, padded, 0, mel.length);
            float[] expected = java.util.Arrays.copyOf(FakeVocoder.synth(padded, total, nMels, hop), frames * hop);
            float[] got = new float[frames * hop];
            int[] pos = {0};
            FakeVocoder voc = new FakeVocoder(nMels, hop, null);
            WindowPlanner.stitch(voc, mel, frames, nMels, window, context, hop, -11.5f, pad, (a, off, n) -> {
                System.arraycopy(a, off, got, pos[0], n);
                pos[0] += n;
            }, null);
            assertEquals("exactly T * hop samples", frames * hop, pos[0]);
            assertArrayEquals("T = " + frames, expected, got, 0f);
            assertTrue("no call only for the appended frames", voc.calls <= (frames + window - 1) / window + 1);
        }
    }

    @Test
    public void shortMelIsPaddedWithSilenceToOneWindow() throws Exception {
        int nMels = 2, hop = 3, window = 8, context = 2, frames = 5;
        float[] mel = randomMel(frames, nMels, 9);
        float[] padded = new float[(window + 2 * context) * nMels];
        java.util.Arrays.fill(padded, -11.5f);
        System.arraycopy(mel, 0, padded, 0, mel.length);
        float[] expected = java.util.Arrays.copyOf(FakeVocoder.synth(padded, window + 2 * context, nMels, hop), frames * hop);
        List<Float> got = new ArrayList<>();
        WindowPlanner.stitch(new FakeVocoder(nMels, hop, null), mel, frames, nMels, window, context, hop, -11.5f, 0,
                (a, off, n) -> { for (int i = 0; i < n; i++) got.add(a[off + i]); }, null);
        float[] g = new float[got.size()];
        for (int i = 0; i < g.length; i++) g[i] = got.get(i);
        assertArrayEquals(expected, g, 0f);
    }

    @Test
    public void windowPlanTilesTheUtterance() {
        Random rng = new Random(5);
        for (int k = 0; k < 2000; k++) {
            int frames = 1 + rng.nextInt(600), window = 1 + rng.nextInt(130), context = rng.nextInt(12);
            List<WindowPlanner.Span> spans = WindowPlanner.plan(frames, window, context);
            int next = 0;
            for (WindowPlanner.Span s : spans) {
                assertEquals(next, s.outStart);
                assertEquals(Math.min(window + 2 * context, frames), s.inEnd - s.inStart);
                assertTrue(s.inStart >= 0 && s.inEnd <= frames && s.inStart <= s.outStart && s.outEnd <= s.inEnd);
                boolean leftOk = s.outStart - s.inStart >= context || s.inStart == 0;
                boolean rightOk = s.inEnd - s.outEnd >= context || s.inEnd == frames;
                assertTrue("context on both sides or an utterance edge", leftOk && rightOk);
                next = s.outEnd;
            }
            assertEquals(frames, next);
        }
        try {
            WindowPlanner.plan(0, 10, 2);
            fail("expected an error for 0 frames");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("n_frames"));
        }
    }

    @Test
    public void vocoderReturningTheWrongLengthIsAnError() throws Exception {
        try {
            WindowPlanner.stitch(mel -> new float[7], new float[30], 10, 3, 8, 1, 4, -11.5f, 0, (a, o, n) -> { }, null);
            fail("expected an error");
        } catch (IllegalStateException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("expected 40"));
        }
    }
}
