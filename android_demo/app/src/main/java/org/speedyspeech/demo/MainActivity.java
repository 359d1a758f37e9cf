package org.speedyspeech.demo;

import android.app.Activity;
import android.os.Bundle;
import android.util.Log;
import android.widget.Button;
import android.widget.EditText;
import android.widget.SeekBar;
import android.widget.TextView;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.speedyspeech.core.FrontEnd;
import org.speedyspeech.core.Synthesizer;

/**
 * One screen: a text field, a speed slider, a thread-count slider and a Speak button. Synthesis runs on a single
 * background thread (the models are loaded there on first use and again when the thread count changes); audio
 * plays as each vocoder window is ready; the measured real-time factor is shown when it is done.
 * Everything but the Android glue lives in the tested core (android_demo/core).
 */
public class MainActivity extends Activity {
    private static final String TAG = "SpeedySpeech";

    private final ExecutorService worker = Executors.newSingleThreadExecutor();
    private final AtomicBoolean cancel = new AtomicBoolean();
    private boolean speaking; // UI thread only

    // Worker thread only.
    private FrontEnd frontEnd;
    private TfliteModels models;

    private EditText text;
    private SeekBar speed;
    private SeekBar threads;
    private TextView speedLabel;
    private TextView threadsLabel;
    private TextView status;
    private Button speak;

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        setContentView(R.layout.activity_main);
        text = findViewById(R.id.text);
        speed = findViewById(R.id.speed);
        threads = findViewById(R.id.threads);
        speedLabel = findViewById(R.id.speed_label);
        threadsLabel = findViewById(R.id.threads_label);
        status = findViewById(R.id.status);
        speak = findViewById(R.id.speak);

        threads.setProgress(Math.min(4, Runtime.getRuntime().availableProcessors()) - 1);
        SeekBar.OnSeekBarChangeListener labels = new SeekBar.OnSeekBarChangeListener() {
            @Override
            public void onProgressChanged(SeekBar bar, int progress, boolean fromUser) {
                updateLabels();
            }

            @Override
            public void onStartTrackingTouch(SeekBar bar) {
            }

            @Override
            public void onStopTrackingTouch(SeekBar bar) {
            }
        };
        speed.setOnSeekBarChangeListener(labels);
        threads.setOnSeekBarChangeListener(labels);
        updateLabels();
        speak.setOnClickListener(v -> {
            if (speaking) {
                cancel.set(true);
            } else {
                start(text.getText().toString(), speedValue(), threadsValue());
            }
        });
    }

    private float speedValue() {
        return 0.5f + 0.05f * speed.getProgress();
    }

    private int threadsValue() {
        return 1 + threads.getProgress();
    }

    private void updateLabels() {
        speedLabel.setText(getString(R.string.speed_label, speedValue()));
        threadsLabel.setText(getString(R.string.threads_label, threadsValue()));
    }

    private void start(String input, float speedFactor, int threadCount) {
        speaking = true;
        cancel.set(false);
        speak.setText(R.string.stop);
        status.setText(R.string.status_loading);
        worker.execute(() -> {
            String message;
            try {
                if (frontEnd == null) frontEnd = FrontEnd.load(new AndroidAssets(getAssets()));
                if (models == null || models.threads != threadCount) {
                    if (models != null) models.close();
                    models = null;
                    models = TfliteModels.load(getAssets(), threadCount);
                }
                runOnUiThread(() -> status.setText(R.string.status_speaking));
                Synthesizer synthesizer = new Synthesizer(frontEnd, models.student, models.vocoder, models.config);
                Synthesizer.Stats st;
                try (AudioTrackSink sink = new AudioTrackSink(models.config.sampleRate)) {
                    st = synthesizer.synthesize(input, speedFactor, sink, cancel::get);
                    sink.finish(cancel::get);
                }
                Log.i(TAG, st + " threads " + threadCount + ", g2p network " + frontEnd.neuralOov());
                if (st.cancelled || cancel.get()) {
                    message = getString(R.string.status_cancelled);
                } else {
                    double rtf = st.realTimeFactor();
                    message = getString(R.string.status_done, st.audioSeconds(), st.computeSeconds, rtf, 1 / rtf,
                            1000 * st.firstAudioSeconds, 1000 * st.frontEndSeconds, 1000 * st.studentSeconds,
                            st.studentCalls, 1000 * st.vocoderSeconds, st.vocoderCalls);
                }
            } catch (Exception | OutOfMemoryError e) {
                Log.e(TAG, "synthesis failed", e);
                message = getString(R.string.status_error, e.getMessage() != null ? e.getMessage() : e.toString());
            }
            final String shown = message;
            runOnUiThread(() -> {
                speaking = false;
                speak.setText(R.string.speak);
                status.setText(shown);
            });
        });
    }

    @Override
    protected void onStop() {
        super.onStop();
        cancel.set(true); // no speech in the background
    }

    @Override
    protected void onDestroy() {
        cancel.set(true);
        worker.execute(() -> {
            if (models != null) models.close();
            models = null;
        });
        worker.shutdown();
        super.onDestroy();
    }
}
