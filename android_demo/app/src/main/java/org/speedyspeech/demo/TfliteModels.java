package org.speedyspeech.demo;

import android.content.res.AssetFileDescriptor;
import android.content.res.AssetManager;
import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.speedyspeech.core.AcousticModel;
import org.speedyspeech.core.ModelConfig;
import org.speedyspeech.core.Vocoder;
import org.tensorflow.lite.DataType;
import org.tensorflow.lite.Interpreter;
import org.tensorflow.lite.Tensor;

/**
 * The exported student and vocoder (assets/student.tflite, assets/vocoder.tflite, assets/config.json from
 * `speedyspeech-tf export ... --android-assets`), run with the TFLite Java API on the CPU with XNNPACK.
 * Every student size config.json lists (student_buckets, e.g. assets/student-256.tflite, and the main student)
 * is loaded up front (a first call on a fresh interpreter is slow, and the first short sentence would pay it).
 * Every tensor of every signature is checked against config.json when the models are loaded.
 * Not thread-safe: use from one (background) thread.
 */
final class TfliteModels implements AutoCloseable {
    final ModelConfig config;
    final Student student;
    final TfVocoder vocoder;
    final int threads;
    private final List<Interpreter> studentInterpreters;
    private final Interpreter vocoderInterpreter;

    private TfliteModels(ModelConfig config, List<Interpreter> s, Interpreter v, int threads) {
        this.config = config;
        this.studentInterpreters = s;
        this.vocoderInterpreter = v;
        this.threads = threads;
        this.student = new Student(s, config);
        this.vocoder = new TfVocoder(v, config);
    }

    static TfliteModels load(AssetManager assets, int threads) throws IOException {
        ModelConfig config;
        try {
            config = ModelConfig.load(assets.open("config.json"), "assets/config.json");
        } catch (FileNotFoundException e) {
            throw new FileNotFoundException("assets/config.json is missing: export the models with "
                    + "`speedyspeech-tf export ... --android-assets android_demo/app/src/main/assets` and rebuild");
        }
        Interpreter.Options options = new Interpreter.Options().setNumThreads(threads).setUseXNNPACK(true);
        List<Interpreter> opened = new ArrayList<>();  // closed again if anything fails
        try {
            for (ModelConfig.Bucket b : config.buckets) opened.add(new Interpreter(map(assets, b.file), options));
            Interpreter v = new Interpreter(map(assets, config.vocoderFile), options);
            opened.add(v);
            return new TfliteModels(config, new ArrayList<>(opened.subList(0, config.buckets.size())), v, threads);
        } catch (IOException | RuntimeException e) {
            for (Interpreter i : opened) i.close();
            throw e;
        }
    }

    /** Memory-map an uncompressed asset (app/build.gradle: noCompress 'tflite'). */
    private static MappedByteBuffer map(AssetManager assets, String name) throws IOException {
        try (AssetFileDescriptor fd = assets.openFd(name);
             FileInputStream in = new FileInputStream(fd.getFileDescriptor())) {
            return in.getChannel().map(FileChannel.MapMode.READ_ONLY, fd.getStartOffset(), fd.getDeclaredLength());
        } catch (FileNotFoundException e) {
            throw new FileNotFoundException("assets/" + name + " is missing (or compressed in the APK): export the models "
                    + "with --android-assets and rebuild");
        }
    }

    private static void check(Tensor t, String what, DataType type, int... shape) {
        if (t.dataType() != type || !Arrays.equals(t.shape(), shape)) {
            throw new IllegalStateException(what + " is " + t.dataType() + " " + Arrays.toString(t.shape()) + ", config.json says "
                    + type + " " + Arrays.toString(shape) + ": the .tflite files and config.json come from different exports");
        }
    }

