package org.speedyspeech.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** The text -> audio pipeline with fake models: chunking to N slots, overflow re-splitting, streaming, timing. */
public class SynthesizerTest {
    static final int N_MELS = 4, HOP = 8;

    /** A manual clock the fakes advance: the student costs 10 ms a call, the vocoder 5 ms, the sink 1 s. */
    static final class Clock {
        long nanos;
    }

    /** Fake student: round(3 / speed) frames per text id (at least 1); mel values encode the id of each frame. */
    static final class FakeStudent implements AcousticModel {
        final ModelConfig cfg;
        final Clock clock;
        final List<String> log;
        final List<int[]> inputs = new ArrayList<>();
        final List<Integer> lengths = new ArrayList<>();

        FakeStudent(ModelConfig cfg, Clock clock, List<String> log) {
            this.cfg = cfg;
            this.clock = clock;
            this.log = log;
        }

        @Override
        public Output run(int[] ids, int length, float speed) {
            clock.nanos += 10_000_000L;
            log.add("student " + length);
            assertEquals(cfg.maxPhonemes, ids.length);
            for (int i = length; i < ids.length; i++) assertEquals("padding after the text", cfg.padId, ids[i]);
            inputs.add(Arrays.copyOf(ids, length));
            lengths.add(length);
            int per = Math.max(1, Math.round(3 / speed));
            int total = per * length;
            int frames = Math.min(total, cfg.maxFrames);
            float[] mel = new float[cfg.maxFrames * cfg.nMels];
            Arrays.fill(mel, cfg.silenceLogMel);
            for (int f = 0; f < frames; f++) for (int m = 0; m < cfg.nMels; m++) mel[f * cfg.nMels + m] = ids[f / per] * 0.01f;
            return new Output(mel, frames, total > cfg.maxFrames);
        }
    }

    static ModelConfig config(int maxPhonemes, int maxFrames, int window, int context) {
        return new ModelConfig("float32", "serving_default", "student.tflite", "vocoder.tflite", maxPhonemes, maxFrames, 2,
                window, context, HOP, 16000, N_MELS, -11.5129f, 0);
    }

    static FrontEnd frontEnd() {
        Map<String, String> words = new HashMap<>();
        words.put("hello", "HH AH0 L OW1");
        words.put("world", "W ER1 L D");
        words.put("a", "AH0");
        words.put("long", "L AO1 NG");
        words.put("sentence", "S EH1 N T AH0 N S");
        words.put("with", "W IH1 DH");
        words.put("many", "M EH1 N IY0");
        words.put("words", "W ER1 D Z");
        return new FrontEnd(new Phonemizer(Lexicon.of(words), Homographs.empty(), null), false);
    }

    static final class Recorder implements AudioSink {
        final Clock clock;
        final List<String> log;
        final List<Short> samples = new ArrayList<>();

        Recorder(Clock clock, List<String> log) {
            this.clock = clock;
            this.log = log;
        }

        @Override
        public void write(short[] pcm, int offset, int n) {
            clock.nanos += 1_000_000_000L; // playback back-pressure: not compute time
            log.add("sink " + n);
            for (int i = 0; i < n; i++) samples.add(pcm[offset + i]);
        }
    }

    private static Vocoder timedVocoder(Clock clock, List<String> log) {
        AudioTest.FakeVocoder v = new AudioTest.FakeVocoder(N_MELS, HOP, log);
        return mel -> {
            clock.nanos += 5_000_000L;
            return v.run(mel);
        };
    }

