package org.speedyspeech.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * The synthesizer with typed phonemes, a user lexicon, SSML, silences, timestamps and student size buckets, on
 * fake models whose output (like the exported student's) does not depend on the student size it runs on.
 */
public class InputControlSynthesizerTest {
    static final int N_MELS = 4, HOP = 8, RATE = 16000;

    /** Fake student: 2 + (id % 3) frames per id at speed 1 (scaled by 1/speed), durations output; any size N. */
    static final class BucketStudent implements AcousticModel {
        final Map<Integer, Integer> framesOf = new HashMap<>(); // N -> F
        final List<Integer> sizes = new ArrayList<>();
        final List<int[]> inputs = new ArrayList<>();

        BucketStudent(ModelConfig cfg) {
            for (ModelConfig.Bucket b : cfg.buckets) framesOf.put(b.maxPhonemes, b.maxFrames);
        }

        @Override
        public Output run(int[] ids, int length, float speed) {
            Integer f = framesOf.get(ids.length);
            if (f == null) throw new AssertionError("no student of size " + ids.length);
            sizes.add(ids.length);
            inputs.add(Arrays.copyOf(ids, length));
            int[] durations = new int[ids.length];
            int total = 0;
            for (int i = 0; i < length; i++) {
                durations[i] = Math.max(1, Math.round((2 + ids[i] % 3) / speed));
                total += durations[i];
            }
            int frames = Math.min(total, f);
            float[] mel = new float[f * N_MELS];
            Arrays.fill(mel, -11.5129f);
            int t = 0;
            for (int i = 0; i < length && t < frames; i++) {
                for (int k = 0; k < durations[i] && t < frames; k++, t++) {
                    for (int m = 0; m < N_MELS; m++) mel[t * N_MELS + m] = ids[i] * 0.01f + m * 0.001f + k * 0.002f;
                }
            }
            return new Output(mel, frames, total > f, durations);
        }
    }

    static ModelConfig config(List<ModelConfig.Bucket> smaller) {
        return new ModelConfig("float32", "serving_default", "student.tflite", "vocoder.tflite", 64, 400, 2, 16, 3, HOP,
                RATE, N_MELS, -11.5129f, 0, 0.1f, 10f, true, smaller);
    }

    static List<ModelConfig.Bucket> buckets() {
        return Arrays.asList(new ModelConfig.Bucket("student-8.tflite", 8, 24), new ModelConfig.Bucket("student-16.tflite", 16, 60));
    }

    static final class Pcm16 implements AudioSink {
        final List<Short> samples = new ArrayList<>();

        @Override
        public void write(short[] pcm, int offset, int n) {
            for (int i = 0; i < n; i++) samples.add(pcm[offset + i]);
        }
    }

    static Synthesizer synth(ModelConfig cfg, BucketStudent student) {
        return new Synthesizer(SynthesizerTest.frontEnd(), student, new AudioTest.FakeVocoder(N_MELS, HOP, null), cfg);
    }

    @Test
    public void silencesAndTimestampsTileTheAudio() throws Exception {
        ModelConfig cfg = config(Collections.<ModelConfig.Bucket>emptyList());
        BucketStudent student = new BucketStudent(cfg);
        Synthesizer syn = synth(cfg, student);
        Pcm16 plain = new Pcm16();
        syn.synthesize("Hello world. A long sentence, with many words.", 1.0f, plain, null);
        long plainSamples = plain.samples.size();
        Pcm16 sink = new Pcm16();
        Synthesizer.Stats st = syn.synthesize("Hello world. A long sentence, with many words.",
                new Phrases.Options().sentenceSilence(0.5).commaSilence(0.25), 1.0f, sink, null);
        assertEquals(2, st.pauses);
        // the silences are added; the comma's phrase ends there, so the space after the comma is not spoken
        long space = (2 + Symbols.SPACE_ID % 3) * HOP;
        assertEquals(plainSamples + 8000 + 4000 - space, sink.samples.size());
        Timeline tl = syn.lastTimeline();
        assertEquals(st.samples, tl.samples());
        long pos = 0;
        for (Timeline.Segment s : tl.segments) {
            assertEquals("segments tile the audio", pos, s.start);
            pos = s.end;
        }
        assertEquals(st.samples, pos);
        // the sentence silence is zeros right after "world ."
        Timeline.Segment pause = null;
        for (Timeline.Segment s : tl.segments) if (s.kind.equals("pause")) { pause = s; break; }
        assertEquals(8000, pause.end - pause.start);
        for (long i = pause.start; i < pause.end; i++) assertEquals(0, (short) sink.samples.get((int) i));
        List<Timeline.WordTiming> words = tl.spokenWords();
        assertEquals(Arrays.asList("Hello", "world", "A", "long", "sentence", "with", "many", "words"), texts(words));
        assertTrue(words.get(2).start >= pause.end);
        for (Timeline.WordTiming w : words) {
            assertEquals(w.phonemes.get(0).start, w.start);
            assertEquals(w.phonemes.get(w.phonemes.size() - 1).end, w.end);
        }
        // "hello" HH AH0 L OW1: durations 2 + id % 3 frames of HOP samples each
        long expected = 0;
        for (String p : Arrays.asList("HH", "AH0", "L", "OW1")) expected += (2 + Symbols.requireId(p) % 3) * HOP;
        assertEquals(expected, words.get(0).end - words.get(0).start);
    }

    private static List<String> texts(List<Timeline.WordTiming> ws) {
        List<String> out = new ArrayList<>();
        for (Timeline.WordTiming w : ws) out.add(w.text);
        return out;
    }

    @Test
    public void phonemesLexiconAndSsmlReachTheStudent() throws Exception {
        ModelConfig cfg = config(Collections.<ModelConfig.Bucket>emptyList());
        BucketStudent student = new BucketStudent(cfg);
        Synthesizer syn = synth(cfg, student);
        syn.synthesize(null, new Phrases.Options().phonemes("HH EH1 L OW0 | W ER1 L D"), 1.0f, new Pcm16(), null);
        int[] typed = student.inputs.get(0);
        syn.setLexicon(UserLexicon.parse("hello HH EH1 L OW0\n", "my.lex"));
        syn.synthesize("Hello world", 1.0f, new Pcm16(), null);
        assertArrayEquals("the lexicon overrides the dictionary", typed, student.inputs.get(1));
        Pcm16 sink = new Pcm16();
        Synthesizer.Stats st = syn.synthesize("<speak>Hello <break time=\"100ms\"/> world</speak>", 1.0f, sink, null);
        assertEquals(1, st.pauses);
        assertEquals(2, st.studentCalls);
        try {
            syn.synthesize(null, new Phrases.Options().phonemes("HH AH0 QQ"), 1.0f, new Pcm16(), null);
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("unknown phoneme symbol 'QQ' in word 1"));
        }
        try {
            syn.synthesize("<speak>Hello <b>x</b></speak>", 1.0f, new Pcm16(), null);
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().endsWith("at line 1, column 14"));
        }
        try {
            syn.synthesize("<speak><prosody rate=\"0.01\">Hello</prosody></speak>", 1.0f, new Pcm16(), null);
            fail("speed x rate below the student's range");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("outside"));
        }
    }

    @Test
    public void eachChunkRunsOnTheSmallestStudentThatFitsAndTheAudioIsTheSame() throws Exception {
        String text = "Hello. A long sentence with many words, hello world with many words.";
        ModelConfig single = config(Collections.<ModelConfig.Bucket>emptyList());
        Pcm16 one = new Pcm16();
        synth(single, new BucketStudent(single)).synthesize(text, 1.0f, one, null);

        ModelConfig cfg = config(buckets());
        assertEquals(3, cfg.buckets.size());
        assertEquals(8, cfg.bucketFor(6).maxPhonemes);
        assertEquals(16, cfg.bucketFor(7).maxPhonemes);
        assertEquals(64, cfg.bucketFor(60).maxPhonemes);
        BucketStudent student = new BucketStudent(cfg);
        Pcm16 bucketed = new Pcm16();
        Synthesizer syn = synth(cfg, student);
        Synthesizer.Stats st = syn.synthesize(text, 1.0f, bucketed, null);
        assertEquals("the same audio whatever student size ran", one.samples, bucketed.samples);
        // "Hello ." is 6 ids: the 8-slot student (it needs 20 frames of its 24)
        assertEquals(8, (int) student.sizes.get(0));
        assertTrue("the long sentence runs on the main student: " + student.sizes, student.sizes.contains(64));
        assertEquals(0, st.bucketRetries);

        // at half speed "Hello ." needs 20 frames: the 8-slot student overflows, the 16-slot one holds it
        BucketStudent slow = new BucketStudent(cfg);
        Pcm16 slowSink = new Pcm16();
        Synthesizer.Stats st2 = synth(cfg, slow).synthesize("Hello.", 0.5f, slowSink, null);
        assertEquals(Arrays.asList(8, 16), slow.sizes);
        assertEquals(1, st2.bucketRetries);
        assertEquals(0, st2.overflowSplits);
        Pcm16 slowOne = new Pcm16();
        synth(single, new BucketStudent(single)).synthesize("Hello.", 0.5f, slowOne, null);
        assertEquals(slowOne.samples, slowSink.samples);
    }

    @Test
    public void configJsonListsTheStudentSizes() {
        String json = "{\"format_version\": 1, \"vocoder_output\": \"window\", \"audio\": {\"hop_length\": 256, "
                + "\"sample_rate\": 22050, \"n_mels\": 80}, \"text\": {\"symbols\": " + symbolsJson() + ", \"pad_id\": 0}, "
                + "\"student_inputs\": [\"phoneme_ids\", \"length\", \"speed\"], \"student_outputs\": [\"mel\", \"frames\", "
                + "\"overflow\", \"durations\"], \"vocoder_inputs\": [\"mel\"], \"vocoder_outputs\": [\"audio\"], "
                + "\"hop_length\": 256, \"quantization\": \"int8\", \"signature_key\": \"serving_default\", "
                + "\"student_file\": \"student.tflite\", \"vocoder_file\": \"vocoder.tflite\", \"max_phonemes\": 176, "
                + "\"max_frames\": 1152, \"pad_symbols\": 5, \"vocoder_window\": 128, \"vocoder_context\": 7, "
                + "\"silence_log_mel\": -11.5129, \"student_buckets\": [{\"student_file\": \"student-256.tflite\", "
                + "\"max_phonemes\": 48, \"max_frames\": 256}, {\"student_file\": \"student-512.tflite\", "
                + "\"max_phonemes\": 80, \"max_frames\": 512}]}";
        ModelConfig cfg = ModelConfig.parse(json);
        assertEquals(3, cfg.buckets.size());
        assertEquals("student-256.tflite", cfg.bucketFor(43).file);
        assertEquals("student-512.tflite", cfg.bucketFor(44).file);
        assertEquals("student.tflite", cfg.bucketFor(171).file);
        try {
            ModelConfig.parse(json.replace("\"max_phonemes\": 80", "\"max_phonemes\": 200"));
            fail("a bucket larger than the main student");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("student_buckets[1]"));
        }
    }

    private static String symbolsJson() {
        StringBuilder sb = new StringBuilder("[");
        for (String s : Symbols.SYMBOLS) sb.append(sb.length() > 1 ? ", " : "").append(Json.quote(s));
        return sb.append(']').toString();
    }
}
