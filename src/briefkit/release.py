"""Versioned releases: bump, build, and publish immutably and atomically to dist/<seed>/v<version>/.

A release is assembled in a staging folder inside ``dist/`` (same filesystem) and renamed into
place only when complete; ``latest`` is a symlink replaced by renaming a temporary one. The whole
release runs under ``dist/.lock`` (``filelock``: the kernel releases it when its holder dies).
Any failure, Ctrl-C included, removes the staging folder and restores ``brief.yaml``.
"""

from __future__ import annotations

import io
import json
import logging
import os
import platform
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from briefkit import __version__, lock
from briefkit.artifacts import write_json
from briefkit.build import BuildOptions, BuildResult, run_build
from briefkit.context import input_files
from briefkit.errors import InputError
from briefkit.fingerprint import file_digest, installed_versions
from briefkit.history import (
    ReleaseExists,
    changes_markdown,
    compute_changes,
    dist_dir,
    list_releases,
    parse_version,
    previous_release,
    release_dir,
)
from briefkit.reading import Seed, list_seeds, load_seed

logger = logging.getLogger("briefkit")

PARTS = ("patch", "minor", "major")
LOCK_NAME = ".lock"
LATEST = "latest"
DEFAULT_LOCK_WAIT = 5.0


def bump(version: str, part: str) -> str:
    """The version after ``version`` for a ``patch``, ``minor`` or ``major`` change."""
    major, minor, patch = parse_version(version)
    if part == "patch":
        return f"{major}.{minor}.{patch + 1}"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    if part == "major":
        return f"{major + 1}.0.0"
    raise InputError(f"unknown version part {part!r}: choose one of {', '.join(PARTS)}")


def set_version(brief_yaml: Path, version: str) -> None:
    """Write ``version`` into brief.yaml, keeping its comments and layout (ruamel round trip)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    data = yaml.load(brief_yaml.read_text(encoding="utf-8"))
    data["version"] = version
    buf = io.StringIO()
    yaml.dump(data, buf)
    tmp = brief_yaml.with_name(brief_yaml.name + ".tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    tmp.replace(brief_yaml)


@contextmanager
def dist_lock(root: Path, wait: float = DEFAULT_LOCK_WAIT) -> Iterator[Path]:
    """Hold ``dist/.lock`` for a release; after ``wait`` seconds raise BuildLocked."""
    path = dist_dir(root) / LOCK_NAME
    with lock.hold(path, wait=wait, busy=f"another build is running (lock held: {path})"):
        yield path


def manifest(
    root: Path, seed: Seed, result: BuildResult, folder: Path, previous: str | None
) -> dict[str, Any]:
    """The manifest of a release: sha256 of every input and output, tools, engine, date."""
    outputs = {
        p.relative_to(folder).as_posix(): file_digest(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    inputs = {p.relative_to(root).as_posix(): file_digest(p) for p in input_files(root, seed.path)}
    return {
        "brief": seed.slug,
        "version": result.version,
        "status": "release",
        "previous": f"v{previous}" if previous else None,
        "release_date": _date(result.timestamp),
        "source_date_epoch": result.timestamp,
        "content_hash": result.content_hash,
        "engine": {"name": result.engine, "version": result.engine_version},
        "tools": {
            "briefkit": __version__,
            "python": platform.python_version(),
            "engine": result.engine_version,
        },
        "inputs": inputs,
        "packages": installed_versions(),
        "outputs": outputs,
    }


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")


def citation(seed: Seed, version: str, date: str, title: str) -> str:
    """A CITATION.cff (Citation File Format 1.2.0) for one release of the brief."""
    from ruamel.yaml import YAML

    src = seed.source
    reference: dict[str, Any] = {
        "type": "article",
        "title": src.title.value or seed.slug,
        "authors": [{"name": src.author}],
    }
    if src.outlet.value:
        reference["journal"] = src.outlet.value
    data = {
        "cff-version": "1.2.0",
        "message": "If you cite this brief, cite this version of it.",
        "title": title,
        "version": version,
        "date-released": date,
        "authors": [{"name": f"briefkit brief {seed.slug}"}],
        "references": [reference],
    }
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


@dataclass(frozen=True)
class ReleaseOptions:
    """What to release, and how."""

    root: Path
    seed: str
    part: str
    engine: str = "auto"
    timeout: float = 300.0
    lock_wait: float = DEFAULT_LOCK_WAIT


@dataclass(frozen=True)
class ReleaseResult:
    """A published release."""

    seed: str
    version: str
    path: Path
    previous: str | None
    changes: tuple[str, ...]


def default_seed(root: Path, seed: str | None) -> str:
    """The seed named, else the project's only seed."""
    if seed:
        return seed
    seeds = list_seeds(root)
    if len(seeds) != 1:
        raise InputError(f"{len(seeds)} seeds under {root / 'seeds'}: name one with --seed")
    return seeds[0]


