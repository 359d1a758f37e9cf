package org.speedyspeech.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Text -> streaming 16-bit PCM, the way the exported models are meant to be run:
 * <ol>
 *   <li>split the text into sentences; each sentence -> symbol ids (a sentence with nothing to say, e.g. "...",
 *   is skipped);</li>
 *   <li>chunk the ids to the student's N - pad_symbols slots (at punctuation, else at spaces);</li>
 *   <li>run the student on each chunk (ids padded with the pad id to N); when it reports overflow (the chunk needs
 *   more than F frames, e.g. long text spoken slowly) the chunk is split in two near the middle at punctuation or a
 *   space ({@link Chunking#splitInTwo}) and each half is synthesised again; a chunk that cannot be split (one
 *   symbol) is an error;</li>
 *   <li>vocode the valid frames window by window, {@value #PAD_FRAMES} silence frames appended
 *   ({@link WindowPlanner#stitch}), and hand each window's audio to the sink as soon as it is computed, so playback
 *   starts after the first window.</li>
 * </ol>
 * This is what the Python runtime (speedyspeech_tf.runtime.synthesizer) does; the shared test vectors check the
 * pieces (front end, chunking, splitting, window plans and trimming, PCM).
 * Not thread-safe (the models are not); run one synthesis at a time, off the UI thread.
 */
public final class Synthesizer {
    /** Silence frames appended to each chunk's mel before the vocoder (the authors' inference.py; the runtime's). */
    public static final int PAD_FRAMES = 5;

    private final FrontEnd frontEnd;
    private final AcousticModel student;
    private final Vocoder vocoder;
    private final ModelConfig config;
    private final LongSupplier clock;

    public Synthesizer(FrontEnd frontEnd, AcousticModel student, Vocoder vocoder, ModelConfig config) {
        this(frontEnd, student, vocoder, config, System::nanoTime);
    }

    /** @param clock nanosecond clock (tests inject a fake one) */
    public Synthesizer(FrontEnd frontEnd, AcousticModel student, Vocoder vocoder, ModelConfig config, LongSupplier clock) {
        if (frontEnd == null || student == null || vocoder == null || config == null || clock == null) {
            throw new IllegalArgumentException("Synthesizer: front end, student, vocoder, config and clock are required");
        }
        this.frontEnd = frontEnd;
        this.student = student;
        this.vocoder = vocoder;
        this.config = config;
        this.clock = clock;
    }

    public ModelConfig config() {
        return config;
    }

    /** What one synthesis did and how fast. */
    public static final class Stats {
        public int sentences;
        public int skippedSentences;
        public int chunks;
        public int studentCalls;
        /** Chunks split in two because the student reported overflow. */
        public int overflowSplits;
        public int vocoderCalls;
        public long samples;
        public int sampleRate;
        /** Seconds spent in the front end, the student and the vocoder (not waiting for the sink). */
        public double computeSeconds;
        public double frontEndSeconds;
        public double studentSeconds;
        public double vocoderSeconds;
        /** From the call until the first audio was handed to the sink; -1 if none was. */
        public double firstAudioSeconds = -1;
        public boolean cancelled;

        public double audioSeconds() {
            return sampleRate > 0 ? samples / (double) sampleRate : 0;
        }

        /** Compute time / audio duration: below 1 is faster than real time. NaN without audio. */
        public double realTimeFactor() {
            double a = audioSeconds();
            return a > 0 ? computeSeconds / a : Double.NaN;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT,
                    "%.2f s of audio in %.2f s (RTF %.3f; front end %.3f s, student %.3f s in %d calls, vocoder %.3f s "
                            + "in %d calls); first audio after %.3f s; %d sentences, %d chunks%s",
                    audioSeconds(), computeSeconds, realTimeFactor(), frontEndSeconds, studentSeconds, studentCalls,
                    vocoderSeconds, vocoderCalls, firstAudioSeconds, sentences, chunks, cancelled ? " (cancelled)" : "");
        }
    }

    /**
     * Synthesise {@code text} at {@code speed} into {@code sink}. Checks {@code cancelled} (may be null) between
     * vocoder windows and stops early when it returns true.
     *
     * @throws IllegalArgumentException when the speed is out of range or the text has nothing to say
     */
    public Stats synthesize(String text, float speed, AudioSink sink, BooleanSupplier cancelled) throws Exception {
        if (!(speed >= config.minSpeed && speed <= config.maxSpeed)) {
            throw new IllegalArgumentException("speed " + speed + " is outside " + config.minSpeed + ".." + config.maxSpeed
                    + " (the exported student's range)");
        }
        if (sink == null) throw new IllegalArgumentException("sink is required");
        BooleanSupplier stop = cancelled == null ? () -> false : cancelled;
        Stats stats = new Stats();
        stats.sampleRate = config.sampleRate;
        long t0 = clock.getAsLong();
        long t = t0;
        List<String> sentences = frontEnd.splitSentences(text);
        stats.frontEndSeconds += seconds(clock.getAsLong() - t);
        Run run = new Run(stats, sink, stop, speed, t0);
        for (String sentence : sentences) {
            if (stop.getAsBoolean()) {
                stats.cancelled = true;
                break;
            }
            t = clock.getAsLong();
            int[] ids;
            try {
                ids = frontEnd.textToIds(sentence);
            } catch (IllegalArgumentException nothingToSay) {
                stats.skippedSentences++;
                stats.frontEndSeconds += seconds(clock.getAsLong() - t);
                continue;
            }
            List<int[]> chunks = frontEnd.chunkIds(ids, config.maxTextSymbols());
            stats.frontEndSeconds += seconds(clock.getAsLong() - t);
            stats.sentences++;
            for (int[] chunk : chunks) {
                stats.chunks++;
                run.chunk(chunk);
                if (stats.cancelled) break;
            }
            if (stats.cancelled) break;
        }
        if (stats.sentences == 0 && !stats.cancelled) {
            throw new IllegalArgumentException("nothing pronounceable in the text: '"
                    + (text.length() > 80 ? text.substring(0, 80) + "..." : text) + "'");
        }
        stats.computeSeconds = stats.frontEndSeconds + stats.studentSeconds + stats.vocoderSeconds;
        return stats;
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    /** State of one synthesize() call. */
    private final class Run {
        final Stats stats;
        final AudioSink sink;
        final BooleanSupplier stop;
        final float speed;
        final long t0;
        final int[] input = new int[config.maxPhonemes];
        short[] pcm = new short[0];

        Run(Stats stats, AudioSink sink, BooleanSupplier stop, float speed, long t0) {
            this.stats = stats;
            this.sink = sink;
            this.stop = stop;
            this.speed = speed;
            this.t0 = t0;
        }

        void chunk(int[] ids) throws Exception {
            if (ids.length > config.maxTextSymbols()) {
                throw new IllegalStateException("chunk of " + ids.length + " ids exceeds " + config.maxTextSymbols());
            }
            Arrays.fill(input, config.padId);
            System.arraycopy(ids, 0, input, 0, ids.length);
            long t = clock.getAsLong();
            AcousticModel.Output out = student.run(input, ids.length, speed);
            stats.studentSeconds += seconds(clock.getAsLong() - t);
            stats.studentCalls++;
            if (out == null || out.mel == null || out.mel.length != config.maxFrames * config.nMels) {
                throw new IllegalStateException("student returned a mel of " + (out == null || out.mel == null ? "null"
                        : out.mel.length + " values") + ", expected " + config.maxFrames + " x " + config.nMels);
            }
            if (out.frames < 0 || out.frames > config.maxFrames) {
                throw new IllegalStateException("student returned frames = " + out.frames + " (F = " + config.maxFrames + ")");
            }
            if (out.overflow) {
                int[][] halves = Chunking.splitInTwo(ids);
                if (halves == null) {
                    throw new IllegalArgumentException(ids.length + " symbol(s) need more than the student's "
                            + config.maxFrames + " frames at speed " + speed + ": use a higher speed");
                }
                stats.overflowSplits++;
                for (int[] half : halves) {
                    chunk(half);
                    if (stats.cancelled) return;
                }
                return;
            }
            if (out.frames == 0) return;
            final long[] tv = {clock.getAsLong()};
            stats.vocoderCalls += WindowPlanner.stitch(vocoder, out.mel, out.frames, config.nMels, config.vocoderWindow,
                    config.vocoderContext, config.hopLength, config.silenceLogMel, PAD_FRAMES, (audio, offset, n) -> {
                        long now = clock.getAsLong();
                        stats.vocoderSeconds += seconds(now - tv[0]);
                        if (pcm.length < n) pcm = new short[n];
                        Pcm.toPcm16(audio, offset, n, pcm);
                        if (stats.firstAudioSeconds < 0) stats.firstAudioSeconds = seconds(clock.getAsLong() - t0);
                        sink.write(pcm, 0, n);
                        stats.samples += n;
                        tv[0] = clock.getAsLong(); // time in the sink (playback back-pressure) is not compute time
                    }, () -> {
                        if (stop.getAsBoolean()) stats.cancelled = true;
                        return stats.cancelled;
                    });
        }
    }
}
