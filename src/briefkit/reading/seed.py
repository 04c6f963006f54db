"""A seed: its article, source.yaml, reading.yaml and brief.yaml, loaded and checked together."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefkit.errors import InvalidInput, Problem
from briefkit.reading import reads
from briefkit.reading.anchors import QuoteAnchor, anchor_quotes
from briefkit.reading.checks import cross_check
from briefkit.reading.coverage import Coverage, coverage
from briefkit.reading.migrate import upgrade
from briefkit.reading.model import BriefMeta, Reading, Source
from briefkit.reading.validation import validate
from briefkit.reading.yamlfile import ARTICLE_LIMIT, YamlFile, load_yaml_file, read_text
from briefkit.seeds import seed_dir


@dataclass(frozen=True)
class Seed:
    """A seed folder with its article, metadata and reading, validated together."""

    slug: str
    path: Path
    article: str
    source: Source
    reading: Reading
    version: str
    anchors: tuple[QuoteAnchor, ...] = ()
    #: brief.yaml: the version above, the analysts and their organisation.
    brief: BriefMeta | None = None
    #: What loading changed in memory (an older reading format upgraded), for ``check``.
    notes: tuple[str, ...] = ()

    def __getattribute__(self, name: str) -> Any:
        # In a notebook's kernel, note the values derived from the reading that are read.
        if reads._LOG and name in reads.SEED_PARTS:
            reads.note(name)
        return super().__getattribute__(name)

    def coverage(self) -> Coverage:
        """The reading's sentence coverage of the article."""
        return coverage(self.article, self.anchors)


def _collect(problems: list[Problem], load: Any) -> Any:
    try:
        return load()
    except InvalidInput as exc:
        problems.extend(exc.problems)
        return None


def load_seed(root: Path, slug: str) -> Seed:
    """Load and validate a seed (article, source.yaml, reading.yaml, brief.yaml); anchor quotes.

    Problems in every file are collected and raised together; cross-checks run as a second
    pass once the reading's items are valid.
    """
    path = seed_dir(root, slug)
    problems: list[Problem] = []
    article_path = path / "article.txt"
    article: str | None = _collect(
        problems, lambda: read_text(article_path, limit=ARTICLE_LIMIT, what="an article")
    )
    if article is not None and not article.strip():
        problems.append(Problem(article_path, None, "", "the article is empty"))
        article = None

    source_path = path / "source.yaml"
    source_file: YamlFile | None = _collect(problems, lambda: load_yaml_file(source_path))
    source: Source | None = None
    if source_file is not None:
        source = _collect(problems, lambda: validate(Source, source_file))
    if source is not None and article_path.is_file() and article is not None:
        digest = hashlib.sha256(article_path.read_bytes()).hexdigest()
        if digest != source.sha256:
            line = source_file.line(("sha256",)) if source_file else None
            problems.append(
                Problem(source_path, line, "sha256", f"does not match article.txt ({digest})")
            )

    reading_path = path / "reading.yaml"
    reading_file: YamlFile | None = _collect(problems, lambda: load_yaml_file(reading_path))
    reading: Reading | None = None
    anchors: list[QuoteAnchor] = []
    notes: list[str] = []
    if reading_file is not None:
        plain, notes = upgrade(reading_file.plain)
        reading_file = dataclasses.replace(reading_file, plain=plain)
        reading = _collect(problems, lambda: validate(Reading, reading_file))
    if reading is not None and reading_file is not None:
        problems.extend(cross_check(reading, reading_file))
        if article is not None:
            anchors, missing = anchor_quotes(reading, reading_file, article)
            problems.extend(missing)

    meta_path = path / "brief.yaml"
    meta_file: YamlFile | None = _collect(problems, lambda: load_yaml_file(meta_path))
    meta: BriefMeta | None = None
    if meta_file is not None:
        meta = _collect(problems, lambda: validate(BriefMeta, meta_file))

    if problems:
        # Both passes' problems, file by file, in line order.
        order = {p: n for n, p in enumerate((article_path, source_path, reading_path, meta_path))}
        problems.sort(key=lambda p: (order.get(p.path, len(order)), p.line or 0))
        raise InvalidInput(problems)
    assert article is not None
    assert source is not None
    assert reading is not None
    assert meta is not None
    return Seed(slug, path, article, source, reading, meta.version, tuple(anchors), meta,
                tuple(notes))  # fmt: skip