    @Test
    public void streamsWindowByWindowAndTimesOnlyTheComputation() throws Exception {
        ModelConfig cfg = config(64, 400, 16, 3);
        Clock clock = new Clock();
        List<String> log = new ArrayList<>();
        FakeStudent student = new FakeStudent(cfg, clock, log);
        Recorder sink = new Recorder(clock, log);
        Synthesizer syn = new Synthesizer(frontEnd(), student, timedVocoder(clock, log), cfg, () -> clock.nanos);
        Synthesizer.Stats st = syn.synthesize("Hello world. A long sentence with many words!", 1.0f, sink, null);

        assertEquals(2, st.sentences);
        assertEquals(2, st.studentCalls);
        int frames = 0;
        for (int len : student.lengths) frames += 3 * len;
        assertEquals("every valid frame is vocoded once", frames * HOP, st.samples);
        assertEquals(st.samples, sink.samples.size());
        // streaming: audio goes to the sink right after each vocoder call, before the next one
        int firstSink = log.indexOf("sink " + 16 * HOP);
        assertEquals("vocoder", log.get(firstSink - 1));
        assertTrue(log.lastIndexOf("vocoder") > firstSink);
        assertEquals(st.vocoderCalls, log.stream().filter("vocoder"::equals).count());
        // timing: 10 ms per student call, 5 ms per vocoder call, the sink's 1 s per write is not counted
        assertEquals(0.010 * st.studentCalls, st.studentSeconds, 1e-9);
        assertEquals(0.005 * st.vocoderCalls, st.vocoderSeconds, 1e-9);
        assertEquals(st.studentSeconds + st.vocoderSeconds + st.frontEndSeconds, st.computeSeconds, 1e-12);
        assertEquals(st.samples / 16000.0, st.audioSeconds(), 1e-12);
        assertEquals(st.computeSeconds / st.audioSeconds(), st.realTimeFactor(), 1e-12);
        assertEquals("first audio after one student call and one vocoder call", 0.015, st.firstAudioSeconds, 1e-9);
    }

    @Test
    public void longTextIsChunkedToTheStudentsSlots() throws Exception {
        ModelConfig cfg = config(12, 1000, 32, 2); // 10 text ids per call
        Clock clock = new Clock();
        List<String> log = new ArrayList<>();
        FakeStudent student = new FakeStudent(cfg, clock, log);
        Synthesizer.Stats st = new Synthesizer(frontEnd(), student, timedVocoder(clock, log), cfg, () -> clock.nanos)
                .synthesize("A long sentence with many words, hello world.", 1.0f, new Recorder(clock, log), null);
        List<Integer> all = new ArrayList<>();
        for (int[] in : student.inputs) {
            assertTrue(in.length <= cfg.maxTextSymbols());
            if (!all.isEmpty()) all.add(Symbols.SPACE_ID);
            for (int x : in) all.add(x);
        }
        int[] expected = frontEnd().textToIds("A long sentence with many words, hello world.");
        List<Integer> exp = new ArrayList<>();
        for (int x : expected) exp.add(x);
        assertEquals("the chunks joined with spaces are the sentence", exp, all);
        assertTrue(st.chunks > 3);
        assertEquals(0, st.overflowSplits);
    }

    @Test
    public void overflowSplitsTheChunkAndSynthesisesAgain() throws Exception {
        ModelConfig cfg = config(64, 40, 16, 3); // 40 frames: 13 ids at 3 frames each
        Clock clock = new Clock();
        List<String> log = new ArrayList<>();
        FakeStudent student = new FakeStudent(cfg, clock, log);
        Recorder sink = new Recorder(clock, log);
        String text = "Hello world, a long sentence with many words.";
        Synthesizer.Stats st = new Synthesizer(frontEnd(), student, timedVocoder(clock, log), cfg, () -> clock.nanos)
                .synthesize(text, 1.0f, sink, null);
        assertTrue(st.overflowSplits >= 1);
        long frames = 0;
        for (int i = 0; i < student.lengths.size(); i++) {
            int len = student.lengths.get(i);
            if (3 * len <= 40) frames += 3 * len; // the calls that overflowed produce no audio
        }
        assertEquals(frames * HOP, st.samples);
        int ids = frontEnd().textToIds(text).length;
        assertTrue("nothing is lost: all ids spoken except the spaces at cuts", frames >= 3 * (ids - 2 * st.overflowSplits - 2));
        // slower speech needs more frames: more splits
        Synthesizer.Stats slow = new Synthesizer(frontEnd(), new FakeStudent(cfg, clock, log), timedVocoder(clock, log), cfg,
                () -> clock.nanos).synthesize(text, 0.5f, new Recorder(clock, log), null);
        assertTrue(slow.overflowSplits > st.overflowSplits);
    }

