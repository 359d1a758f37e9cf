"""A seeded generator of English sentences for the self-made demo corpus.

The templates and the vocabulary below were written for this project (no text is taken from LJ Speech or any
public corpus). `generate_sentences(n, seed)` is deterministic and prefix-stable: the first k sentences of
`generate_sentences(n, seed)` are `generate_sentences(k, seed)` for every k <= n, so a corpus can grow or
resume without its existing items changing.

The sentences use only letters, spaces and the punctuation marks `, . ? !` (each of which is itself a symbol
of the model's symbol table), numbers are written as words, and every word is in CMUdict, so the text front
end never has to guess a pronunciation. They are 5..25 words long (LJ Speech: median 17, 5th..95th
percentile 7..27), some have commas, some are questions or exclamations.

Standard library only (no TensorFlow).
"""
from __future__ import annotations

import random
import re
import string
from typing import Callable, Iterator

# Bump whenever the generator's output for a given seed changes (tests pin a hash of the output): a corpus
# records it, and resuming a corpus made by another version is refused.
GENERATOR_VERSION = 1

ALLOWED_CHARACTERS = frozenset(string.ascii_letters + " ,.?!")
MIN_WORDS = 5
MAX_WORDS = 25


# --------------------------------------------------------------------------------------------------------
# Numbers as words. Written here rather than taken from `inflect`: inflect writes hyphens and commas
# ("forty-two", "one thousand, two hundred") that we would have to undo, has no "nineteen oh five" style
# for years, and its output may change between versions, which would silently change a seeded corpus.
_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL_WORDS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth", "nine": "ninth",
    "twelve": "twelfth",
}


