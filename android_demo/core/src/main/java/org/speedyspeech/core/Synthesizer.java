package org.speedyspeech.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Text -> streaming 16-bit PCM, the way the exported models are meant to be run:
 * <ol>
 *   <li>plan the phrases ({@link Phrases#plan}: plain text by sentences, SSML, or typed phonemes; sentence and comma
 *   silences, breaks, rates; a user lexicon) and chunk each to the largest student's N - pad_symbols slots (at
 *   punctuation, else at spaces);</li>
 *   <li>run each chunk on the smallest student size that holds it ({@link ModelConfig#bucketFor}; ids padded with the
 *   pad id to that N); on overflow run it on the next larger size, and on the largest split it in two near the middle
 *   at punctuation or a space ({@link Chunking#splitSpans}) and synthesise each half again; a chunk that cannot be
 *   split (one symbol) is an error; the student's durations give the timestamps ({@link #lastTimeline});</li>
 *   <li>vocode the valid frames window by window, {@value #PAD_FRAMES} silence frames appended
 *   ({@link WindowPlanner#stitch}), and hand each window's audio to the sink as soon as it is computed, so playback
 *   starts after the first window; each phrase's pause follows as zeros.</li>
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
        /** Chunks split in two because the largest student reported overflow. */
        public int overflowSplits;
        /** Chunks run again on a larger student size because a smaller one reported overflow. */
        public int bucketRetries;
        /** Silences written (sentence and comma silences, SSML breaks). */
        public int pauses;
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

    private java.util.Map<String, List<String>> lexicon;
    private Timeline lastTimeline;

    /** A user lexicon ({@link UserLexicon}) that overrides the dictionary and the homographs; null for none. */
    public void setLexicon(java.util.Map<String, List<String>> lexicon) {
        this.lexicon = lexicon;
    }

    /**
     * Word and phoneme timestamps of the last synthesis (in samples), or null before the first. Its words have no
     * times (-1) when the export has no durations output ({@link ModelConfig#hasDurations}).
     */
    public Timeline lastTimeline() {
        return lastTimeline;
    }

    /**
     * Synthesise plain {@code text} at {@code speed} into {@code sink} (SSML when it starts with {@code <speak>}).
     * Checks {@code cancelled} (may be null) between vocoder windows and stops early when it returns true.
     *
     * @throws IllegalArgumentException when the speed is out of range or the text has nothing to say
     */
    public Stats synthesize(String text, float speed, AudioSink sink, BooleanSupplier cancelled) throws Exception {
        return synthesize(text, new Phrases.Options(), speed, sink, cancelled);
    }

    /**
     * Synthesise {@code text} (plain or SSML; null with {@code options.phonemes}) with the options' silences, as the
     * Python runtime does: the phrases ({@link Phrases#plan}) are chunked to the largest student's N - pad_symbols
     * slots, each chunk runs on the smallest student size that holds it ({@link ModelConfig#bucketFor}; on overflow
     * the next larger size, and only the largest splits the chunk), each phrase's pause is written as silence after
     * it, and {@link #lastTimeline} gets the word and phoneme timestamps.
     *
     * @throws IllegalArgumentException when the speed (times an SSML rate) is out of range, for bad SSML, phonemes or
     *                                  silences, or when there is nothing to say
     */
    public Stats synthesize(String text, Phrases.Options options, float speed, AudioSink sink, BooleanSupplier cancelled)
            throws Exception {
        checkSpeed(speed);
        if (sink == null) throw new IllegalArgumentException("sink is required");
        BooleanSupplier stop = cancelled == null ? () -> false : cancelled;
        Stats stats = new Stats();
        stats.sampleRate = config.sampleRate;
        long t0 = clock.getAsLong();
        Phrases.Plan plan = Phrases.plan(text, options == null ? new Phrases.Options() : options, lexicon,
                frontEnd.phonemizer());
        List<Chunk> chunks = new ArrayList<>();
        List<Word> words = new ArrayList<>();
        for (Phrases.Phrase phrase : plan.phrases) {
            int[][] io = phrase.idsAndOwners();
            int base = words.size();
            words.addAll(phrase.words);
            for (int i = 0; i < io[1].length; i++) if (io[1][i] >= 0) io[1][i] += base;
            List<int[]> spans = Chunking.chunkSpans(io[0], config.maxTextSymbols());
            if (spans.isEmpty()) chunks.add(new Chunk(new int[0], new int[0], phrase.rate, phrase.pauseAfter));
            for (int k = 0; k < spans.size(); k++) {
                int[] sp = spans.get(k);
                chunks.add(new Chunk(Arrays.copyOfRange(io[0], sp[0], sp[1]), Arrays.copyOfRange(io[1], sp[0], sp[1]),
                        phrase.rate, k == spans.size() - 1 ? phrase.pauseAfter : 0.0));
            }
            if (phrase.rate != 1.0 && !phrase.words.isEmpty()) checkSpeed((float) (speed * phrase.rate));
        }
        stats.sentences = plan.sentences - plan.skipped;
        stats.skippedSentences = plan.skipped;
        Timeline timeline = new Timeline(config.sampleRate, config.hopLength);
        timeline.addWords(words);
        lastTimeline = timeline;
        stats.frontEndSeconds += seconds(clock.getAsLong() - t0);
        Run run = new Run(stats, sink, stop, t0, timeline);
        for (Chunk chunk : chunks) {
            if (stop.getAsBoolean()) {
                stats.cancelled = true;
                break;
            }
            if (chunk.ids.length > 0) {
                stats.chunks++;
                run.speed = (float) (speed * chunk.rate);
                run.chunk(chunk.ids, chunk.owners, 0);
                if (stats.cancelled) break;
            }
            long silence = (long) Math.rint(chunk.pauseAfter * config.sampleRate);
            if (silence > 0) run.silence(silence);
            if (stats.cancelled) break;
        }
        stats.computeSeconds = stats.frontEndSeconds + stats.studentSeconds + stats.vocoderSeconds;
        return stats;
    }

    private void checkSpeed(float speed) {
        if (!(speed >= config.minSpeed && speed <= config.maxSpeed)) {
            throw new IllegalArgumentException("speed " + speed + " is outside " + config.minSpeed + ".." + config.maxSpeed
                    + " (the exported student's range)");
        }
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    /** One student input: ids, the index of each id's word (-1: a space), the rate and the pause after it. */
    private static final class Chunk {
        final int[] ids;
        final int[] owners;
        final double rate;
        final double pauseAfter;

        Chunk(int[] ids, int[] owners, double rate, double pauseAfter) {
            this.ids = ids;
            this.owners = owners;
            this.rate = rate;
            this.pauseAfter = pauseAfter;
        }
    }

    /** State of one synthesize() call. */
    private final class Run {
        final Stats stats;
        final AudioSink sink;
        final BooleanSupplier stop;
        final long t0;
        final Timeline timeline;
        float speed;
        short[] pcm = new short[0];

        Run(Stats stats, AudioSink sink, BooleanSupplier stop, long t0, Timeline timeline) {
            this.stats = stats;
            this.sink = sink;
            this.stop = stop;
            this.t0 = t0;
            this.timeline = timeline;
        }

        void write(short[] data, int n) throws Exception {
            if (stats.firstAudioSeconds < 0) stats.firstAudioSeconds = seconds(clock.getAsLong() - t0);
            sink.write(data, 0, n);
            stats.samples += n;
        }

        void silence(long n) throws Exception {
            timeline.addPause(n);
            stats.pauses++;
            short[] zeros = new short[(int) Math.min(n, 4096)];
            for (long left = n; left > 0; left -= zeros.length) {
                write(zeros, (int) Math.min(left, zeros.length));
            }
        }

        /** Run ids on student size {@code bucket} or larger (the smallest that holds them, from bucket on). */
        void chunk(int[] ids, int[] owners, int from) throws Exception {
            if (ids.length > config.maxTextSymbols()) {
                throw new IllegalStateException("chunk of " + ids.length + " ids exceeds " + config.maxTextSymbols());
            }
            int b = Math.max(from, config.buckets.indexOf(config.bucketFor(ids.length)));
            ModelConfig.Bucket bucket = config.buckets.get(b);
            int[] input = new int[bucket.maxPhonemes];
            Arrays.fill(input, config.padId);
            System.arraycopy(ids, 0, input, 0, ids.length);
            long t = clock.getAsLong();
            AcousticModel.Output out = student.run(input, ids.length, speed);
            stats.studentSeconds += seconds(clock.getAsLong() - t);
            stats.studentCalls++;
            if (out == null || out.mel == null || out.mel.length != bucket.maxFrames * config.nMels) {
                throw new IllegalStateException("student returned a mel of " + (out == null || out.mel == null ? "null"
                        : out.mel.length + " values") + ", expected " + bucket.maxFrames + " x " + config.nMels
                        + " (" + bucket + ")");
            }
            if (out.frames < 0 || out.frames > bucket.maxFrames) {
                throw new IllegalStateException("student returned frames = " + out.frames + " (F = " + bucket.maxFrames + ")");
            }
            if (out.overflow) {
                if (b + 1 < config.buckets.size()) { // a larger student: the same output with more frames
                    stats.bucketRetries++;
                    chunk(ids, owners, b + 1);
                    return;
                }
                int[][] halves = Chunking.splitSpans(ids);
                if (halves == null) {
                    throw new IllegalArgumentException(ids.length + " symbol(s) need more than the student's "
                            + config.maxFrames + " frames at speed " + speed + ": use a higher speed");
                }
                stats.overflowSplits++;
                for (int[] h : halves) {
                    chunk(Arrays.copyOfRange(ids, h[0], h[1]), Arrays.copyOfRange(owners, h[0], h[1]), 0);
                    if (stats.cancelled) return;
                }
                return;
            }
            List<String> symbols = new ArrayList<>();
            for (int id : ids) symbols.add(Symbols.symbol(id));
            int[] durations = out.durations == null || out.durations.length < ids.length ? null
                    : Arrays.copyOf(out.durations, ids.length);
            timeline.addPiece(symbols, owners, durations, out.frames);
            if (out.frames == 0) return;
            final long[] tv = {clock.getAsLong()};
            stats.vocoderCalls += WindowPlanner.stitch(vocoder, out.mel, out.frames, config.nMels, config.vocoderWindow,
                    config.vocoderContext, config.hopLength, config.silenceLogMel, PAD_FRAMES, (audio, offset, n) -> {
                        long now = clock.getAsLong();
                        stats.vocoderSeconds += seconds(now - tv[0]);
                        if (pcm.length < n) pcm = new short[n];
                        Pcm.toPcm16(audio, offset, n, pcm);
                        write(pcm, n);
                        tv[0] = clock.getAsLong(); // time in the sink (playback back-pressure) is not compute time
                    }, () -> {
                        if (stop.getAsBoolean()) stats.cancelled = true;
                        return stats.cancelled;
                    });
        }
    }
}
