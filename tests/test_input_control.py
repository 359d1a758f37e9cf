"""Input control without a model: typed phonemes, user lexicons, the SSML subset, silences, and fuzzing of the
front end and the SSML parser (arbitrary Unicode gives words or the documented ValueError, never hangs)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from speedyspeech_tf import text as T
from speedyspeech_tf.text.ssml import BreakPiece, TextPiece, WordsPiece


def words_of(phrases):
    return [[w.text for w in p.words] for p in phrases]


# ------------------------------------------------------------------------------------------- phonemes

def test_phonemes_bypass_g2p():
    words = T.parse_phonemes("HH AH0 L OW1 | W ER1 L D")
    assert [w.symbols for w in words] == [("HH", "AH0", "L", "OW1"), ("W", "ER1", "L", "D")]
    assert T.words_to_phonemes(words) == T.text_to_phonemes("hello world")
    phrases, _, _ = T.plan_phrases(phonemes="HH AH0 L OW1 | , | W ER1 L D | .")
    assert phrases[0].ids_and_owners()[0] == T.text_to_ids("Hello, world.")
    assert phrases[0].ids_and_owners()[1] == [0, 0, 0, 0, -1, 1, -1, 2, 2, 2, 2, -1, 3]
    # extra spaces and empty words are ignored; "-" is the dash
    assert T.parse_phonemes("  HH AH0 L OW1 || | - |  W ER1 L D ") == \
        [T.Word("HH AH0 L OW1", ("HH", "AH0", "L", "OW1")), T.Word("\\-", ("\\-",)),
         T.Word("W ER1 L D", ("W", "ER1", "L", "D"))]


@pytest.mark.parametrize("spec, message", [
    ("HH AH0 L OW9 | W ER1 L D", "unknown phoneme symbol 'OW9' in word 1"),
    ("HH AH0 | hello", "unknown phoneme symbol 'hello' in word 2"),
    ("HH <pad>", "unknown phoneme symbol '<pad>'"),
    ("HH AH0 ,", "mixes phonemes and punctuation"),
    (" | | ", "no phonemes"),
    (", | .", "no phonemes"),
])
def test_bad_phonemes_are_one_line_errors(spec, message):
    with pytest.raises(ValueError, match=message) as e:
        T.plan_phrases(phonemes=spec)
    assert "\n" not in str(e.value)


# -------------------------------------------------------------------------------------------- lexicon

def test_user_lexicon_overrides_dictionary_and_homographs():
    lex = T.parse_user_lexicon("# tomatoes the British way\nTomato T AH0 M AA1 T OW2\nread R EH1 D\n\n"
                               "u.s. Y UW1 EH1 S  # comment\nzyxqub Z IH1 K S K AH0 B\n")
    assert lex["tomato"] == ("T", "AH0", "M", "AA1", "T", "OW2")
    words = T.text_to_words("I read a tomato in the U.S. zyxqub", lex)
    assert [w.symbols for w in words if w.text.lower() in ("read", "tomato", "u.s.", "zyxqub")] == [
        lex["read"], lex["tomato"], lex["u.s."], lex["zyxqub"]]
    assert T.text_to_words("tomato")[0].symbols != lex["tomato"]  # no lexicon: the dictionary
    # a later line wins
    assert T.parse_user_lexicon("a EY1\na AH0")["a"] == ("AH0",)


@pytest.mark.parametrize("line, message", [
    ("tomato T AH0 M XX1 T OW2", "lex:1: unknown phoneme symbol 'XX1'"),
    ("tomato", "lex:1: 'tomato' has no phonemes"),
    ("co-op K OW1 AA2 P", "lex:1: 'co-op' can never be looked up"),
    ("42 F AO1 R", "can never be looked up"),
    ("word , W", "unknown phoneme symbol ','"),
])
def test_bad_lexicon_lines_name_file_and_line(line, message):
    with pytest.raises(ValueError, match=message):
        T.parse_user_lexicon(line, "lex")


def test_lexicon_file(tmp_path):
    path = tmp_path / "my.lex"
    path.write_text("hello HH EH1 L OW0\nbad Q\n", encoding="utf-8")
    with pytest.raises(ValueError, match=f"{path}:2: unknown phoneme symbol 'Q'"):
        T.load_user_lexicon(path)


# ----------------------------------------------------------------------------------------------- SSML

def test_plain_text_stays_plain():
    assert not T.is_ssml("a < b and <b>bold</b>") and not T.is_ssml("speak <speak>")
    assert T.is_ssml('  <?xml version="1.0"?>\n<speak version="1.1">hi</speak>')
    phrases, n, skipped = T.plan_phrases("Is a < b? Yes & no.")
    assert n == 2 and skipped == 0
    assert [p.ids_and_owners()[0] for p in phrases] == [T.text_to_ids("Is a < b?"), T.text_to_ids("Yes & no.")]


def test_plain_text_phrases_are_the_sentences():
    text = "Hello, world. The quick brown fox! ... Done"
    phrases, n, skipped = T.plan_phrases(text)
    assert (n, skipped) == (4, 1)
    assert [p.ids_and_owners()[0] for p in phrases] == [T.text_to_ids(s) for s in T.split_sentences(text)
                                                        if s != "..."]
    assert all(p.pause_after == 0 and p.rate == 1 for p in phrases)


def test_ssml_elements():
    doc = ('<speak>Hello <break time="300ms"/> world. <prosody rate="150%">Fast <prosody rate="x-slow">'
           'slow</prosody></prosody> <sub alias="World Wide Web">WWW</sub> '
           '<say-as interpret-as="characters">Ab1</say-as> <say-as interpret-as="cardinal">1,234</say-as> '
           '<say-as interpret-as="ordinal">3</say-as> <say-as interpret-as="date">2024-03-05</say-as> '
           '<say-as interpret-as="date" format="dmy">25/12/1999</say-as> '
           '<phoneme alphabet="arpabet" ph="T AH0 M AA1 T OW2">tomato</phoneme>'
           '<break strength="strong"/><!-- a comment --> &amp; &#65;&#x42;.</speak>')
    pieces = T.parse_ssml(doc)
    assert isinstance(pieces[0], TextPiece) and pieces[0].text == "Hello "
    assert pieces[1] == BreakPiece(0.3)
    assert [(type(p).__name__, getattr(p, "rate", None)) for p in pieces[3:5]] == [
        ("TextPiece", 1.5), ("TextPiece", 0.75)]
    phrases, _, _ = T.plan_phrases(doc)
    words = words_of(phrases)
    assert words[0] == ["Hello"] and phrases[0].pause_after == pytest.approx(0.3)
    assert words[1] == ["world", "."] and phrases[1].rate == 1.0
    assert words[2] == ["Fast"] and phrases[2].rate == 1.5
    assert words[3] == ["slow"] and phrases[3].rate == pytest.approx(0.75)
    rest = [w for p in phrases[4:] for w in p.words]
    texts = [w.text for w in rest]
    assert texts[:3] == ["World", "Wide", "Web"]
    assert texts[3:6] == ["A", "b", "1"] and rest[3].symbols == ("EY1",) and rest[4].symbols == ("B", "IY1")
    assert " ".join(texts[6:13]) == "one thousand two hundred thirty four third"
    assert " ".join(texts[13:18]) == "March fifth twenty twenty four"
    assert " ".join(texts[18:24]) == "December twenty fifth nineteen ninety nine"
    tomato = texts.index("tomato")
    assert rest[tomato].symbols == ("T", "AH0", "M", "AA1", "T", "OW2")
    assert phrases[4 + [i for i, p in enumerate(phrases[4:]) if "tomato" in [w.text for w in p.words]][0]] \
        .pause_after == pytest.approx(0.75)
    assert texts[-3:] == ["and", "AB", "."]  # &amp; &#65;&#x42;


def test_break_is_exact_and_mid_sentence_and_leading():
    phrases, _, _ = T.plan_phrases('<speak><break time="1.5s"/>One two <break time="250ms"/>three four.'
                                   '<break time="20ms"/><break time="30ms"/></speak>')
    assert [(words_of([p])[0], p.pause_after) for p in phrases] == [
        ([], 1.5), (["One", "two"], 0.25), (["three", "four", "."], pytest.approx(0.05))]


def test_sentence_and_comma_silences():
    text = "One, two. Three; four! Five"
    phrases, _, _ = T.plan_phrases(text, sentence_silence=0.4, comma_silence=0.1)
    assert words_of(phrases) == [["One", ","], ["two", "."], ["Three", ","], ["four", "!"], ["Five"]]
    assert [p.pause_after for p in phrases] == [0.1, 0.4, 0.1, 0.4, 0.0]  # nothing after the last words
    # the same ids as without silences, just cut at the pauses
    joined = [i for p in phrases for i in p.ids_and_owners()[0] + [T.SPACE_ID]][:-1]
    plain = [i for s in T.split_sentences(text) for i in T.text_to_ids(s) + [T.SPACE_ID]][:-1]
    assert joined == plain
    with pytest.raises(ValueError, match="comma silence"):
        T.plan_phrases(text, comma_silence=-1)
    with pytest.raises(ValueError, match="sentence silence"):
        T.plan_phrases(text, sentence_silence=float("nan"))


@pytest.mark.parametrize("doc, message", [
    ("<speak>Hi <emphasis>there</emphasis></speak>", "unsupported tag <emphasis> .*at line 1, column 11"),
    ("<speak>Hi\n  <audio src='x'/></speak>", "unsupported tag <audio> .*at line 2, column 3"),
    ("<speak>a < b</speak>", "stray '<'.* at line 1, column 10"),
    ("<speak>fish & chips</speak>", "stray '&'.* at line 1, column 13"),
    ("<speak>&nbsp;</speak>", "unknown entity &nbsp;"),
    ("<speak>Hi", "<speak> is never closed at line 1, column 1"),
    ("<speak>Hi</prosody></speak>", "</prosody> does not close"),
    ("<speak>Hi</speak> more", "text outside <speak> at line 1, column 18"),
    ("<speak><speak>x</speak></speak>", "a second <speak>"),
    ('<speak><break time="3h"/></speak>', "time '3h'"),
    ('<speak><break time="90s"/></speak>', "longer than 60 s"),
    ('<speak><break strength="huge"/></speak>', "strength 'huge'"),
    ("<speak><break></break></speak>", "<break> must be empty"),
    ('<speak><prosody rate="warp">x</prosody></speak>', "rate 'warp'"),
    ('<speak><prosody rate="-100%">x</prosody></speak>', "not positive"),
    ('<speak><prosody pitch="high">x</prosody></speak>', "does not support the attribute 'pitch'"),
    ('<speak><phoneme alphabet="ipa" ph="x">y</phoneme></speak>', "alphabet 'ipa'"),
    ('<speak><phoneme ph="HH XX">y</phoneme></speak>', "unknown phoneme symbol 'XX'"),
    ('<speak><phoneme>y</phoneme></speak>', "needs the attribute ph"),
    ('<speak><sub>y</sub></speak>', "needs the attribute alias"),
    ('<speak><say-as interpret-as="telephone">1</say-as></speak>', "interpret-as 'telephone'"),
    ('<speak><say-as interpret-as="cardinal">many</say-as></speak>', "needs an integer"),
    ('<speak><say-as interpret-as="date">2024-13-01</say-as></speak>', "month 13"),
    ('<speak><say-as interpret-as="date" format="xyz">1</say-as></speak>', "format 'xyz'"),
    ('<speak><sub alias="a"><break/></sub></speak>', "inside <sub>"),
    ('<speak version="1" version="2">x</speak>', "repeats the attribute version"),
    ('<speak a="1">x</speak>', "does not support the attribute 'a'"),
    ("<speak><!-- open</speak>", "unterminated comment"),
    ('<speak><break time="1s"/></speak>', "nothing pronounceable"),
])
def test_bad_ssml_is_a_one_line_error_naming_the_position(doc, message):
    with pytest.raises(ValueError, match=message) as e:
        T.plan_phrases(doc)
    assert "\n" not in str(e.value)


# ---------------------------------------------------------------------------------------------- fuzzing

_SSML_BITS = st.sampled_from([
    "<speak>", "</speak>", "<break/>", '<break time="10ms"/>', '<break strength="weak"/>', "<prosody rate='fast'>",
    "</prosody>", '<phoneme ph="HH AY1">', "</phoneme>", '<sub alias="x">', "</sub>",
    '<say-as interpret-as="characters">', '<say-as interpret-as="cardinal">', '<say-as interpret-as="date">',
    "</say-as>", "<", ">", "&", "&amp;", "&#0;", "&#x110000;", "\"", "'", "=", "/", "<!--", "-->", "<?xml ?>",
    "hello", "Mr.", "42", "1999-01-02", " ", ".", "\u00e9", "\U0001F600", "\u4e2d", "\x00", "\ud800"])


def _check_plan(text):
    try:
        phrases, _, _ = T.plan_phrases(text, sentence_silence=0.1, comma_silence=0.05)
    except ValueError:
        return
    assert any(p.words for p in phrases)  # something to say: never an empty WAV
    for p in phrases:
        ids, owners = p.ids_and_owners()
        assert len(ids) == len(owners)
        assert all(2 <= i < len(T.SYMBOLS) for i in ids)
        if ids:
            assert ids[0] != T.SPACE_ID and ids[-1] != T.SPACE_ID and owners[0] >= 0
        assert 0 < p.rate and 0 <= p.pause_after


@settings(max_examples=300, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_fuzz_front_end_with_arbitrary_unicode(text):
    _check_plan(text)
    _check_plan("<speak>" + text + "</speak>")


@settings(max_examples=300, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_SSML_BITS, max_size=20).map("".join))
def test_fuzz_ssml_parser(doc):
    _check_plan(doc)
    _check_plan("<speak>" + doc)
    try:
        pieces = T.parse_ssml(doc)
    except ValueError:
        return
    for piece in pieces:
        assert isinstance(piece, (TextPiece, WordsPiece, BreakPiece))


@settings(max_examples=200, deadline=5000)
@given(st.lists(st.sampled_from(sorted(T.PHONEME_SET) + [".", ",", "|", " ", "XX", "-", "?"]), max_size=20)
       .map(" ".join))
def test_fuzz_phonemes(spec):
    try:
        phrases, _, _ = T.plan_phrases(phonemes=spec)
    except ValueError:
        return
    assert any(p.words for p in phrases)
