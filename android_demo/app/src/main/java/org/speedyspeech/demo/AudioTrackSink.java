package org.speedyspeech.demo;

import android.media.AudioAttributes;
import android.media.AudioFormat;
import android.media.AudioTrack;
import java.util.function.BooleanSupplier;
import org.speedyspeech.core.AudioSink;

/**
 * Plays 16-bit mono PCM as it arrives (AudioTrack in streaming mode): playback starts with the first vocoder window
 * while the next windows are computed. write() blocks while the track's buffer is full; the Synthesizer does not
 * count that time as compute time.
 */
final class AudioTrackSink implements AudioSink, AutoCloseable {
    private final AudioTrack track;
    private long written;
    private boolean started;

    AudioTrackSink(int sampleRate) {
        int min = AudioTrack.getMinBufferSize(sampleRate, AudioFormat.CHANNEL_OUT_MONO, AudioFormat.ENCODING_PCM_16BIT);
        int bytes = Math.max(min, sampleRate / 2 * 2); // >= 0.5 s of audio: rides over a slow window
        track = new AudioTrack.Builder()
                .setAudioAttributes(new AudioAttributes.Builder()
                        .setUsage(AudioAttributes.USAGE_MEDIA)
                        .setContentType(AudioAttributes.CONTENT_TYPE_SPEECH)
                        .build())
                .setAudioFormat(new AudioFormat.Builder()
                        .setEncoding(AudioFormat.ENCODING_PCM_16BIT)
                        .setSampleRate(sampleRate)
                        .setChannelMask(AudioFormat.CHANNEL_OUT_MONO)
                        .build())
                .setTransferMode(AudioTrack.MODE_STREAM)
                .setBufferSizeInBytes(bytes)
                .build();
    }

    @Override
    public void write(short[] pcm, int offset, int n) {
        if (!started) {
            track.play();
            started = true;
        }
        int done = 0;
        while (done < n) {
            int r = track.write(pcm, offset + done, n - done);
            if (r < 0) throw new IllegalStateException("AudioTrack.write failed with code " + r);
            done += r;
        }
        written += n;
    }

    /** Let the queued audio play out (stop() in streaming mode plays what was written), unless cancelled. */
    void finish(BooleanSupplier cancelled) throws InterruptedException {
        if (!started) return;
        if (cancelled.getAsBoolean()) {
            track.pause();
            track.flush();
            return;
        }
        track.stop();
        long deadline = System.nanoTime() + (long) (1e9 * (written / (double) track.getSampleRate() + 2));
        while ((track.getPlaybackHeadPosition() & 0xffffffffL) < written && System.nanoTime() < deadline) {
            if (cancelled.getAsBoolean()) {
                track.pause();
                track.flush();
                return;
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        track.release();
    }
}
