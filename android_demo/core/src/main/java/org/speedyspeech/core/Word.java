package org.speedyspeech.core;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * One spoken word (its text as the front end read it, e.g. "forty" for "40") or one punctuation mark, with its
 * symbols: Python's {@code speedyspeech_tf.text.Word}. Immutable.
 */
public final class Word {
    public final String text;
    public final List<String> symbols;

    public Word(String text, List<String> symbols) {
        this.text = text;
        this.symbols = Collections.unmodifiableList(symbols);
    }

    public Word(String text, String... symbols) {
        this(text, Arrays.asList(symbols.clone()));
    }

    /** One punctuation mark (". , ? !" or the dash). */
    public boolean isPunctuation() {
        return symbols.size() == 1 && Symbols.isPunctuation(Symbols.idOf(symbols.get(0))) && !"-".equals(symbols.get(0));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Word && ((Word) o).text.equals(text) && ((Word) o).symbols.equals(symbols);
    }

    @Override
    public int hashCode() {
        return text.hashCode() * 31 + symbols.hashCode();
    }

    @Override
    public String toString() {
        return text + " " + symbols;
    }
}
