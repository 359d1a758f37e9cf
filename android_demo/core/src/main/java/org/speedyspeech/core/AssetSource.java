package org.speedyspeech.core;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;

/** Opens the app's assets by name (Android: AssetManager::open; tests and desktop: a directory). */
public interface AssetSource {
    /** @throws FileNotFoundException when there is no such asset */
    InputStream open(String name) throws IOException;

    /** A human-readable location for error messages. */
    default String describe(String name) {
        return "asset " + name;
    }

    static AssetSource directory(File dir) {
        return new AssetSource() {
            @Override
            public InputStream open(String name) throws IOException {
                File f = new File(dir, name);
                if (!f.isFile()) throw new FileNotFoundException(f.getPath() + ": not found");
                return new FileInputStream(f);
            }

            @Override
            public String describe(String name) {
                return new File(dir, name).getPath();
            }
        };
    }
}
