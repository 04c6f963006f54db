"""Scaffold a new seed: the article copied verbatim, metadata and reading skeletons to fill in."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from briefkit.errors import InputError, InvalidInput, Problem
from briefkit.reading.coverage import sentences
from briefkit.reading.yamlfile import ARTICLE_LIMIT, read_text
from briefkit.seeds import seed_dir

#: The tracks and domains a new reading starts with (id: label); the analyst renames, adds and
#: removes them to fit the article. Generic on purpose: any topic's words come from the seed.
DEFAULT_TRACKS = {"diplomatic": "Diplomatic", "economic": "Economic", "security": "Security"}
DEFAULT_DOMAINS = {**DEFAULT_TRACKS, "legal": "Legal"}


def reading_skeleton(article: str) -> str:
    """A reading.yaml to fill in: empty groups, and the article's sentences as comments."""
    lines = [
        "# Structured reading of article.txt (see docs/reading.md). Every item quotes the",
        "# article verbatim and says whether the article states it, implies it, or it is the",
        "# analyst's inference. `briefkit check` validates it and lists uncovered sentences.",
        "schema_version: 2",
        "",
        "# The tracks measures run on and the domains proposals belong to (id: label): rename, add",
        "# or remove them to fit the article; the brief prints the labels.",
        "tracks:",
        *(f"  {key}: {label}" for key, label in DEFAULT_TRACKS.items()),
        "domains:",
        *(f"  {key}: {label}" for key, label in sorted(DEFAULT_DOMAINS.items())),
        "",
        "thesis:",
        '  text: ""',
        "  status: stated",
        "  quotes: []",
        "",
        "key_judgements: []",
        "claims: []",
        "evidence: []",
        "objections: []",
        "proposals: []",
        "conditions: []",
        "measures: []",
        "events: []",
        "actors: []",
        "risks: []",
        "excluded: []",
        "",
        "# The article's sentences, to work through:",
    ]
    for n, (start, end) in enumerate(sentences(article), 1):
        lines.append(f"# {n:3d}. {' '.join(article[start:end].split())}")
    return "\n".join(lines) + "\n"


def source_skeleton(article_bytes: bytes) -> str:
    """A source.yaml to fill in, with the article's sha256."""
    digest = hashlib.sha256(article_bytes).hexdigest()
    return "\n".join([
        "# Bibliographic metadata of article.txt. Only what can be shown; say how each is known.",
        "title:",
        "  value: null",
        '  basis: ""',
        'author: ""',
        "affiliation: null",
        "outlet:",
        "  value: null",
        '  basis: ""',
        "date:",
        "  value: null",
        '  basis: ""',
        "language: en",
        f'sha256: "{digest}"',  # quoted: an all-digit digest would read as a number
        "",
    ])  # fmt: skip


def new_seed(root: Path, slug: str, article: Path) -> Path:
    """Scaffold ``seeds/<slug>/`` from ``article`` (copied verbatim); never overwrite a seed."""
    target = seed_dir(root, slug, exists=False)
    if target.exists():
        raise InputError(f"seed {slug!r} already exists at {target}: not overwriting it")
    try:
        text = read_text(article, limit=ARTICLE_LIMIT, what="an article")
        raw = article.read_bytes()
    except OSError as exc:  # unreadable: no permission, a path through a file, a device
        reason = exc.strerror or type(exc).__name__
        raise InvalidInput(
            [Problem(article, None, "", f"cannot read the article: {reason}")]
        ) from None
    if not text.strip():
        raise InvalidInput([Problem(article, None, "", "the article is empty")])
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{slug}.new-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        (staging / "article.txt").write_bytes(raw)
        (staging / "source.yaml").write_text(source_skeleton(raw), encoding="utf-8")
        (staging / "brief.yaml").write_text("version: 0.1.0\n", encoding="utf-8")
        (staging / "reading.yaml").write_text(reading_skeleton(text), encoding="utf-8")
        # rename() onto an existing non-empty folder fails, so a racing `new` cannot clobber.
        staging.rename(target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise InputError(f"cannot create seed {slug!r} at {target}: {exc}") from None
    return target
