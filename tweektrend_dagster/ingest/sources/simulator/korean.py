"""Korean grammar for simulated posts: batchim and the particles a noun takes.

A Korean noun's particle depends on whether its last syllable ends in a consonant (코로나가,
확진자가 but 백신이): getting this right is what makes the tokeniser's job realistic.
"""

from __future__ import annotations

import re

from tweektrend_dagster.ingest.sources.simulator import vocab as V

HANGUL = re.compile("[\uac00-\ud7a3]")

# Which forms a clause's first noun (the subject) and second noun (object/place) take, with odds
# given by repetition: indexes into the `ko_forms` tuple.
SUBJECT_FORMS = (0, 0, 1, 1, 1, 2, 2, 6)
OBJECT_FORMS = (0, 3, 3, 3, 4, 5, 7, 8, 9)


def has_batchim(word: str) -> bool:
    """True if the last Hangul syllable ends in a consonant (takes 이/은/을, not 가/는/를)."""
    code = ord(word[-1]) - 0xAC00
    if 0 <= code < 11172:
        return code % 28 != 0
    return word[-1].isdigit() and word[-1] in "0136780"  # "코로나19": 십구 -> vowel; crude but fine


def ko_forms(noun: str) -> tuple[str, ...]:
    """(bare, subject, topic, object, at, in, also, of, with, to) forms of a Korean noun."""
    p = V.KO_PARTICLES_BATCHIM if has_batchim(noun) else V.KO_PARTICLES_VOWEL
    subj, topic, obj, with_, to, also, at, in_, of = (noun + x for x in p)
    return (noun, subj, topic, obj, at, in_, also, of, with_, to)