def release(opts: ReleaseOptions) -> ReleaseResult:
    """Bump the seed's version, build it as a release, and publish it under the dist lock."""
    root = opts.root.resolve()
    with dist_lock(root, opts.lock_wait):
        remove_stale_staging(root)
        seed = load_seed(root, opts.seed)
        version = bump(seed.version, opts.part)
        target = release_dir(root, seed.slug, version)
        if target.exists() or target.is_symlink():
            raise ReleaseExists(
                f"release {target} already exists and is never overwritten: "
                f"bump to a newer version (brief.yaml says {seed.version})"
            )
        newest = list_releases(root, seed.slug)[-1:]
        if newest and parse_version(newest[0]) > parse_version(version):
            raise InputError(
                f"{seed.path / 'brief.yaml'}: version {seed.version} would release v{version}, "
                f"older than the newest release v{newest[0]}: set version: {newest[0]} first"
            )
        previous = previous_release(root, seed.slug, version)
        reading = seed.reading.model_dump(mode="json")
        changes: list[str] = []

        def before_render(build: Path) -> dict[str, Any]:
            changes[:] = compute_changes(root, seed.slug, previous, reading, build / "data")
            if previous is None:
                return {}
            return {"previous_version": f"v{previous}", "changes": list(changes)}

        brief_yaml = seed.path / "brief.yaml"
        original = brief_yaml.read_bytes()
        try:
            set_version(brief_yaml, version)
            bumped = load_seed(root, seed.slug)
            result = run_build(
                BuildOptions(root, seed.slug, opts.engine, ("html", "pdf"), opts.timeout,
                             status="release", before_render=before_render)
            )  # fmt: skip
            publish(root, bumped, result, target, previous, changes)
        except BaseException:
            brief_yaml.write_bytes(original)
            raise
    for line in changes:
        logger.info("  %s", line)
    logger.info("released %s v%s to %s", seed.slug, version, target)
    return ReleaseResult(seed.slug, version, target, previous, tuple(changes))


def remove_stale_staging(root: Path) -> None:
    """Remove what a killed release left (staging folders, temporary links); lock held."""
    dist = dist_dir(root)
    for stale in sorted(dist.glob(".staging-*")):
        logger.info("removing %s, left by an interrupted release", stale)
        shutil.rmtree(stale, ignore_errors=True)
    for link in sorted(dist.glob(f"*/.{LATEST}-*.tmp")):
        link.unlink(missing_ok=True)


def publish(
    root: Path,
    seed: Seed,
    result: BuildResult,
    target: Path,
    previous: str | None,
    changes: list[str],
) -> Path:
    """Assemble a release in dist/ staging, rename it to ``target``, then switch ``latest``."""
    dist = dist_dir(root)
    build = result.outputs["html"].parent
    title = json.loads((build / "brief.json").read_text(encoding="utf-8"))["title"]
    date = _date(result.timestamp)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=dist))
    parent = target.parent
    created_parent = False
    try:
        stage_outputs(result, staging)
        write_json(staging / "reading.json", seed.reading.model_dump(mode="json"))
        older = ""
        if previous is not None:
            older_path = release_dir(root, seed.slug, previous) / "CHANGES.md"
            older = older_path.read_text(encoding="utf-8") if older_path.is_file() else ""
        text = changes_markdown(title, result.version, date, previous, changes, older)
        (staging / "CHANGES.md").write_text(text, encoding="utf-8")
        cff = citation(seed, result.version, date, title)
        (staging / "CITATION.cff").write_text(cff, encoding="utf-8")
        write_json(staging / "manifest.json", manifest(root, seed, result, staging, previous))
        for path in [staging, *staging.rglob("*")]:
            path.chmod(0o444 if path.is_file() else 0o755)  # read-only: a release is immutable
        created_parent = not parent.exists()
        parent.mkdir(exist_ok=True)
        if target.exists():  # os.rename would silently replace an empty folder
            raise ReleaseExists(f"release {target} already exists and is never overwritten")
        os.rename(staging, target)
        try:
            switch_latest(parent, target.name)
        except BaseException:
            os.rename(target, staging)  # undo: latest still names the previous release
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created_parent:
            shutil.rmtree(parent, ignore_errors=True)
        raise
    return target


def stage_outputs(result: BuildResult, staging: Path) -> None:
    """Copy the build's brief.html, brief.pdf and data files into the staging folder."""
    for path in sorted(result.outputs.values()):
        shutil.copyfile(path, staging / path.name)
    data = result.outputs["html"].parent / "data"
    if data.is_dir():
        (staging / "data").mkdir()
        for path in sorted(data.iterdir()):
            if path.is_file():
                shutil.copyfile(path, staging / "data" / path.name)


def switch_latest(parent: Path, name: str) -> None:
    """Point ``parent/latest`` at ``name`` atomically (a temporary symlink renamed over it)."""
    tmp = parent / f".{LATEST}-{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(name, tmp)
    try:
        os.replace(tmp, parent / LATEST)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
