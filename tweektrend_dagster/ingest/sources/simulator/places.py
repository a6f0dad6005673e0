"""The places a post can be tagged with (Seoul, Busan, New York, ...), by the post's language.

Like users, each place is serialised once as the v2 `includes.places` object; posts pick one
with Zipf odds (the first cities of each list are the busiest).
"""

from __future__ import annotations

import hashlib

import orjson

from tweektrend_dagster.ingest.sources.simulator import vocab as V
from tweektrend_dagster.ingest.sources.simulator.zipf import Zipf


def places_by_lang() -> dict[str, Zipf]:
    """Post language ("ko", "en") -> Zipf over (place id, pre-serialised v2 place)."""
    places: dict[str, list[tuple[str, orjson.Fragment]]] = {"ko": [], "en": []}
    for name, full, cc, bbox, lang in V.PLACES:
        pid = hashlib.sha1(full.encode()).hexdigest()[:16]
        obj = {
            "full_name": full,
            "id": pid,
            "country": V.COUNTRIES[cc],
            "country_code": cc,
            "name": name,
            "place_type": "city",
            "geo": {"type": "Feature", "bbox": list(bbox), "properties": {}},
        }
        places[lang].append((pid, orjson.Fragment(orjson.dumps(obj))))
    return {lang: Zipf(v, 0.8) for lang, v in places.items()}
