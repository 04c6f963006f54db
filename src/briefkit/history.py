"""Release history: which releases of a brief exist in dist/, and what changed between them.

Both the build (a draft shows what changed since the newest release) and ``briefkit.release``
read it; neither imports the other. Which ``dist/<slug>/v*`` folders are releases is decided in
one place, ``releases``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefkit import diff, escape
from briefkit.errors import InputError
from briefkit.fingerprint import file_digest

if TYPE_CHECKING:
    from briefkit.reading import Seed

logger = logging.getLogger("briefkit")

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
_NO_CHANGE = "No change to the reading or the matrices."


class ReleaseExists(InputError):
    """The version to publish is already released; releases are never overwritten."""


class ReleaseNotFound(InputError):
    """A named release does not exist."""


def parse_version(text: str) -> tuple[int, int, int]:
    """Parse ``X.Y.Z`` (or ``vX.Y.Z``); raise InputError otherwise."""
    match = _VERSION.match(text.strip())
    if match is None:
        raise InputError(f"{text!r} is not a version of the form X.Y.Z")
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def dist_dir(root: Path) -> Path:
    """Where releases are published."""
    return root / "dist"


def release_dir(root: Path, slug: str, version: str) -> Path:
    """The folder of one release: ``dist/<slug>/v<version>``."""
    return dist_dir(root) / slug / f"v{'.'.join(map(str, parse_version(version)))}"


def releases(root: Path, slug: str) -> dict[str, Path]:
    """{version: folder} of every release of ``slug`` (a ``v<X.Y.Z>`` folder), oldest first."""
    base = dist_dir(root) / slug
    if not base.is_dir():
        return {}
    found = {}
    for path in base.iterdir():
        match = _VERSION.match(path.name)
        # Only the canonical name release_dir gives (not "1.0.0", "vv1.0.0" or "v01.0.0").
        canonical = match and path.name == "v" + ".".join(str(int(g)) for g in match.groups())
        if canonical and path.is_dir():
            found[path.name[1:]] = path
    return {v: found[v] for v in sorted(found, key=parse_version)}


def list_releases(root: Path, slug: str) -> list[str]:
    """The released versions of ``slug``, oldest first."""
    return list(releases(root, slug))


def previous_release(root: Path, slug: str, version: str) -> str | None:
    """The newest release of ``slug`` older than ``version``, if any."""
    older = [v for v in list_releases(root, slug) if parse_version(v) < parse_version(version)]
    return older[-1] if older else None


def release_marks(root: Path, slug: str) -> dict[str, str]:
    """{version: its reading's sha256} of every release: what a draft compares with (cheap)."""
    return {
        version: file_digest(folder / "reading.json")
        if (folder / "reading.json").is_file()
        else "no reading.json"
        for version, folder in releases(root, slug).items()
    }


def changes_markdown(
    title: str, version: str, date: str, previous: str | None, lines: list[str], older: str
) -> str:
    """CHANGES.md: this release's changes on top, then those of earlier releases."""
    head = f"# Changes to {escape.markdown_readable(title)}\n\n## v{version} ({date})\n\n"
    if previous is None:
        body = "First release.\n"
    else:
        items = "".join(f"- {escape.markdown_readable(line)}\n" for line in lines)
        body = f"Since v{previous}:\n\n{items}"
    earlier = older.split("\n", 2)[2].lstrip("\n") if older.startswith("# ") else older
    return head + body + (f"\n{earlier}" if earlier.strip() else "")


def compute_changes(
    root: Path, slug: str, previous: str | None, reading: Mapping[str, Any], data_dir: Path
) -> list[str]:
    """The changes of a new version (its reading and data folder) since release ``previous``."""
    if previous is None:
        return []
    old = release_dir(root, slug, previous)
    if not (old / "reading.json").is_file():
        raise ReleaseNotFound(f"release {old} has no reading.json to compare with")
    old_reading = read_reading(old / "reading.json")
    try:
        old_matrices = diff.read_matrices(old / "data")
    except ValueError as exc:  # not UTF-8
        raise InputError(f"{old / 'data'}: a matrix is not readable CSV ({exc})") from None
    found = diff.diff_readings(old_reading, reading)
    found += diff.diff_matrices(old_matrices, diff.read_matrices(data_dir))
    return [str(c) for c in found] or [_NO_CHANGE]


def read_reading(path: Path) -> dict[str, Any]:
    """A release's reading.json; InputError naming the file when it is damaged."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}:{exc.lineno}: not valid JSON ({exc.msg}): the release is damaged; "
            "restore it from a copy"
        ) from None
    except ValueError as exc:
        raise InputError(f"{path}: not UTF-8 ({exc}): the release is damaged") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a reading (a JSON object): the release is damaged")
    return data


def draft_changes(root: Path, seed: Seed) -> Callable[[Path], dict[str, Any]]:
    """A before_render hook for drafts: what changed since the newest release, if any."""
    versions = list_releases(root, seed.slug)
    reading = seed.reading.model_dump(mode="json")

    def before_render(build: Path) -> dict[str, Any]:
        if not versions:
            return {}
        try:
            changes = compute_changes(root, seed.slug, versions[-1], reading, build / "data")
        except InputError as exc:
            # A damaged release must not stop every draft: the draft goes without the section.
            logger.warning("no 'what changed' section in the draft: %s", exc)
            return {}
        return {"previous_version": f"v{versions[-1]}", "changes": changes}

    return before_render


def diff_releases(root: Path, slug: str, old: str, new: str) -> list[str]:
    """The changes between two published releases of ``slug``."""
    folders = [release_dir(root, slug, v) for v in (old, new)]
    for folder in folders:
        if not (folder / "reading.json").is_file():
            raise ReleaseNotFound(f"no release at {folder} (releases: {_known(root, slug)})")
    reading = read_reading(folders[1] / "reading.json")
    old_version = folders[0].name[1:]
    return compute_changes(root, slug, old_version, reading, folders[1] / "data")


def _known(root: Path, slug: str) -> str:
    return ", ".join(f"v{v}" for v in list_releases(root, slug)) or "none"
