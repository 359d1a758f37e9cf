package org.speedyspeech.core;

import java.util.List;

/**
 * Pronounces a word that is not in the dictionary. {@code letters} is lower-case ASCII a-z (at least one letter).
 * Returns ARPAbet phonemes of the symbol table; implementations must be thread-safe.
 */
public interface OovPronouncer {
    List<String> pronounce(String letters);
}
