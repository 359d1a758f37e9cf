package org.speedyspeech.core;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * What the app needs from an exported model directory's config.json (speedyspeech_tf.config.ExportConfig, written by
 * {@code speedyspeech-tf export}): buffer sizes, vocoder windowing, audio settings, the symbol table and the
 * signature names. {@link #parse} checks everything the synthesizer relies on and names the offending field.
 */
public final class ModelConfig {
    public static final int FORMAT_VERSION = 1;
    /** Speed range when config.json predates min_speed/max_speed (speedyspeech_tf/exporting/graphs.py's clip). */
    public static final float DEFAULT_MIN_SPEED = 0.1f;
    public static final float DEFAULT_MAX_SPEED = 10.0f;

    public final String quantization;
    public final String signatureKey;
    public final String studentFile;
    public final String vocoderFile;
    /** N: phoneme slots of the student. */
    public final int maxPhonemes;
    /** F: mel frame buffer of the student. */
    public final int maxFrames;
    /** Padding ids the runtime keeps free after the text (the reference appends 5). */
    public final int padSymbols;
    /** W: output frames per vocoder call. */
    public final int vocoderWindow;
    /** C: context frames each side of a vocoder window. */
    public final int vocoderContext;
    public final int hopLength;
    public final int sampleRate;
    public final int nMels;
    public final float silenceLogMel;
    public final int padId;
    /** The speed range the exported student accepts (its graph clips to it; the synthesizer refuses others). */
    public final float minSpeed;
    public final float maxSpeed;
    /** The student has a 4th output, durations int32 [1, N] (frames per symbol; exports since timestamps). */
    public final boolean hasDurations;
    /**
     * Every student size of the export, smallest first, the main one (studentFile, N, F) last: config.json's
     * student_buckets are smaller students (same weights, same output) that short chunks run on for latency.
     */
    public final List<Bucket> buckets;

    /** One exported student size: its file, N phoneme slots and F frames. */
    public static final class Bucket {
        public final String file;
        public final int maxPhonemes;
        public final int maxFrames;

        public Bucket(String file, int maxPhonemes, int maxFrames) {
            this.file = file;
            this.maxPhonemes = maxPhonemes;
            this.maxFrames = maxFrames;
        }

        @Override
        public String toString() {
            return file + " (N = " + maxPhonemes + ", F = " + maxFrames + ")";
        }
    }

    public ModelConfig(String quantization, String signatureKey, String studentFile, String vocoderFile, int maxPhonemes,
                       int maxFrames, int padSymbols, int vocoderWindow, int vocoderContext, int hopLength,
                       int sampleRate, int nMels, float silenceLogMel, int padId) {
        this(quantization, signatureKey, studentFile, vocoderFile, maxPhonemes, maxFrames, padSymbols, vocoderWindow,
                vocoderContext, hopLength, sampleRate, nMels, silenceLogMel, padId, DEFAULT_MIN_SPEED, DEFAULT_MAX_SPEED);
    }

    public ModelConfig(String quantization, String signatureKey, String studentFile, String vocoderFile, int maxPhonemes,
                       int maxFrames, int padSymbols, int vocoderWindow, int vocoderContext, int hopLength,
                       int sampleRate, int nMels, float silenceLogMel, int padId, float minSpeed, float maxSpeed) {
        this(quantization, signatureKey, studentFile, vocoderFile, maxPhonemes, maxFrames, padSymbols, vocoderWindow,
                vocoderContext, hopLength, sampleRate, nMels, silenceLogMel, padId, minSpeed, maxSpeed, false);
    }

    public ModelConfig(String quantization, String signatureKey, String studentFile, String vocoderFile, int maxPhonemes,
                       int maxFrames, int padSymbols, int vocoderWindow, int vocoderContext, int hopLength,
                       int sampleRate, int nMels, float silenceLogMel, int padId, float minSpeed, float maxSpeed,
                       boolean hasDurations) {
        this(quantization, signatureKey, studentFile, vocoderFile, maxPhonemes, maxFrames, padSymbols, vocoderWindow,
                vocoderContext, hopLength, sampleRate, nMels, silenceLogMel, padId, minSpeed, maxSpeed, hasDurations,
                java.util.Collections.<Bucket>emptyList());
    }

    /** @param smallerStudents config.json's student_buckets: smaller students, smallest first (may be empty) */
    public ModelConfig(String quantization, String signatureKey, String studentFile, String vocoderFile, int maxPhonemes,
                       int maxFrames, int padSymbols, int vocoderWindow, int vocoderContext, int hopLength,
                       int sampleRate, int nMels, float silenceLogMel, int padId, float minSpeed, float maxSpeed,
                       boolean hasDurations, List<Bucket> smallerStudents) {
        java.util.List<Bucket> all = new java.util.ArrayList<>(smallerStudents);
        all.add(new Bucket(studentFile, maxPhonemes, maxFrames));
        this.buckets = java.util.Collections.unmodifiableList(all);
        this.quantization = quantization;
        this.signatureKey = signatureKey;
        this.studentFile = studentFile;
        this.vocoderFile = vocoderFile;
        this.maxPhonemes = maxPhonemes;
        this.maxFrames = maxFrames;
        this.padSymbols = padSymbols;
        this.vocoderWindow = vocoderWindow;
        this.vocoderContext = vocoderContext;
        this.hopLength = hopLength;
        this.sampleRate = sampleRate;
        this.nMels = nMels;
        this.silenceLogMel = silenceLogMel;
        this.padId = padId;
        this.minSpeed = minSpeed;
        this.maxSpeed = maxSpeed;
        this.hasDurations = hasDurations;
        validate();
    }

    private void validate() {
        positive("max_phonemes", maxPhonemes);
        positive("max_frames", maxFrames);
        positive("vocoder_window", vocoderWindow);
        positive("hop_length", hopLength);
        positive("audio.sample_rate", sampleRate);
        positive("audio.n_mels", nMels);
        if (padSymbols < 0) throw bad("pad_symbols", padSymbols, "must be >= 0");
        if (vocoderContext < 0) throw bad("vocoder_context", vocoderContext, "must be >= 0");
        if (padSymbols >= maxPhonemes) throw bad("pad_symbols", padSymbols, "leaves no room in max_phonemes = " + maxPhonemes);
        if (Float.isNaN(silenceLogMel) || Float.isInfinite(silenceLogMel)) throw bad("silence_log_mel", silenceLogMel, "must be finite");
        for (int i = 0; i + 1 < buckets.size(); i++) {
            Bucket b = buckets.get(i);
            Bucket next = buckets.get(i + 1);
            String name = "student_buckets[" + i + "]";
            if (b.file == null || b.file.isEmpty()) throw bad(name + ".student_file", b.file, "must be a file name");
            if (b.maxPhonemes <= padSymbols || b.maxFrames < 1) {
                throw bad(name, b, "needs more than pad_symbols = " + padSymbols + " slots and at least one frame");
            }
            if (b.maxPhonemes >= next.maxPhonemes || b.maxFrames > next.maxFrames) {
                throw bad(name, b, "must be smaller than the next size " + next + " (smallest first, the main student last)");
            }
        }
        if (!(minSpeed > 0 && minSpeed <= 1 && maxSpeed >= 1 && !Float.isInfinite(maxSpeed))) {
            throw bad("min_speed/max_speed", minSpeed + ".." + maxSpeed, "must be a finite range around 1 (0 < min <= 1 <= max)");
        }
    }

    private static void positive(String name, int v) {
        if (v < 1) throw bad(name, v, "must be a positive integer");
    }

    private static IllegalArgumentException bad(String name, Object v, String why) {
        return new IllegalArgumentException("config.json: " + name + " = " + v + ": " + why);
    }

    /** Ids of text per student call: N minus the padding kept free. */
    public int maxTextSymbols() {
        return maxPhonemes - padSymbols;
    }

    /** Mel frames per vocoder call: W + 2C. */
    public int vocoderFrames() {
        return vocoderWindow + 2 * vocoderContext;
    }

    public int vocoderSamples() {
        return vocoderFrames() * hopLength;
    }

    /** Read config.json from a stream (closed). */
    public static ModelConfig load(InputStream in, String name) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (InputStream s = in) {
            byte[] buf = new byte[8192];
            int n;
            while ((n = s.read(buf)) > 0) bos.write(buf, 0, n);
        }
        try {
            return parse(new String(bos.toByteArray(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new IOException(name + ": " + e.getMessage(), e);
        }
    }

    /** Parse the text of config.json. IllegalArgumentException naming the field on anything unusable. */
    @SuppressWarnings("unchecked")
    public static ModelConfig parse(String json) {
        Object root = Json.parse(json);
        if (!(root instanceof Map)) throw new IllegalArgumentException("config.json: not a JSON object");
        Map<String, Object> m = (Map<String, Object>) root;
        int version = integer(m, "format_version");
        if (version != FORMAT_VERSION) {
            throw new IllegalArgumentException("config.json: format_version " + version + ", this app reads " + FORMAT_VERSION
                    + " (export the models again with this version of speedyspeech-tf)");
        }
        String vocoderOutput = string(m, "vocoder_output");
        if (!vocoderOutput.equals("window")) throw bad("vocoder_output", vocoderOutput, "only 'window' is supported");
        Map<String, Object> audio = object(m, "audio");
        Map<String, Object> text = object(m, "text");
        Object symbols = text.get("symbols");
        if (!(symbols instanceof List)) throw bad("text.symbols", symbols, "missing");
        if (!Symbols.SYMBOLS.equals(symbols)) {
            throw new IllegalArgumentException("config.json: text.symbols differ from the 78-symbol table of this app's "
                    + "front end (" + ((List<?>) symbols).size() + " symbols); the model was trained with another symbol table");
        }
        checkNames(m, "student_inputs", "phoneme_ids", "length", "speed");
        boolean durations = java.util.Arrays.asList("mel", "frames", "overflow", "durations")
                .equals(m.get("student_outputs"));
        if (!durations) checkNames(m, "student_outputs", "mel", "frames", "overflow");
        checkNames(m, "vocoder_inputs", "mel");
        checkNames(m, "vocoder_outputs", "audio");
        int hop = integer(m, "hop_length");
        int audioHop = integer(audio, "hop_length");
        if (hop != audioHop) throw bad("hop_length", hop, "differs from audio.hop_length " + audioHop);
        return new ModelConfig(string(m, "quantization"), string(m, "signature_key"), string(m, "student_file"),
                string(m, "vocoder_file"), integer(m, "max_phonemes"), integer(m, "max_frames"), integer(m, "pad_symbols"),
                integer(m, "vocoder_window"), integer(m, "vocoder_context"), hop, integer(audio, "sample_rate"),
                integer(audio, "n_mels"), (float) number(m, "silence_log_mel"), integer(text, "pad_id"),
                (float) optionalNumber(m, "min_speed", DEFAULT_MIN_SPEED), (float) optionalNumber(m, "max_speed", DEFAULT_MAX_SPEED),
                durations, buckets(m));
    }

    @SuppressWarnings("unchecked")
    private static List<Bucket> buckets(Map<String, Object> m) {
        List<Bucket> out = new java.util.ArrayList<>();
        Object v = m.get("student_buckets");
        if (v == null) return out; // exports before buckets: one student
        if (!(v instanceof List)) throw bad("student_buckets", v, "not a list");
        for (Object o : (List<Object>) v) {
            if (!(o instanceof Map)) throw bad("student_buckets", o, "each entry must be an object");
            Map<String, Object> b = (Map<String, Object>) o;
            out.add(new Bucket(string(b, "student_file"), integer(b, "max_phonemes"), integer(b, "max_frames")));
        }
        return out;
    }

    /** The smallest student whose N - pad_symbols slots hold {@code symbols} ids (the main one if none is smaller). */
    public Bucket bucketFor(int symbols) {
        for (Bucket b : buckets) if (b.maxPhonemes - padSymbols >= symbols) return b;
        return buckets.get(buckets.size() - 1);
    }

    private static void checkNames(Map<String, Object> m, String key, String... expected) {
        Object v = m.get(key);
        if (!(v instanceof List) || !java.util.Arrays.asList((Object[]) expected).equals(v)) {
            throw bad(key, v, "expected " + java.util.Arrays.toString(expected));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Map)) throw bad(key, v, "missing or not an object");
        return (Map<String, Object>) v;
    }

    private static String string(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof String)) throw bad(key, v, "missing or not a string");
        return (String) v;
    }

    private static double number(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Number)) throw bad(key, v, "missing or not a number");
        return ((Number) v).doubleValue();
    }

    private static double optionalNumber(Map<String, Object> m, String key, double fallback) {
        return m.containsKey(key) ? number(m, key) : fallback;
    }

    private static int integer(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Long) || (Long) v > Integer.MAX_VALUE || (Long) v < Integer.MIN_VALUE) {
            throw bad(key, v, "missing or not an integer");
        }
        return ((Long) v).intValue();
    }
}
