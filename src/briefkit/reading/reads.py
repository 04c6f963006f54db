"""Which parts of a seed's reading a notebook read, so that its cache key covers only those.

A notebook reads the seed through ``views.setup``. In a build's kernel (``READ_LOG_ENV`` set),
``setup`` starts a log, and from then on the first read of each part of the reading is added to
it: a section of ``reading.yaml`` (``claims``, ``thesis``…, noted by ``Reading.__getattribute__``)
or a value the seed derives from the reading (``anchors``, ``notes``, by ``Seed``'s). The build
keys the notebook on the digests of those parts only (``steps.notebook_parts``): an edit to one
claim re-runs the notebooks that read the claims, not one that only read the events.

What the log cannot follow makes the notebook depend on the whole reading (``ALL``): a read of
the model's ``__dict__`` or a dump of it, a ``reading.yaml`` opened after ``setup``, and a notebook
that never called ``setup`` (no log, or a log without its first line). As in doit's calculated
dependencies and make's depfiles, the parts read in the last run decide the next: a run reads a
different part only when a part it read, or its code, changed, and then it runs again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol


class _Seed(Protocol):
    """A loaded seed (briefkit.reading.seed.Seed, which imports this module)."""

    @property
    def reading(self) -> Any: ...


#: Set in a notebook's kernel by the build: the file the parts it reads are added to.
READ_LOG_ENV = "BRIEFKIT_READ_LOG"
#: The whole reading: what a notebook read when the log cannot tell.
ALL = "*"
#: The log's first line, written by ``start``: a log without it was never started.
HEADER = "briefkit-reads 1"
#: Values of a seed derived from its reading.yaml, besides the reading's own sections.
SEED_PARTS = ("anchors", "notes")
#: Reads of these on a reading are reads of all of it (its fields in one go, bypassing
#: ``__getattribute__`` for each).
WHOLE = frozenset(
    {
        "__dict__", "__getstate__", "__iter__", "__eq__", "__copy__", "__deepcopy__",
        "__repr_args__", "__rich_repr__", "__pretty__", "model_dump", "model_dump_json",
        "model_copy",
    }
)  # fmt: skip

#: The tracking state of this process: the log's path and the parts noted; empty when off.
_LOG: list[tuple[Path, set[str]]] = []
#: Whether this process's audit hook is installed (it cannot be removed; it is idle when off).
_HOOKED: list[bool] = []


def note(name: str) -> None:
    """Add ``name`` (a part of the reading, or ALL) to the log, the first time it is read."""
    if not _LOG:
        return
    path, seen = _LOG[0]
    if name in seen:
        return
    seen.add(name)
    with open(path, "a", encoding="utf-8") as f:
        f.write(name + "\n")


def start() -> None:
    """In a build's kernel, begin noting what is read of the seed (no-op elsewhere).

    Called once the seed is loaded, so that loading and validating it (which reads it all, to
    produce the values the parts' digests are taken of) is not counted.
    """
    log = os.environ.get(READ_LOG_ENV)
    if not log or _LOG:
        return
    path = Path(log)
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEADER + "\n")
    _LOG.append((path, set()))
    if not _HOOKED:
        sys.addaudithook(_on_audit)
        _HOOKED.append(True)


def stop() -> None:
    """Stop noting what is read (a kernel never needs to: it runs one notebook)."""
    _LOG.clear()


def _on_audit(event: str, args: tuple[Any, ...]) -> None:
    # A reading.yaml opened by the notebook itself: what it reads there cannot be followed.
    if (
        event == "open"
        and _LOG
        and args
        and isinstance(args[0], (str, bytes, os.PathLike))
        and os.path.basename(os.fsdecode(args[0])) == "reading.yaml"
    ):
        note(ALL)


def read_log(path: Path) -> frozenset[str]:
    """The parts a notebook read, from its log; ``{ALL}`` when the log is missing or unstarted."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return frozenset({ALL})
    if not lines or lines[0] != HEADER:
        return frozenset({ALL})
    names = frozenset(line for line in lines[1:] if line)
    return frozenset({ALL}) if ALL in names else names


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def digests(seed: _Seed, reading_file: str) -> dict[str, str]:
    """Every part's digest: the reading's sections, the seed's derived values, and ALL
    (``reading_file``, the digest of reading.yaml's bytes)."""
    reading = seed.reading
    dumped = reading.model_dump(mode="json")
    values: dict[str, Any] = dict(dumped)
    for name in SEED_PARTS:
        values[name] = _jsonable(object.__getattribute__(seed, name))
    out = {
        name: hashlib.sha256(
            json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()
        ).hexdigest()
        for name, value in values.items()
    }
    out[ALL] = reading_file
    return out


def select(names: Iterable[str], known: Mapping[str, str]) -> dict[str, str]:
    """The digests of ``names`` among ``known``; ALL alone when a name is ALL or unknown."""
    names = set(names)
    if ALL in names or not names <= set(known):
        return {ALL: known[ALL]}
    return {name: known[name] for name in sorted(names)}