    private static ByteBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(4 * floats).order(ByteOrder.nativeOrder());
    }

    /**
     * The student files (one per size of config.buckets, smallest first): phoneme_ids [1, N], length [1],
     * speed [1] -> mel [1, F, n_mels], frames [1], overflow [1] (, durations [1, N]). The core's Synthesizer
     * picks the size by the length of the ids it passes (N of one of config.buckets); this runs that file.
     */
    static final class Student implements AcousticModel {
        private final ModelConfig cfg;
        private final List<Size> sizes = new ArrayList<>();

        Student(List<Interpreter> interpreters, ModelConfig cfg) {
            this.cfg = cfg;
            for (int i = 0; i < interpreters.size(); i++) sizes.add(new Size(interpreters.get(i), cfg.buckets.get(i), cfg));
        }

        @Override
        public Output run(int[] phonemeIds, int len, float sp) {
            for (Size s : sizes) if (s.bucket.maxPhonemes == phonemeIds.length) return s.run(phonemeIds, len, sp);
            throw new IllegalArgumentException(phonemeIds.length + " phoneme slots: no student of that size in "
                    + "config.json (" + cfg.buckets + ")");
        }
    }

    /** One student file: its interpreter and buffers. */
    private static final class Size {
        final ModelConfig.Bucket bucket;
        private final Interpreter interpreter;
        private final ModelConfig cfg;
        private final int[][] ids;
        private final int[] length = new int[1];
        private final float[] speed = new float[1];
        private final ByteBuffer mel;
        private final int[] frames = new int[1];
        private final int[] overflow = new int[1];
        private final int[][] durations;
        private final Map<String, Object> inputs = new HashMap<>();
        private final Map<String, Object> outputs = new HashMap<>();

        Size(Interpreter interpreter, ModelConfig.Bucket bucket, ModelConfig cfg) {
            this.interpreter = interpreter;
            this.bucket = bucket;
            this.cfg = cfg;
            String key = cfg.signatureKey;
            String file = "assets/" + bucket.file;
            int n = bucket.maxPhonemes;
            check(interpreter.getInputTensorFromSignature("phoneme_ids", key), file + " phoneme_ids", DataType.INT32, 1, n);
            check(interpreter.getInputTensorFromSignature("length", key), file + " length", DataType.INT32, 1);
            check(interpreter.getInputTensorFromSignature("speed", key), file + " speed", DataType.FLOAT32, 1);
            check(interpreter.getOutputTensorFromSignature("mel", key), file + " mel", DataType.FLOAT32, 1,
                    bucket.maxFrames, cfg.nMels);
            check(interpreter.getOutputTensorFromSignature("frames", key), file + " frames", DataType.INT32, 1);
            check(interpreter.getOutputTensorFromSignature("overflow", key), file + " overflow", DataType.INT32, 1);
            ids = new int[1][n];
            mel = direct(bucket.maxFrames * cfg.nMels);
            inputs.put("phoneme_ids", ids);
            inputs.put("length", length);
            inputs.put("speed", speed);
            outputs.put("mel", mel);
            outputs.put("frames", frames);
            outputs.put("overflow", overflow);
            if (cfg.hasDurations) {  // exports since timestamps have it: every output gets a buffer
                check(interpreter.getOutputTensorFromSignature("durations", key), file + " durations", DataType.INT32, 1, n);
                durations = new int[1][n];
                outputs.put("durations", durations);
            } else {
                durations = null;
            }
        }

        AcousticModel.Output run(int[] phonemeIds, int len, float sp) {
            System.arraycopy(phonemeIds, 0, ids[0], 0, bucket.maxPhonemes);
            length[0] = len;
            speed[0] = sp;
            mel.rewind();
            interpreter.runSignature(inputs, outputs, cfg.signatureKey);
            float[] m = new float[bucket.maxFrames * cfg.nMels];
            mel.rewind();
            mel.asFloatBuffer().get(m);
            return new AcousticModel.Output(m, frames[0], overflow[0] != 0,
                    durations == null ? null : durations[0].clone());
        }
    }

    /** vocoder.tflite: mel [1, W + 2C, n_mels] -> audio [1, (W + 2C) * hop]. */
    static final class TfVocoder implements Vocoder {
        private final Interpreter interpreter;
        private final ModelConfig cfg;
        private final ByteBuffer in;
        private final ByteBuffer out;
        private final Map<String, Object> inputs = new HashMap<>();
        private final Map<String, Object> outputs = new HashMap<>();

        TfVocoder(Interpreter interpreter, ModelConfig cfg) {
            this.interpreter = interpreter;
            this.cfg = cfg;
            String file = "assets/" + cfg.vocoderFile;
            check(interpreter.getInputTensorFromSignature("mel", cfg.signatureKey), file + " mel", DataType.FLOAT32, 1,
                    cfg.vocoderFrames(), cfg.nMels);
            check(interpreter.getOutputTensorFromSignature("audio", cfg.signatureKey), file + " audio", DataType.FLOAT32, 1,
                    cfg.vocoderSamples());
            in = direct(cfg.vocoderFrames() * cfg.nMels);
            out = direct(cfg.vocoderSamples());
            inputs.put("mel", in);
            outputs.put("audio", out);
        }

        @Override
        public float[] run(float[] mel) {
            in.rewind();
            in.asFloatBuffer().put(mel);
            out.rewind();
            interpreter.runSignature(inputs, outputs, cfg.signatureKey);
            float[] audio = new float[cfg.vocoderSamples()];
            out.rewind();
            out.asFloatBuffer().get(audio);
            return audio;
        }
    }

    @Override
    public void close() {
        for (Interpreter s : studentInterpreters) s.close();
        vocoderInterpreter.close();
    }
}
