package org.speedyspeech.core;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;

/**
 * Mono 16-bit PCM WAV files: the canonical 44-byte RIFF header (the same bytes soundfile writes for PCM_16), then
 * little-endian samples. {@link #write} writes a whole buffer; an instance streams samples to a file and patches
 * the sizes in {@link #close()}.
 */
public final class WavWriter implements AutoCloseable {
    public static final int HEADER_BYTES = 44;

    private final RandomAccessFile file;
    private final int sampleRate;
    private long samples;
    private final byte[] buf = new byte[8192];

    /** Stream to a file (created or truncated); sizes are written by close(). */
    public WavWriter(File path, int sampleRate) throws IOException {
        checkRate(sampleRate);
        this.sampleRate = sampleRate;
        this.file = new RandomAccessFile(path, "rw");
        file.setLength(0);
        file.write(header(0, sampleRate));
    }

    public void write(short[] pcm, int offset, int n) throws IOException {
        int i = 0;
        while (i < n) {
            int k = Math.min(n - i, buf.length / 2);
            for (int j = 0; j < k; j++) {
                short s = pcm[offset + i + j];
                buf[2 * j] = (byte) s;
                buf[2 * j + 1] = (byte) (s >> 8);
            }
            file.write(buf, 0, 2 * k);
            i += k;
        }
        samples += n;
        if (2 * samples > 0xFFFFFFFFL - 36) throw new IOException("WAV file larger than 4 GB");
    }

    @Override
    public void close() throws IOException {
        try {
            file.seek(0);
            file.write(header(samples, sampleRate));
        } finally {
            file.close();
        }
    }

    private static void checkRate(int sampleRate) {
        if (sampleRate <= 0) throw new IllegalArgumentException("sample rate must be positive, got " + sampleRate);
    }

    /** The 44-byte header of a mono 16-bit PCM WAV file holding {@code numSamples} samples. */
    public static byte[] header(long numSamples, int sampleRate) {
        checkRate(sampleRate);
        long dataBytes = 2 * numSamples;
        byte[] h = new byte[HEADER_BYTES];
        put(h, 0, "RIFF");
        putInt(h, 4, (int) (36 + dataBytes));
        put(h, 8, "WAVE");
        put(h, 12, "fmt ");
        putInt(h, 16, 16);           // fmt chunk size
        putShort(h, 20, 1);          // PCM
        putShort(h, 22, 1);          // mono
        putInt(h, 24, sampleRate);
        putInt(h, 28, sampleRate * 2); // byte rate
        putShort(h, 32, 2);          // block align
        putShort(h, 34, 16);         // bits per sample
        put(h, 36, "data");
        putInt(h, 40, (int) dataBytes);
        return h;
    }

    /** A whole WAV file in memory. */
    public static byte[] toBytes(short[] pcm, int sampleRate) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(HEADER_BYTES + 2 * pcm.length);
        try {
            write(out, pcm, sampleRate);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out.toByteArray();
    }

    public static void write(OutputStream out, short[] pcm, int sampleRate) throws IOException {
        out.write(header(pcm.length, sampleRate));
        byte[] b = new byte[2 * pcm.length];
        for (int i = 0; i < pcm.length; i++) {
            b[2 * i] = (byte) pcm[i];
            b[2 * i + 1] = (byte) (pcm[i] >> 8);
        }
        out.write(b);
    }

    public static void write(File path, short[] pcm, int sampleRate) throws IOException {
        try (OutputStream out = new FileOutputStream(path)) {
            write(out, pcm, sampleRate);
        }
    }

    private static void put(byte[] h, int at, String s) {
        for (int i = 0; i < 4; i++) h[at + i] = (byte) s.charAt(i);
    }

    private static void putInt(byte[] h, int at, int v) {
        h[at] = (byte) v;
        h[at + 1] = (byte) (v >> 8);
        h[at + 2] = (byte) (v >> 16);
        h[at + 3] = (byte) (v >> 24);
    }

    private static void putShort(byte[] h, int at, int v) {
        h[at] = (byte) v;
        h[at + 1] = (byte) (v >> 8);
    }
}
