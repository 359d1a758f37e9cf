package org.speedyspeech.demo;

import android.content.res.AssetManager;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import org.speedyspeech.core.AssetSource;

/** The core's AssetSource over the APK's assets folder. */
final class AndroidAssets implements AssetSource {
    private final AssetManager assets;

    AndroidAssets(AssetManager assets) {
        this.assets = assets;
    }

    @Override
    public InputStream open(String name) throws IOException {
        try {
            return assets.open(name);
        } catch (FileNotFoundException e) {
            throw new FileNotFoundException("assets/" + name + " is missing");
        }
    }

    @Override
    public String describe(String name) {
        return "assets/" + name;
    }
}
