"""The stamp store: what each step of a build recorded when it last ran.

A step's stamp, ``_build/<seed>/.cache/<step>.json``, holds its key (a sha256 over everything
that can change its output, see briefkit.fingerprint), one hash per part of that key (so that
``--debug`` can say which part changed), and the sha256 of each output. A step is current only
when the key matches AND every recorded output still exists with its recorded hash, so an
edited or deleted output is rebuilt, never served.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefkit.artifacts import write_json
from briefkit.fingerprint import file_digest, make_key, tree_digests

logger = logging.getLogger("briefkit")

CACHE_DIR = ".cache"


@dataclass
class Stamp:
    """What a step recorded when it last ran: its key, its parts, its outputs' hashes."""

    key: str
    outputs: dict[str, str]
    parts: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


class StepCache:
    """The stamps of one build folder's steps."""

    def __init__(self, build_dir: Path) -> None:
        self.build_dir = build_dir
        self.folder = build_dir / CACHE_DIR

    def stamp_path(self, step: str) -> Path:
        """Where ``step``'s stamp lives."""
        return self.folder / f"{step}.json"

    def steps(self, prefix: str = "") -> list[str]:
        """The recorded steps whose names start with ``prefix``, sorted."""
        return sorted(p.stem for p in self.folder.glob(f"{prefix}*.json"))

    def load(self, step: str) -> Stamp | None:
        """The stamp of ``step``, or None when missing or unreadable."""
        try:
            raw = json.loads(self.stamp_path(step).read_text(encoding="utf-8"))
            return Stamp(raw["key"], dict(raw["outputs"]), dict(raw.get("parts", {})),
                         dict(raw.get("data", {})))  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def fresh(self, step: str, parts: Mapping[str, Any]) -> Stamp | None:
        """The stamp of ``step`` if its key matches and its outputs are intact, else None."""
        return self.current(step, self.load(step), parts)

    def current(self, step: str, stamp: Stamp | None, parts: Mapping[str, Any]) -> Stamp | None:
        """``stamp`` (``step``'s, loaded already) if it matches ``parts`` and is intact."""
        if stamp is None:
            logger.debug("%s: no stamp, runs", step)
            return None
        if stamp.key != make_key(parts):
            changed = sorted(
                k for k in set(parts) | set(stamp.parts)
                if stamp.parts.get(k) != make_key({k: parts.get(k)})
            )  # fmt: skip
            logger.debug("%s: inputs changed (%s), runs", step, ", ".join(changed) or "?")
            return None
        for rel, digest in stamp.outputs.items():
            path = self.build_dir / rel
            if not path.is_file() or file_digest(path) != digest:
                logger.debug("%s: output %s missing or changed, runs", step, rel)
                return None
        return stamp

    def record(
        self,
        step: str,
        parts: Mapping[str, Any],
        outputs: Iterable[Path],
        data: Mapping[str, Any] | None = None,
    ) -> Stamp:
        """Record that ``step`` ran with ``parts`` and produced ``outputs`` (under the build)."""
        stamp = Stamp(
            key=make_key(parts),
            outputs=tree_digests(self.build_dir, outputs),
            parts={k: make_key({k: v}) for k, v in parts.items()},
            data=dict(data or {}),
        )
        write_json(self.stamp_path(step), stamp.__dict__)
        return stamp

    def forget(self, step: str, *, remove_outputs: bool = True) -> None:
        """Drop ``step``'s stamp and, unless told otherwise, the outputs it recorded."""
        stamp = self.load(step)
        if stamp is not None and remove_outputs:
            for rel in stamp.outputs:
                (self.build_dir / rel).unlink(missing_ok=True)
        self.stamp_path(step).unlink(missing_ok=True)


def read_artifact_log(path: Path, build_dir: Path) -> list[Path]:
    """The files under ``build_dir`` that a notebook's Artifacts writer logged (absolute paths)."""
    if not path.is_file():
        return []
    base = build_dir.resolve()
    found = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        full = Path(line).resolve() if line.strip() else None
        if full is not None and full.is_relative_to(base):
            found.add(build_dir / full.relative_to(base))
    return sorted(found)