def number_words(n: int) -> str:
    """0 <= n < 1,000,000 as words, e.g. 2406 -> 'two thousand four hundred and six'."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"number_words: {n} is outside 0..999999")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (" " + _ONES[ones] if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _ONES[hundreds] + " hundred" + (" and " + number_words(rest) if rest else "")
    thousands, rest = divmod(n, 1000)
    words = number_words(thousands) + " thousand"
    if rest:
        words += (" and " if rest < 100 else " ") + number_words(rest)
    return words


def ordinal_words(n: int) -> str:
    """1 <= n < 1,000,000 as an ordinal, e.g. 21 -> 'twenty first', 40 -> 'fortieth'."""
    if n < 1:
        raise ValueError(f"ordinal_words: {n} is not positive")
    words = number_words(n).split()
    last = words[-1]
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return " ".join(words[:-1] + [last])


def year_words(year: int) -> str:
    """A year read the usual way: 1905 -> 'nineteen oh five', 1800 -> 'eighteen hundred',
    2007 -> 'two thousand seven', 2023 -> 'twenty twenty three'."""
    if not 1100 <= year <= 2099:
        raise ValueError(f"year_words: {year} is outside 1100..2099")
    if 2000 <= year < 2010:
        return "two thousand" + (" " + _ONES[year - 2000] if year > 2000 else "")
    century, rest = divmod(year, 100)
    head = number_words(century)
    if rest == 0:
        return head + " hundred"
    if rest < 10:
        return head + " oh " + _ONES[rest]
    return head + " " + number_words(rest)


# --------------------------------------------------------------------------------------------------------
# Vocabulary. People carry a grammatical gender so that later pronouns agree.
_NAMES = [(name, "m") for name in (
    "Thomas George Peter Victor Oscar Edward Walter Martin Arthur Hugo Daniel Samuel Harold Leonard Frank "
    "Benjamin Vincent Roger Gordon Stanley Albert Dennis Felix Simon").split()] + [
    (name, "f") for name in (
    "Anna Maria Julia Helen Ruth Lucy Joyce Sarah Nora Rose Emily Grace Margaret Irene Alice Charlotte "
    "Judith Sophie Vera Dorothy Agnes Clara Eva Linda").split()]

# (noun, gender); gender "?" draws he or she.
_PERSON_NOUNS = [(n, "?") for n in (
    "farmer captain doctor baker judge pilot librarian engineer mayor nurse shepherd gardener carpenter "
    "driver painter teacher clerk lawyer cook guard sailor tailor student stranger tourist shopkeeper "
    "musician witness officer manager photographer scientist dentist jeweler merchant").split()] + [
    ("postman", "m"), ("fisherman", "m"), ("policeman", "m"), ("young man", "m"), ("boy", "m"),
    ("old woman", "f"), ("little girl", "f"), ("landlady", "f"), ("queen", "f"), ("king", "m"),
]
_RELATIVES = [("brother", "m"), ("sister", "f"), ("grandfather", "m"), ("grandmother", "f"), ("aunt", "f"),
              ("uncle", "m"), ("cousin", "?"), ("neighbor", "?"), ("father", "m"), ("mother", "f")]
_PERSON_ADJECTIVES = ("old young tall quiet tired clever careful cheerful nervous patient famous lonely brave "
                      "polite busy honest curious gentle anxious elderly").split()

_PRONOUNS = {"m": ("he", "him", "his"), "f": ("she", "her", "her")}

# Physical objects that any of the transitive verbs below can take, without an article.
_OBJECTS = [
    "wooden box", "letter", "basket of apples", "silver key", "heavy coat", "old map", "umbrella",
    "jar of honey", "small treasure chest", "pair of leather boots", "violin", "yellow kite", "newspaper",
    "loaf of bread", "bottle of olive oil", "bag of sugar", "thick book", "broken chair", "bunch of flowers",
    "brown envelope", "toy boat", "kitchen clock", "wool blanket", "parcel", "wedding photograph",
    "oil lamp", "fishing rod", "bucket of water", "pocket watch", "golden ring", "leather purse",
    "bicycle pump", "tin of biscuits", "blue vase", "garden hose", "bundle of firewood", "measuring tape",
    "pair of gloves", "cheese sandwich", "orange scarf", "television", "heavy suitcase", "jug of milk",
    "wooden spoon", "pencil", "camera", "telescope", "bag of coins", "packet of seeds", "crystal glass",
]
# (base, past) transitive verbs that fit every object above.
_TRANSITIVE = [
    ("carry", "carried"), ("find", "found"), ("buy", "bought"), ("sell", "sold"), ("lose", "lost"),
    ("drop", "dropped"), ("bring", "brought"), ("wrap", "wrapped"), ("hide", "hid"), ("examine", "examined"),
    ("borrow", "borrowed"), ("deliver", "delivered"), ("forget", "forgot"), ("notice", "noticed"),
    ("pick up", "picked up"), ("put down", "put down"), ("look at", "looked at"), ("hold", "held"),
    ("move", "moved"), ("give away", "gave away"), ("choose", "chose"), ("keep", "kept"), ("take", "took"),
    ("steal", "stole"), ("send", "sent"), ("return", "returned"), ("leave", "left"), ("pack", "packed"),
]
# (base, past) verb phrases without an object slot; {his} agrees with the subject.
_INTRANSITIVE = [
    ("walk home slowly", "walked home slowly"), ("wait by the window", "waited by the window"),
    ("fall asleep on the train", "fell asleep on the train"), ("sing a cheerful song", "sang a cheerful song"),
    ("laugh for a long time", "laughed for a long time"), ("stay at home", "stayed at home"),
    ("go fishing", "went fishing"), ("read the whole book", "read the whole book"),
    ("cook a large dinner", "cooked a large dinner"), ("write a long letter", "wrote a long letter"),
    ("play the piano", "played the piano"), ("watch the ships", "watched the ships"),
    ("count the coins", "counted the coins"), ("climb the hill", "climbed the hill"),
    ("fix the roof", "fixed the roof"), ("join the choir", "joined the choir"),
    ("drive to the city", "drove to the city"), ("miss the last bus", "missed the last bus"),
    ("measure the room", "measured the room"), ("enjoy the quiet evening", "enjoyed the quiet evening"),
    ("think about the future", "thought about the future"), ("change {his} mind", "changed {his} mind"),
    ("wash the dishes", "washed the dishes"), ("plant tomatoes", "planted tomatoes"),
    ("visit an old friend", "visited an old friend"), ("cross the street", "crossed the street"),
    ("answer the telephone", "answered the telephone"), ("lock the front door", "locked the front door"),
    ("feed the chickens", "fed the chickens"), ("swim across the lake", "swam across the lake"),
    ("study the old maps", "studied the old maps"), ("knock on the door", "knocked on the door"),
    ("take a photograph of the tower", "took a photograph of the tower"),
    ("order a cup of tea", "ordered a cup of tea"), ("pay the bill", "paid the bill"),
    ("give a short speech", "gave a short speech"), ("speak to the police", "spoke to the police"),
    ("work late", "worked late"), ("build a small shed", "built a small shed"),
    ("repair the fence", "repaired the fence"), ("catch a large fish", "caught a large fish"),
    ("pack a suitcase", "packed a suitcase"), ("check the engine", "checked the engine"),
    ("turn off the lights", "turned off the lights"), ("lose {his} way", "lost {his} way"),
    ("call the doctor", "called the doctor"), ("paint the garage door", "painted the garage door"),
    ("buy fresh vegetables", "bought fresh vegetables"), ("sweep the yard", "swept the yard"),
    ("choose a new pair of shoes", "chose a new pair of shoes"), ("leave early", "left early"),
    ("tell a funny story", "told a funny story"), ("hurry to the station", "hurried to the station"),
    ("bake a birthday cake", "baked a birthday cake"), ("wear {his} best jacket", "wore {his} best jacket"),
    ("search the house", "searched the house"), ("open the windows", "opened the windows"),
    ("move to a bigger house", "moved to a bigger house"), ("fly to Boston", "flew to Boston"),
    ("sign the contract", "signed the contract"), ("ring the bell", "rang the bell"),
    ("enjoy the view", "enjoyed the view"), ("avoid the noisy crowd", "avoided the noisy crowd"),
    ("pull the boat ashore", "pulled the boat ashore"), ("push the cart up the hill", "pushed the cart up the hill"),
    ("pour a glass of juice", "poured a glass of juice"), ("watch television", "watched television"),
]
_PLACES = [
    "at the harbor", "in the village square", "near the train station", "inside the library",
    "at the market", "on the old bridge", "in the garden", "behind the museum", "in the kitchen",
    "outside the hospital", "along the river bank", "by the fountain", "at the bus stop", "in the church",
    "on the beach", "in the garage", "under the big oak tree", "at the top of the hill",
    "in the back of the shop", "on the third floor", "next to the post office", "in the attic",
    "at the edge of the forest", "near the lighthouse", "in the hotel lobby", "on the platform",
    "outside the courthouse", "in the school yard", "beside the old mill", "at the bakery",
]
_DESTINATIONS = ("to the kitchen", "to the garage", "into the house", "upstairs", "to the car",
                 "to the station", "across the yard", "back to the shop", "to the attic")
_TIMES = [
    "this morning", "yesterday afternoon", "last winter", "on Tuesday evening", "after lunch",
    "before the storm", "early in the spring", "at midnight", "during the summer holidays", "every Sunday",
    "the next day", "later that night", "on Friday morning", "last autumn", "at dawn", "before breakfast",
    "on Monday", "on Thursday afternoon", "on Wednesday", "on Saturday night", "in the evening",
    "{count_small} days ago", "{count_small} weeks ago", "on the {day_ordinal} of {month}", "in {year}",
    "at {clock}", "last {season}", "the following week",
]
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_MONTHS = "January February March April May June July August September October November December".split()
_SEASONS = ("spring", "summer", "autumn", "winter")
_CITIES = ("London Boston Chicago Dublin Paris Vienna Madrid Denver Seattle Glasgow Toronto Sydney Lisbon "
           "Geneva Prague Oslo Houston Atlanta Berlin Rome Edinburgh Montreal Stockholm Warsaw").split()
_PLURALS = ("apples boxes letters ships houses birds chairs windows books coins trees sheep children people "
            "soldiers visitors passengers horses bottles candles stones pages bridges ducks boats cows "
            "umbrellas bicycles lamps geese").split()
_PEOPLE_PLURAL = ("workers soldiers students visitors passengers witnesses volunteers nurses farmers "
                  "members villagers sailors teachers").split()
_GOODS = ("cheese|bread|fresh eggs|warm rolls|apples|oranges|candles|soap|coffee|tea|sugar|flour|honey|jam|"
          "wool|rope|nails|toys|postcards|umbrellas|newspapers|tomatoes|potatoes|onions|cabbages|biscuits|"
          "cakes|fish|butter|string|envelopes|pencils|mushrooms|strawberries|buttons").split("|")
_ADJ_SINGLE = ("beautiful strange lovely terrible curious wonderful noisy peaceful pleasant dreadful "
               "remarkable splendid gloomy charming").split()
_EXCLAIM_NOUNS = ("evening journey song story storm meal surprise voyage choice decision occasion idea garden "
                  "view voice afternoon performance").split()
_COLORS = ("red blue green yellow brown black white grey purple orange").split()
_SIZES = [("large", "small"), ("old", "new"), ("cheap", "expensive"), ("short", "long"), ("plain", "fancy"),
          ("heavy", "light"), ("wide", "narrow"), ("soft", "hard")]
_CHOICE_NOUNS = "coat hat chair boat horse room road book car blanket table jacket lamp rug".split()
# (structure, [(dimension noun, adjective)]) for measurements that make sense.
_STRUCTURES = [
    ("tower", [("height", "high"), ("width", "wide")]), ("bridge", [("length", "long"), ("width", "wide")]),
    ("wall", [("height", "high"), ("length", "long")]), ("room", [("length", "long"), ("width", "wide")]),
    ("garden", [("length", "long"), ("width", "wide")]), ("boat", [("length", "long")]),
    ("lake", [("depth", "deep"), ("length", "long")]), ("tunnel", [("length", "long")]),
    ("well", [("depth", "deep")]), ("fence", [("height", "high"), ("length", "long")]),
    ("swimming pool", [("depth", "deep"), ("length", "long")]), ("church", [("height", "high")]),
]
_UNITS = ("feet", "yards", "meters", "inches")
_WEATHER = [
    "the sky was grey and the wind was cold", "it rained all morning", "the snow was deep",
    "the sun was shining", "a thick fog covered the valley", "the air was warm and still",
    "thunder rolled over the hills", "the river had frozen", "a strong wind was blowing from the north",
    "the roads were wet and slippery", "it was the hottest day of the year", "a light rain began to fall",
]
_TAILS = [
    "because {he} was tired", "although it was already late", "and nobody noticed", "just as the bells began to ring",
    "while the others were still asleep", "but {he} did not say a word", "as {he} usually did",
    "and then went straight to bed", "which surprised everyone", "even though it was raining",
    "before anyone could stop {him}", "with a smile on {his} face", "and the neighbors were annoyed by the noise",
    "as quickly as {he} could", "without telling anybody", "for the first time in {his} life",
    "to the great pleasure of {his} family", "and that was the end of it", "much to the amusement of the children",
]
_IMPERATIVES = ("close the windows|feed the cat|lock the garage|turn off the lights|water the flowers|"
                "put the books back on the shelf|check the engine|wash your hands|pack your things|"
                "sweep the kitchen floor|write down the address|switch off the television|"
                "take the dog for a walk|pay the rent").split("|")
_EVENTS = ("you leave|the guests arrive|it gets dark|the train comes|we go to bed|the shop closes|"
           "the children wake up|the rain starts|your father comes home|the meeting begins").split("|")
_CONSEQUENCES = ("we will be late|the shop will close|nobody will help us|the plants will die|"
                 "the milk will go sour|you will regret it|the boss will be angry|the soup will get cold").split("|")
_EVER = ("seen a whale|ridden a horse|climbed a mountain|been to {city}|heard such a strange noise|"
         "tasted fresh figs|flown in a small plane|sailed across the ocean|slept under the stars|"
         "read a book twice|lost your way in a forest|met a famous person|written a poem|"
         "built a castle of sand|played chess with a computer|watched the sun rise over the sea|"
         "eaten a whole pie by yourself|fallen asleep at the cinema|broken a window|"
         "grown your own vegetables|sung in a choir|won a prize").split("|")
_ANIMALS = [("dog", "barked"), ("owl", "hooted"), ("frogs", "called"), ("cattle", "bellowed"),
            ("wolves", "howled"), ("rooster", "crowed"), ("lion", "roared"), ("birds", "sang"),
            ("bees", "buzzed"), ("geese", "screeched"), ("pigs", "grunted"), ("mice", "squeaked"),
            ("bear", "growled"), ("snake", "hissed")]
_VEHICLES = ("train ferry bus ship coach plane boat tram").split()
_OCCUPATIONS = ("a teacher|an engineer|a nurse|a cook|a carpenter|a clerk in a bank|a journalist|a gardener|"
                "a doctor|a waiter|a translator|a bookkeeper|a porter at the station|a shoemaker|"
                "an architect|a chemist").split("|")
_STREETS = ("Maple Church Bridge Mill Station King Queen Garden North River Market Harbor Cherry Oak "
            "Elm Hill").split()
_STREET_KINDS = ("Street", "Road", "Lane", "Avenue")
_SHOPS = ("little shop|old bakery|corner store|market stall|grocery|general store|farm shop").split("|")
_BUILDINGS = ("museum|library|bank|post office|bakery|swimming pool|town hall|pharmacy").split("|")
_DAYS_OPEN = ("on weekdays|on Saturdays|in the summer|during the holidays|every day except Sunday").split("|")
_ROOMS = "kitchen hall attic cellar bedroom classroom office library workshop".split()
_ROOM_ADJ = "cold dark quiet warm tidy empty crowded dusty bright damp".split()
_FURNITURE = "table floor piano desk bed sofa bench shelf".split()
_COVERINGS = ("dust|papers|books|flour|old newspapers|flowers|toys|wet coats|tools|sheets of music").split("|")
_PASSIVES = "hired trained questioned rescued employed invited interviewed thanked warned".split()
_PERIODS = ("winter|summer|flood|strike|war|election|festival|first week").split("|")
_GROUP_EVENTS = ("concert|festival|parade|football match|race|fair|exhibition|meeting|wedding").split("|")
_PROPOSALS = ("plan|bridge|school|library|law|rules|road|budget|park").split("|")
_DOCUMENTS = ("letter|contract|report|agreement|will|order|note|treaty").split("|")
_DOC_VERBS = ("signed|dated|written|sent|found|delivered").split("|")
_WITNESS_SAW = ("seen the car|heard a loud noise|locked the door|spoken to the driver|left the house|"
                "noticed a light in the window|found the gate open|heard voices in the garden").split("|")
# Past participle phrases that fit any third-person subject.
_PP_THIRD = _WITNESS_SAW + ("seen a whale|ridden a horse|climbed a mountain|been to {city}|met a famous person|"
                            "written a poem|won a prize|broken a window|sold the old car").split("|")
_FEELINGS = ("tired|hungry|happy|worried|cold|bored|proud|annoyed|surprised|disappointed").split("|")
_NOBODY = ("but nobody came|but the door stayed shut|and then we went home|but the rain did not stop|"
           "until the lights came on|and nothing happened").split("|")
_PRICE_JUDGEMENTS = ("far too much|rather cheap|a fair price|quite reasonable|a little expensive|"
                     "a bargain").split("|")

# Sentence templates. {slot} is filled from _SLOTS (strings and lists are expanded recursively);
# {person} sets the pronouns {he} {him} {his} used after it; A_AN becomes "a" or "an" by the next word.
_TEMPLATES = [
    "{time_prefix}{person} {tv_past} {object} {place}{tail}.",
    "{person} {iv_past} {time}{tail}.",
    "{person} {iv_past_here} {place} and then {iv_past}.",
    "Did {person} really {tv_base} {object} {time}?",
    "Why did {person} {iv_base} {time}?",
    "There were {count} {plural} {place} when {person} arrived.",
    "{person} paid {price} for {object}, which seemed {price_judgement}.",
    "The {vehicle} left at {clock} and arrived {count_small} hours later.",
    "In {year}, {person} moved to {city}, where {he} worked as {occupation}.",
    "How many {plural} did you see {place}?",
    "{Weather}, so {person} {iv_past}.",
    "{person} said that {person} had {pp_phrase} {time}.",
    "If the weather is {good_weather} tomorrow, we will {iv_base_any}.",
    "Please {imperative} before {event}.",
    "What a {adj_single} {exclaim_noun} that was!",
    "The {document} was {doc_verb} on the {day_ordinal} of {month}, {year}.",
    "Nobody knew why the {object_noun} had been left {place}.",
    "{person} counted {count} {plural} and wrote the number in {his} notebook.",
    "After {after_event}, {person} {iv_past}{tail}.",
    "Is it true that {person} {iv_past} {time}?",
    "The {dimension_sentence}.",
    "{person} measured the {measure_sentence}.",
    "{person} usually {iv_present} on {weekday} {day_parts}.",
    "We waited for {count_small} {minutes_hours}, {nobody}.",
    "The {shop} on {street} sells {goods}, {goods} and {goods}.",
    "About {percent} percent of the {people_plural} voted for the new {proposal}.",
    "When {person} opened the door, {he} saw A_AN {object_noun} on the floor.",
    "{name} and {name} {iv_past} {time}.",
    "Where did you put the {object_noun}?",
    "Could you {carry_verb} the {object_noun} {destination}, please?",
    "{person} has lived in {city} for {count_small} years and still {iv_present} every {weekday}.",
    "The {building} opens at {clock} and closes at {clock} {days_open}.",
    "{person} was born in {city} in {year}, and {he} still remembers the house on {street}.",
    "Have you ever {ever}{vocative}?",
    "It took {person} {count_small} hours to {iv_base}.",
    "The {animal_sentence} {place} all night.",
    "The home team won the {game} by {score}.",
    "{big_number} people attended the {group_event} in {city} last {season}.",
    "{person} bought {count} {goods_countable} for {price}{tail}.",
    "The {room} was {room_adj}, and the {furniture} was covered in {covering}.",
    "Tell me, why would anyone {iv_base_any} {time}?",
    "According to the report, {count} {people_plural} were {passive} during the {period}.",
    "The witness told the court that {he_person} had {witness_saw} {time}.",
    "Which {choice_noun} did {person} choose, the {choice_pair} one?",
    "On the {ordinal_small} day of the journey, {person} saw the ocean for the first time.",
    "{count_small} {time_units} later, {person} {iv_past}{tail}.",
    "The {person_noun} could not believe that the {vehicle} was {count_small} minutes late again.",
    "Remember to {iv_base_any} {time}, or {consequence}.",
    "{person} was {feeling}, so {he} decided to {iv_base}.",
    "The {object_noun} that {person} {tv_past} {time} was worth {price}.",
    "How long did it take {person} to {iv_base}?",
    "{person} asked whether the {building} would be open on {weekday}.",
    "Every {season}, {person} {iv_past_here} {place}, and this year was no different.",
    "Our train was delayed by {count_small} hours, {nobody}.",
    "Listen, the {animal_sentence} again!",
    "{person} {tv_past} A_AN {object_noun} and gave it to {person}.",
    "{Time}, {person} {tv_past} {object} {place}, {tail_clause}.",
    "Although {weather}, {person} {iv_past_here} {place}{tail}.",
    "{person} {iv_past} {time}, and later that evening {he} {iv_past}{tail}.",
    "Because the {vehicle} was {count_small} hours late, {person} {iv_past_here} {place} and {iv_past}.",
    "The {person_noun} explained that the {object_noun} had been found {place} by {person} {time}.",
    "Before {person} {iv_past}, {he} {tv_past} {object} {place} and {iv_past}.",
    "Do you remember the {season} when {person} {iv_past} and {person} {iv_past}?",
    "It was {clock} when {person} finally {iv_past}, so the rest of us {iv_past}{tail}.",
]


def _person(ctx: "_Context") -> str:
    rng = ctx.rng
    while True:  # two different people in one sentence
        r = rng.random()
        if r < 0.35:
            text, gender = rng.choice(_NAMES)
        elif r < 0.55:
            noun, gender = rng.choice(_RELATIVES)
            text = rng.choice(("my", "our", "your")) + " " + noun
        else:
            noun, gender = rng.choice(_PERSON_NOUNS)
            if rng.random() < 0.4 and " " not in noun:
                noun = rng.choice(_PERSON_ADJECTIVES) + " " + noun
            text = "the " + noun
        if text not in ctx.used:
            break
    ctx.used.add(text)
    ctx.set_gender(gender)
    return text


def _person_noun(ctx: "_Context") -> str:
    noun, gender = ctx.rng.choice(_PERSON_NOUNS)
    ctx.set_gender(gender)
    return noun


def _he_person(ctx: "_Context") -> str:
    ctx.set_gender("?")
    return ctx.pronouns[0]


def _name(ctx: "_Context") -> str:
    # Two different names in one sentence.
    while True:
        name = ctx.rng.choice(_NAMES)[0]
        if name not in ctx.used:
            ctx.used.add(name)
            return name


# Verb phrases that already say where they happen: not followed by a {place}.
_LOCATED = re.compile(r"\b(home|window|train|street|across|door|house|station|city|Boston|ashore|hill|"
                      r"tower|yard|lake|roof|fence|garage|to|at)\b")


def _iv(form: int, personal: bool = True, located: bool = True) -> Callable[["_Context"], str]:
    """Verb phrase slot: form 0 base, 1 past, 2 third person present. `personal=False` leaves out the
    phrases with a possessive ({his}), for sentences whose subject is "we" or "anyone"; `located=False`
    those that name a place, for sentences that add one."""
    choices = _INTRANSITIVE if personal else [p for p in _INTRANSITIVE if "{his}" not in p[0]]
    if not located:
        choices = [p for p in choices if not _LOCATED.search(p[0])]

    def pick(ctx: "_Context") -> str:
        # Two different verb phrases in one sentence.
        while True:
            phrase = ctx.rng.choice(choices)
            if phrase[0] not in ctx.used:
                ctx.used.add(phrase[0])
                return phrase[form] if form < 2 else _third_person(phrase[0])
    return pick


def _third_person(phrase: str) -> str:
    """'walk home' -> 'walks home', 'go fishing' -> 'goes fishing', 'study maps' -> 'studies maps'."""
    verb, _, rest = phrase.partition(" ")
    if verb == "have":
        verb = "has"
    elif re.search(r"(s|sh|ch|x|z|o)$", verb):
        verb += "es"
    elif re.search(r"[^aeiou]y$", verb):
        verb = verb[:-1] + "ies"
    else:
        verb += "s"
    return verb + (" " + rest if rest else "")


def _object(ctx: "_Context") -> str:
    noun = ctx.rng.choice(_OBJECTS)
    return ctx.rng.choice(("the", "A_AN", "A_AN", "{his}", "the")) + " " + noun


def _price(ctx: "_Context") -> str:
    rng = ctx.rng
    dollars = rng.choice((rng.randint(2, 20), rng.randint(21, 99), rng.randint(100, 2500)))
    text = number_words(dollars) + " dollars"
    if rng.random() < 0.3:
        cents = rng.randint(1, 99)
        text += " and " + number_words(cents) + (" cents" if cents > 1 else " cent")
    return text


def _clock(ctx: "_Context") -> str:
    rng = ctx.rng
    hour = number_words(rng.randint(1, 12))
    kind = rng.randrange(5)
    if kind == 0:
        return "half past " + hour
    if kind == 1:
        return "a quarter to " + hour
    if kind == 2:
        return "a quarter past " + hour
    if kind == 3:
        return hour + " " + rng.choice(("in the morning", "in the evening", "sharp"))
    return hour + " " + number_words(rng.choice((10, 15, 20, 25, 30, 35, 40, 45, 50)))


def _measure(with_dimension_noun: bool) -> Callable[["_Context"], str]:
    def pick(ctx: "_Context") -> str:
        rng = ctx.rng
        structure, dims = rng.choice(_STRUCTURES)
        noun, adjective = rng.choice(dims)
        amount = number_words(rng.choice((rng.randint(3, 40), rng.randint(41, 900))))
        unit = rng.choice(_UNITS)
        if with_dimension_noun:
            return f"{noun} of the {structure} was about {amount} {unit}"
        return f"{structure} and found that it was {amount} {unit} {adjective}"
    return pick


def _score(ctx: "_Context") -> str:
    a, b = sorted(ctx.rng.sample(range(3, 60), 2), reverse=True)
    return f"{number_words(a)} points to {number_words(b)}"


def _choice_pair(ctx: "_Context") -> str:
    rng = ctx.rng
    if rng.random() < 0.5:
        a, b = rng.sample(_COLORS, 2)
    else:
        a, b = rng.sample(rng.choice(_SIZES), 2)
    return f"{a} one or the {b}"


def _big_number(ctx: "_Context") -> str:
    rng = ctx.rng
    return number_words(rng.choice((rng.randint(120, 999), rng.randint(1000, 99999), rng.randint(1000, 9000))))


def _goods(ctx: "_Context") -> str:
    # Different goods within one list.
    while True:
        item = ctx.rng.choice(_GOODS)
        if item not in ctx.used:
            ctx.used.add(item)
            return item


def _animal_sentence(ctx: "_Context") -> str:
    animal, verb = ctx.rng.choice(_ANIMALS)
    return f"{animal} {verb}"


_SLOTS: dict[str, object] = {
    "person": _person, "person_noun": _person_noun, "he_person": _he_person, "name": _name,
    "he": lambda ctx: ctx.pronouns[0], "him": lambda ctx: ctx.pronouns[1], "his": lambda ctx: ctx.pronouns[2],
    "tv_base": lambda ctx: ctx.rng.choice(_TRANSITIVE)[0], "tv_past": lambda ctx: ctx.rng.choice(_TRANSITIVE)[1],
    "iv_base": _iv(0), "iv_past": _iv(1), "iv_present": _iv(2), "iv_base_any": _iv(0, personal=False),
    "iv_past_here": _iv(1, located=False),
    "object": _object, "object_noun": _OBJECTS, "place": _PLACES, "destination": _DESTINATIONS,
    "time": _TIMES, "time_prefix": ["", "", "", "{Time}, "], "Time": _TIMES,
    "tail": ["", "", "", ", {tail_clause}", ", {tail_clause}"], "tail_clause": _TAILS,
    "count_small": lambda ctx: number_words(ctx.rng.randint(2, 12)),
    "count": lambda ctx: number_words(ctx.rng.choice((ctx.rng.randint(2, 30), ctx.rng.randint(31, 999)))),
    "percent": lambda ctx: number_words(ctx.rng.randint(5, 95)),
    "big_number": _big_number, "price": _price, "clock": _clock,
    "year": lambda ctx: year_words(ctx.rng.choice((ctx.rng.randint(1700, 2029), ctx.rng.randint(1900, 2029)))),
    "day_ordinal": lambda ctx: ordinal_words(ctx.rng.randint(1, 31)),
    "ordinal_small": lambda ctx: ordinal_words(ctx.rng.randint(2, 40)),
    "month": _MONTHS, "weekday": _WEEKDAYS, "season": _SEASONS, "city": _CITIES,
    "day_parts": ("mornings", "evenings", "afternoons"), "plural": _PLURALS, "people_plural": _PEOPLE_PLURAL,
    "goods": _goods, "goods_countable": ("eggs", "apples", "candles", "oranges", "envelopes", "pencils",
                                         "buttons", "postcards", "onions", "rolls"),
    "price_judgement": _PRICE_JUDGEMENTS, "vehicle": _VEHICLES, "occupation": _OCCUPATIONS,
    "Weather": _WEATHER, "weather": _WEATHER, "pp_phrase": _PP_THIRD,
    "good_weather": ("fine", "dry", "warm", "clear", "pleasant", "sunny"),
    "imperative": _IMPERATIVES, "event": _EVENTS, "adj_single": _ADJ_SINGLE, "exclaim_noun": _EXCLAIM_NOUNS,
    "document": _DOCUMENTS, "doc_verb": _DOC_VERBS,
    "after_event": ("breakfast", "the meeting", "a long walk", "the concert", "the storm", "lunch",
                    "finishing the work", "reading the letter", "closing the shop", "the funeral",
                    "a short rest", "the wedding"),
    "dimension_sentence": _measure(True), "measure_sentence": _measure(False),
    "minutes_hours": ("minutes", "hours"), "nobody": _NOBODY,
    "shop": _SHOPS, "street": ["{street_name} {street_kind}"], "street_name": _STREETS,
    "street_kind": _STREET_KINDS, "proposal": _PROPOSALS,
    "carry_verb": ("bring", "carry", "take", "move"), "building": _BUILDINGS, "days_open": _DAYS_OPEN,
    "ever": _EVER, "vocative": ["", "", ", {name}"], "animal_sentence": _animal_sentence,
    "game": ("match", "game", "final"), "score": _score, "group_event": _GROUP_EVENTS,
    "room": _ROOMS, "room_adj": _ROOM_ADJ, "furniture": _FURNITURE, "covering": _COVERINGS,
    "passive": _PASSIVES, "period": _PERIODS, "witness_saw": _WITNESS_SAW, "choice_noun": _CHOICE_NOUNS,
    "choice_pair": _choice_pair, "time_units": ("days", "weeks", "months", "years"),
    "consequence": _CONSEQUENCES, "feeling": _FEELINGS,
}

_SLOT_RE = re.compile(r"\{(\w+)\}")
_VOWEL_EXCEPTIONS = ("uni", "use", "usu", "eu", "one")  # vowel letters sounding like a consonant: "a usual"
_SILENT_H = ("hour", "honest", "heir")  # consonant letters sounding like a vowel: "an hour"


class _Context:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.pronouns = _PRONOUNS["m"]
        self.used: set[str] = set()

    def set_gender(self, gender: str) -> None:
        if gender == "?":
            gender = self.rng.choice("mf")
        self.pronouns = _PRONOUNS[gender]


def _expand(text: str, ctx: _Context, depth: int = 0) -> str:
    if depth > 8:
        raise RecursionError(f"sentence template nests too deeply: {text!r}")

    def fill(match: re.Match) -> str:
        slot = _SLOTS[match.group(1)]
        value = slot(ctx) if callable(slot) else ctx.rng.choice(slot)
        return _expand(value, ctx, depth + 1)

    return _SLOT_RE.sub(fill, text)


def _article(word: str) -> str:
    w = word.lower()
    if w.startswith(_SILENT_H):
        return "an"
    if w[:1] in "aeiou" and not w.startswith(_VOWEL_EXCEPTIONS):
        return "an"
    return "a"


def _finish(text: str) -> str:
    text = re.sub(r"A_AN (\w+)", lambda m: _article(m.group(1)) + " " + m.group(1), text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r" ([,.?!])", r"\1", text)
    return text[:1].upper() + text[1:]


def make_sentence(rng: random.Random) -> str:
    """One sentence drawn with `rng` (any length; `iter_sentences` filters by length)."""
    return _finish(_expand(rng.choice(_TEMPLATES), _Context(rng)))


def iter_sentences(seed: int = 0) -> Iterator[str]:
    """An endless stream of unique sentences of MIN_WORDS..MAX_WORDS words, deterministic for `seed`."""
    rng = random.Random(seed)
    seen: set[str] = set()
    misses = 0
    while True:
        sentence = make_sentence(rng)
        if sentence in seen or not MIN_WORDS <= len(sentence.split()) <= MAX_WORDS:
            misses += 1
            if misses > 10_000:
                raise RuntimeError(f"the sentence generator ran out of new sentences after {len(seen)}")
            continue
        misses = 0
        seen.add(sentence)
        yield sentence


def generate_sentences(n: int, seed: int = 0) -> list[str]:
    """The first `n` sentences of `iter_sentences(seed)`: unique, deterministic, prefix-stable."""
    if n < 0:
        raise ValueError(f"number of sentences must be >= 0, got {n}")
    stream = iter_sentences(seed)
    return [next(stream) for _ in range(n)]


def sentence_words(sentence: str) -> list[str]:
    """The lower-case words of a sentence, punctuation removed."""
    return re.findall(r"[a-z]+", sentence.lower())
