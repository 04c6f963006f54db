"""Version-1 readings, upgraded in memory to the current format with no change of meaning.

Nothing is rewritten on disk: ``briefkit check`` says that a reading was upgraded, and how.
"""

from __future__ import annotations

from typing import Any

from briefkit.reading.model import SCHEMA_VERSION

#: Fields a version-1 reading could not have: their presence means the file is not version 1.
_NEW_FIELDS = ("tracks", "domains", "assessment")


def upgrade(plain: Any) -> tuple[Any, list[str]]:
    """The reading data on the current schema, and one line per change made (none if current).

    Version 1 (``schema_version: 1``, or none) had fixed tracks and domains, key judgements as
    plain sentences, and no per-link basis. Upgraded: the tracks and domains the reading uses
    are declared (labelled by their capitalised id, as version 1 printed them); each key
    judgement becomes an item with the next free id ``J<n>``, marked as the analyst's own
    (``inferred``: version 1 gave them no basis and no quotes); everything else is unchanged,
    since ``requires: [K1]`` and ``phase: 2`` keep their meaning as shorthands.
    """
    if not isinstance(plain, dict) or plain.get("schema_version", 1) != 1:
        return plain, []
    if any(field in plain for field in _NEW_FIELDS):
        return plain, []  # validation names schema_version and these fields
    data = dict(plain)
    data["schema_version"] = SCHEMA_VERSION
    notes = [f"schema_version 1, read as version {SCHEMA_VERSION} in memory (the file is "
             "unchanged; docs/reading.md, Version 1, says how to update it)"]  # fmt: skip
    for field, group, key in (("tracks", "measures", "track"), ("domains", "proposals", "domain")):
        used = [x.get(key) for x in _records(data.get(group))]
        ids = list(dict.fromkeys(u for u in used if isinstance(u, str)))
        data[field] = {i: i.capitalize() for i in ids}
        if ids:
            notes.append(f"{field} declared from the ones used: {', '.join(ids)}")
    judgements = data.get("key_judgements")
    if isinstance(judgements, list) and judgements:
        taken = _ids(data)
        upgraded = []
        number = 0
        for text in judgements:
            number += 1
            while f"J{number}" in taken:
                number += 1
            upgraded.append({"id": f"J{number}", "text": text, "status": "inferred", "quotes": []}
                            if isinstance(text, str) else text)  # fmt: skip
        data["key_judgements"] = upgraded
        notes.append(
            f"key judgements read as items {upgraded[0].get('id')}-{upgraded[-1].get('id')}, "
            "the analyst's own (inferred), without quotes"
        )
    return data, notes


def _records(value: Any) -> list[dict[str, Any]]:
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def _ids(data: dict[str, Any]) -> set[str]:
    found = set()
    for value in data.values():
        found |= {x["id"] for x in _records(value) if isinstance(x.get("id"), str)}
    thesis = data.get("thesis")
    if isinstance(thesis, dict) and isinstance(thesis.get("id"), str):
        found.add(thesis["id"])
    return found
