"""Versioned releases: bump, build, and publish immutably and atomically to dist/<seed>/v<version>/.

A release is assembled in a staging folder inside ``dist/`` (same filesystem) and renamed into
place only when complete; ``latest`` is a symlink replaced by renaming a temporary one. The whole
release runs under ``dist/.lock`` (``filelock``: the kernel releases it when its holder dies).
Any failure, Ctrl-C included, removes the staging folder and restores ``brief.yaml``.
"""

from __future__ import annotations

import hashlib
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
from briefkit.artifacts import write_json, write_text_atomic
from briefkit.build import BuildOptions, BuildResult, run_build
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
    releases,
)
from briefkit.lock import build_lock
from briefkit.reading import Seed, list_seeds, load_seed
from briefkit.render import DEFAULT_FORMATS
from briefkit.seeds import build_dir, seed_dir

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


def versioned(text: str, version: str) -> str:
    """brief.yaml's ``text`` with ``version``, keeping its comments and layout (ruamel)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    data = yaml.load(text)
    data["version"] = version
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


def set_version(brief_yaml: Path, version: str) -> None:
    """Write ``version`` into brief.yaml, keeping its comments and layout (ruamel round trip)."""
    write_text_atomic(brief_yaml, versioned(brief_yaml.read_text(encoding="utf-8"), version))


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
    # As the build read them: its copy of the seed has the release's version in brief.yaml.
    inputs = result.inputs
    analysts = seed.brief.analysts if seed.brief else []
    return {
        "brief": seed.slug,
        "version": result.version,
        "status": "release",
        "previous": f"v{previous}" if previous else None,
        "release_date": _date(result.timestamp),
        "source_date_epoch": result.timestamp,
        "content_hash": result.content_hash,
        "analysts": [a.model_dump(mode="json", exclude_none=True) for a in analysts],
        "organisation": seed.brief.organisation if seed.brief else None,
        "engine": {"name": result.engine, "version": result.engine_version},
        "tools": {
            "briefkit": __version__,
            "python": platform.python_version(),
            "engine": result.engine_version,
        },
        # Each published format and its file (whose sha256 is under "outputs").
        "formats": {fmt: path.name for fmt, path in sorted(result.outputs.items())},
        "inputs": inputs,
        "packages": installed_versions(),
        "outputs": outputs,
    }


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")


def _cff_authors(seed: Seed) -> list[dict[str, str]]:
    # The analysts named in brief.yaml; a placeholder entity only when there are none. CFF's
    # person needs split family and given names, which a display name does not give reliably,
    # so each analyst is an entity with a name (and an ORCID when known).
    analysts = seed.brief.analysts if seed.brief else []
    if not analysts:
        return [{"name": f"briefkit brief {seed.slug}"}]
    return [{"name": a.name, **({"orcid": a.orcid} if a.orcid else {})} for a in analysts]


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
        "authors": _cff_authors(seed),
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
    #: The formats published (as ``briefkit build --formats``); the build's default.
    formats: tuple[str, ...] = DEFAULT_FORMATS


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
    """Build the seed's next version as a release and publish it, under the dist and build locks.

    The new version reaches ``brief.yaml`` only once the release is published: the build reads
    it from its own copy of the seed. So a draft never sees a version that is not released, and
    a killed release leaves ``brief.yaml`` as it was (or, killed after publishing, the next
    release repairs it and ``latest``), so no version is ever skipped.
    """
    root = opts.root.resolve()
    folder = seed_dir(root, opts.seed)
    with (
        dist_lock(root, opts.lock_wait),
        build_lock(build_dir(root, opts.seed), wait=opts.lock_wait),
    ):
        remove_stale_staging(root)
        repair_interrupted(root, opts.seed)
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
                f"{folder / 'brief.yaml'}: version {seed.version} would release v{version}, "
                f"older than the newest release v{newest[0]}: set version: {newest[0]} first"
            )
        previous = previous_release(root, seed.slug, version)
        changes: list[str] = []

        def before_render(build: Path, built: Seed) -> dict[str, Any]:
            reading = built.reading.model_dump(mode="json")
            changes[:] = compute_changes(root, seed.slug, previous, reading, build / "data")
            if previous is None:
                return {}
            return {"previous_version": f"v{previous}", "changes": list(changes)}

        brief_yaml = folder / "brief.yaml"
        bumped = versioned(brief_yaml.read_text(encoding="utf-8"), version)
        result = run_build(
            BuildOptions(root, seed.slug, opts.engine, opts.formats, opts.timeout,
                         status="release", before_render=before_render,
                         seed_files={"brief.yaml": bumped.encode()})
        )  # fmt: skip
        # The seed as the build read it (a release always writes brief.json, so loads it).
        built = result.seed_loaded if result.seed_loaded is not None else seed
        # Until brief.yaml has the new version, a note says it is due: a release killed after
        # publishing is finished by the next one (repair_interrupted).
        pending = pending_path(root, seed.slug)
        original = hashlib.sha256(brief_yaml.read_bytes()).hexdigest()
        note = {"release": target.name, "version": version, "original": original, "bumped": bumped}
        write_json(pending, note)
        try:
            publish(root, built, result, target, previous, changes)
        except BaseException:
            pending.unlink(missing_ok=True)
            raise
        write_text_atomic(brief_yaml, bumped)
        pending.unlink()
    for line in changes:
        logger.info("  %s", line)
    logger.info("released %s v%s to %s", seed.slug, version, target)
    return ReleaseResult(seed.slug, version, target, previous, tuple(changes))


def pending_path(root: Path, slug: str) -> Path:
    """The note a release keeps while it publishes: which version brief.yaml is to get."""
    return dist_dir(root) / f".pending-{slug}.json"


def repair_interrupted(root: Path, slug: str) -> None:
    """Finish what a release killed after renaming its folder into place left undone (lock held).

    ``latest`` is pointed at the newest release. A pending note (see ``release``) whose release
    was published gives ``brief.yaml`` that release's version, if brief.yaml is still the one
    the release was built from; a note of a release that never got published is dropped.
    """
    found = releases(root, slug)
    if found:
        newest = next(reversed(found.values()))
        latest = newest.parent / LATEST
        if not (latest.is_symlink() and os.readlink(latest) == newest.name):
            logger.warning("%s: pointing it at %s, left by an interrupted release", latest,
                           newest.name)  # fmt: skip
            switch_latest(newest.parent, newest.name)
    pending = pending_path(root, slug)
    if not pending.exists():
        return
    brief_yaml = seed_dir(root, slug) / "brief.yaml"
    try:
        note = json.loads(pending.read_text(encoding="utf-8"))
        published = (dist_dir(root) / slug / note["release"]).is_dir()
        current = hashlib.sha256(brief_yaml.read_bytes()).hexdigest()
        if published and current == note["original"]:
            logger.warning("%s: version %s, published by an interrupted release", brief_yaml,
                           note["version"])  # fmt: skip
            write_text_atomic(brief_yaml, note["bumped"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("%s: ignored (%s)", pending, exc)
    pending.unlink()


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
    build = build_dir(root, seed.slug)
    title = json.loads((build / "brief.json").read_text(encoding="utf-8"))["title"]
    date = _date(result.timestamp)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=dist))
    parent = target.parent
    created_parent = False
    try:
        stage_outputs(result, build, staging)
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


def stage_outputs(result: BuildResult, build: Path, staging: Path) -> None:
    """Copy the build's outputs (one file per format) and data files into the staging folder."""
    for path in sorted(result.outputs.values()):
        shutil.copyfile(path, staging / path.name)
    data = build / "data"
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
