package org.speedyspeech.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.Test;

/** Properties of chunkIds (the vectors pin exact results; these cover random inputs) and sentence splitting. */
public class ChunkingTest {
    private static final int SP = Symbols.SPACE_ID;

    @Test
    public void chunksFitDropOnlySpacesAndPreferPunctuation() {
        Random rng = new Random(7);
        int[] alphabet = {SP, SP, SP, Symbols.PERIOD_ID, Symbols.COMMA_ID, Symbols.DASH_ID, 2, 10, 20, 40, 60, 70};
        for (int k = 0; k < 5000; k++) {
            int[] seq = new int[rng.nextInt(80)];
            for (int i = 0; i < seq.length; i++) seq[i] = alphabet[rng.nextInt(alphabet.length)];
            int maxLen = 1 + rng.nextInt(25);
            List<int[]> chunks = Chunking.chunkIds(seq, maxLen);
            List<Integer> joined = new ArrayList<>();
            for (int[] c : chunks) {
                assertTrue(c.length >= 1 && c.length <= maxLen);
                assertTrue("no space at the ends", c[0] != SP && c[c.length - 1] != SP);
                if (!joined.isEmpty()) joined.add(SP);
                for (int x : c) joined.add(x);
            }
            // only spaces are dropped (at the ends and at the cuts): every other id is kept, in order
            assertEquals(withoutSpaces(Arrays.stream(seq).boxed().collect(java.util.stream.Collectors.toList())),
                    withoutSpaces(joined));
        }
        // a cut after punctuation wins over a later space
        int[] ids = {20, Symbols.COMMA_ID, SP, 20, 20, SP, 20, 20, 20};
        List<int[]> chunks = Chunking.chunkIds(ids, 6);
        assertEquals(2, chunks.size());
        assertArrayEquals(new int[] {20, Symbols.COMMA_ID}, chunks.get(0));
        assertArrayEquals(new int[] {20, 20, SP, 20, 20, 20}, chunks.get(1));
    }

    private static String withoutSpaces(List<Integer> seq) {
        StringBuilder sb = new StringBuilder();
        for (int x : seq) if (x != SP) sb.append(x).append(',');
        return sb.toString();
    }

    @Test
    public void sentencesSplitAtEndsButNotAfterTitlesOrInitials() {
        assertEquals(Arrays.asList("Mr. Smith went to St. Louis.", "He saw Dr. J. Watson there!", "Did he stay?", "No."),
                Chunking.splitSentences("Mr. Smith went to St. Louis. He saw Dr. J. Watson there! Did he stay? No."));
        assertEquals(Arrays.asList("First line", "Second."), Chunking.splitSentences("First line\n\nSecond."));
        assertEquals(Arrays.asList("a. b. c."), Chunking.splitSentences("a. b. c."));
        assertEquals(Arrays.asList(), Chunking.splitSentences(" \n\t "));
    }
}