    @Test
    public void aSymbolLongerThanTheBufferIsAnErrorAskingForAHigherSpeed() throws Exception {
        ModelConfig cfg = config(8, 2, 4, 1); // 2 frames; 3 frames per id always overflows
        Clock clock = new Clock();
        List<String> log = new ArrayList<>();
        try {
            new Synthesizer(frontEnd(), new FakeStudent(cfg, clock, log), timedVocoder(clock, log), cfg, () -> clock.nanos)
                    .synthesize("a", 1.0f, new Recorder(clock, log), null);
            fail("expected an error");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("use a higher speed"));
        }
    }

    @Test
    public void skipsSentencesWithNothingToSayAndRejectsEmptyText() throws Exception {
        ModelConfig cfg = config(64, 400, 16, 3);
        Clock clock = new Clock();
        List<String> log = new ArrayList<>();
        Synthesizer syn = new Synthesizer(frontEnd(), new FakeStudent(cfg, clock, log), timedVocoder(clock, log), cfg,
                () -> clock.nanos);
        Synthesizer.Stats st = syn.synthesize("... Hello! ?!", 1.0f, new Recorder(clock, log), null);
        assertEquals(1, st.sentences);
        assertEquals(2, st.skippedSentences);
        for (String bad : new String[] {"", "   ", "...", "\u6f22\u5b57"}) {
            try {
                syn.synthesize(bad, 1.0f, new Recorder(clock, log), null);
                fail("expected an error for " + Json.quote(bad));
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("nothing pronounceable")
                        || e.getMessage().equals("empty text: nothing to synthesise")); // Python's words for blank text
            }
        }
        for (float speed : new float[] {0f, 0.05f, 11f, Float.NaN}) {
            try {
                syn.synthesize("hello", speed, new Recorder(clock, log), null);
                fail("expected an error for speed " + speed);
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("speed"));
            }
        }
    }

    @Test
    public void cancellationStopsBetweenWindows() throws Exception {
        ModelConfig cfg = config(64, 400, 4, 1);
        Clock clock = new Clock();
        List<String> log = new ArrayList<>();
        Recorder sink = new Recorder(clock, log);
        Synthesizer.Stats st = new Synthesizer(frontEnd(), new FakeStudent(cfg, clock, log), timedVocoder(clock, log), cfg,
                () -> clock.nanos).synthesize("Hello world. A long sentence.", 1.0f, sink, () -> sink.samples.size() >= 3 * 4 * HOP);
        assertTrue(st.cancelled);
        assertEquals(3, st.vocoderCalls);
        assertEquals(3 * 4 * HOP, st.samples);
    }

    @Test
    public void brokenModelOutputsAreReportedClearly() throws Exception {
        ModelConfig cfg = config(64, 400, 16, 3);
        AcousticModel wrongShape = (ids, len, speed) -> new AcousticModel.Output(new float[5], 1, false);
        try {
            new Synthesizer(frontEnd(), wrongShape, new AudioTest.FakeVocoder(N_MELS, HOP, null), cfg).synthesize("hello", 1f, (p, o, n) -> { }, null);
            fail("expected an error");
        } catch (IllegalStateException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("expected 400 x 4"));
        }
        AcousticModel nan = (ids, len, speed) -> new AcousticModel.Output(new float[400 * N_MELS], 3, false);
        Vocoder nanVocoder = mel -> {
            float[] a = new float[mel.length / N_MELS * HOP];
            a[1] = Float.NaN;
            return a;
        };
        try {
            new Synthesizer(frontEnd(), nan, nanVocoder, cfg).synthesize("hello", 1f, (p, o, n) -> { }, null);
            fail("expected an error");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("NaN"));
        }
    }
}
