"""What can change a step's output, as digests: files, briefkit's code, installed versions, keys.

A no-change build does only this: hashing (each file once per build), reading the names of the
``*.dist-info`` folders on ``sys.path``, and stat calls. Nothing here imports a heavy library.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

#: path -> ((size, mtime_ns, inode), sha256), so that a build hashes each big file once.
_DIGESTS: dict[Path, tuple[tuple[int, int, int], str]] = {}
#: A file modified this recently is never remembered: file times are coarse, and a same-size
#: rewrite within one tick would keep its stat (git's "racy" rule).
_RACY_NS = 2_000_000_000


def file_digest(path: Path) -> str:
    """The sha256 (hex) of a file's bytes."""
    st = path.stat()
    sig = (st.st_size, st.st_mtime_ns, st.st_ino)
    known = _DIGESTS.get(path)
    if known is not None and known[0] == sig:
        return known[1]
    with path.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    if st.st_mtime_ns < time.time_ns() - _RACY_NS:
        _DIGESTS[path] = (sig, digest)
    return digest


def tree_digests(base: Path, paths: Iterable[Path]) -> dict[str, str]:
    """{path relative to ``base``: sha256} for ``paths`` (files only), sorted by path."""
    found = {p.relative_to(base).as_posix(): file_digest(p) for p in paths if p.is_file()}
    return dict(sorted(found.items()))


def files_under(folder: Path) -> list[Path]:
    """Every file below ``folder`` (none if it is missing), skipping caches."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


@functools.cache
def code_digest() -> str:
    """sha256 over briefkit's own source files (its code version, finer than ``__version__``)."""
    return package_digest(Path(__file__).resolve().parent)


def package_digest(package: Path) -> str:
    """sha256 over the relative paths and bytes of a package's files (bytecode aside)."""
    h = hashlib.sha256()
    for rel, digest in tree_digests(package, files_under(package)).items():
        if not rel.endswith(".pyc"):
            h.update(f"{rel}\0{digest}\n".encode())
    return h.hexdigest()


def normalise_name(name: str) -> str:
    """A distribution's name as PEP 503 compares it: lower case, runs of ``-_.`` as one ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_versions() -> dict[str, str]:
    """{normalised name: version} of every distribution on ``sys.path``, sorted by name.

    Read from the ``<name>-<version>.dist-info`` folder names: what importlib.metadata finds
    first, without its import cost (a third of a no-change build).
    """
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in names:
            if folder.endswith(".dist-info") and "-" in folder:
                name, _, version = folder[: -len(".dist-info")].partition("-")
                found.setdefault(normalise_name(name), version)
    return dict(sorted(found.items()))


def dependency_versions(names: Sequence[str]) -> dict[str, str]:
    """The installed version of each distribution (``absent`` when missing), and Python's."""
    versions = {"python": sys.version.split()[0]}
    installed = installed_versions()
    missing = []
    for name in names:
        found = installed.get(normalise_name(name))
        if found is None:
            missing.append(name)
        else:
            versions[name] = found
    if missing:
        from importlib.metadata import PackageNotFoundError, version

        for name in missing:
            try:
                versions[name] = version(name)
            except PackageNotFoundError:
                versions[name] = "absent"
    return versions


def make_key(parts: Mapping[str, Any]) -> str:
    """The sha256 of ``parts`` as canonical JSON."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def browser_identity(path: str | None) -> str | None:
    """Chromium's identity without starting it: BROWSER_PATH, the resolved path, size and mtime.

    An upgrade replaces the file (a package manager writes a new one), so its size or time
    changes; starting Chromium to ask its version would cost a no-change build a second.
    """
    chosen = os.environ.get("BROWSER_PATH", "")
    if path is None:
        return f"BROWSER_PATH={chosen}; none recorded"
    try:
        real = Path(path).resolve()
        st = real.stat()
    except OSError:
        return f"BROWSER_PATH={chosen}; {path} missing"
    return f"BROWSER_PATH={chosen}; {real} {st.st_size} {st.st_mtime_ns}"
