"""A format lives in the registry and its own module: no other module names one.

What counts as naming a format, in a module of ``src/briefkit``: a string literal (docstrings,
f-string parts and dictionary keys included) that, stripped and lower-cased, is one of a
registered format's words: its name, pandoc writer, Quarto format, the Python tools it runs,
the suffixes of its output and intermediate files, and its static figure types; or a file name
or suffix ending in one of those suffixes (".pdf", "brief.typ", "figures/x.png"); and an
import of a format's own module (``briefkit.render.docx``). The words are read from the
registry, so a new format is checked without editing this test. Comments and identifiers do
not count.

Allowed: ``render/formats.py`` (the registry) every word; ``render/<name>.py`` the words of
format ``<name>``; and the few uses in ``EXCEPTIONS``, each with its reason. An exception
that is no longer used fails too, so the list cannot go stale.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from briefkit.render import formats
from briefkit.render.base import RenderJob, verify_output
from briefkit.render.formats import FIGURE_TYPES, REGISTRY, Format
from briefkit.render.pandoc import PandocEngine

from .test_render_pandoc import make_job

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "briefkit"
REGISTRY_MODULE = "render/formats.py"

#: (module, word): why that module may name it.
EXCEPTIONS = {
    ("artifacts.py", "html"): "figures/<name>.html is plotly's div of every figure, written "
    "whatever the formats (pio.to_html), not the HTML output",
    ("preview.py", "html"): "the preview serves and reloads the HTML page by design; it builds "
    "every other format asked for without naming it",
    ("preview.py", "pdf"): "the key of the other formats' state in the preview's event stream",
    ("bench.py", "pdf"): "the benchmark's naive baseline is a separate pipeline on purpose, and "
    "it reads the preview's event stream",
    ("render/__main__.py", "docx"): "python -m briefkit.render writes Word's reference document",
}


def format_words(fmt: Format) -> set[str]:
    """Every word that names ``fmt``: its name, writers, tools, suffixes, figure types."""
    files = [fmt.output, *([fmt.intermediate] if fmt.intermediate else [])]
    suffixes = {Path(name).suffix for name in files}
    words = {fmt.name, fmt.pandoc_to, fmt.quarto_to, *fmt.tools, *fmt.figure_files}
    return {w.lower() for w in words | {s.lstrip(".") for s in suffixes}}


def all_words() -> dict[str, set[str]]:
    """{word: the formats it names}; a figure type names the formats that embed it."""
    found: dict[str, set[str]] = {}
    for fmt in REGISTRY.values():
        for word in format_words(fmt):
            found.setdefault(word, set()).add(fmt.name)
    for kind in FIGURE_TYPES:
        found.setdefault(kind, set())
    return found


def named(text: str, words: set[str]) -> str | None:
    """The format word ``text`` is, or ends in as a file suffix; None when it names none."""
    value = text.strip().lower()
    if value in words:
        return value
    if value and not any(c.isspace() for c in value) and "." in value:
        suffix = value.rsplit(".", 1)[1]
        if suffix in words:
            return suffix
    return None


def named_formats(package: Path, words: set[str]) -> list[tuple[str, int, str]]:
    """(module relative to ``package``, line, word) for each string literal naming a format."""
    hits = []
    for path in sorted(package.rglob("*.py")):
        module = path.relative_to(package).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                word = named(node.value, words)
                if word is not None:
                    hits.append((module, node.lineno, word))
            elif isinstance(node, ast.Import | ast.ImportFrom):
                hits += [(module, node.lineno, w) for w in imported_formats(node, module, words)]
    return sorted(hits)


def imported_formats(node: ast.Import | ast.ImportFrom, module: str, words: set[str]) -> set[str]:
    """The formats whose own module (``briefkit.render.<name>``) ``node`` imports."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:  # relative to the importing module's package
            parts = ["briefkit", *module.split("/")[:-1]]
            package = parts[: len(parts) - node.level + 1]
            base = ".".join([*package, base] if base else package)
        targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
    found = set()
    for target in targets:
        parts = target.split(".")
        if parts[:2] == ["briefkit", "render"] and len(parts) > 2 and parts[2] in words:
            found.add(parts[2])
    return found


def allowed(module: str, word: str, owners: dict[str, set[str]]) -> bool:
    """Whether ``module`` may name ``word``: the registry, or the word's format's own module."""
    if module == REGISTRY_MODULE:
        return True
    return any(module == f"render/{name}.py" for name in owners.get(word, set()))


def test_no_module_but_the_registry_and_a_formats_own_names_a_format() -> None:
    words = all_words()
    hits = named_formats(PACKAGE, set(words))
    outside = [(m, line, w) for m, line, w in hits if not allowed(m, w, words)]
    unexplained = [f"{m}:{line}: {w!r}" for m, line, w in outside if (m, w) not in EXCEPTIONS]
    assert unexplained == [], "ask the registry (briefkit.render.formats) instead"
    used = {(m, w) for m, _, w in outside}
    assert sorted(set(EXCEPTIONS) - used) == [], "an exception no longer needed: remove it"


def test_the_scan_sees_a_format_named_in_code_and_in_file_names(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "render").mkdir(parents=True)
    (package / "render" / "formats.py").write_text('PDF = "pdf"\n')
    (package / "render" / "pdf.py").write_text('TOOL = "typst"\n')
    (package / "render" / "docx.py").write_text('OTHER = "typst"\n')
    (package / "build.py").write_text(
        '"""Builds HTML and PDF."""\n'
        "def f(formats, fig):\n"
        '    if "pdf" in formats:\n'
        '        return f"figures/{fig}.svg", {"html": 1}, "brief.typ"\n'
        '    return "application/json", "the pdf is built", ".typ"\n'
        "from briefkit.render.docx import make_reproducible\n"
        "from briefkit.render import formats, html\n"
    )
    words = all_words()
    hits = named_formats(package, set(words))
    assert [(m, line, w) for m, line, w in hits if not allowed(m, w, words)] == [
        ("build.py", 3, "pdf"),
        ("build.py", 4, "html"),
        ("build.py", 4, "svg"),
        ("build.py", 4, "typ"),
        ("build.py", 5, "typ"),
        ("build.py", 6, "docx"),
        ("build.py", 7, "html"),
        ("render/docx.py", 1, "typst"),
    ]


def test_every_figure_type_a_format_embeds_is_registered() -> None:
    for fmt in REGISTRY.values():
        assert set(fmt.figure_files) <= set(FIGURE_TYPES), fmt.name


@pytest.mark.build
def test_a_format_added_to_the_registry_alone_is_rendered_checked_and_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    finished: list[Path] = []

    def finish(path: Path, build_dir: Path, timestamp: int) -> Path:
        finished.append(path)
        return path

    # OpenDocument text: pandoc's odt writer, a zip package like Word's; no engine is told.
    odt = dataclasses.replace(
        REGISTRY["docx"], name="odt", output="brief.odt", pandoc_to="odt", quarto_to="odt",
        finish=finish,
    )  # fmt: skip
    monkeypatch.setitem(formats.REGISTRY, "odt", odt)
    job: RenderJob = make_job(tmp_path, "# Brief\n\nText.\n", ("odt",))
    outputs = PandocEngine().render(job)
    assert outputs == {"odt": job.build_dir / "brief.odt"}
    assert verify_output(outputs["odt"], "odt", "pandoc") == outputs["odt"]
    assert [p.name for p in finished] == ["brief.odt.tmp"]
