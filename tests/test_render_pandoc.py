"""The embedded engine's faults: pandoc warnings fail, typst errors show their line."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from briefkit.errors import RenderFailed
from briefkit.render import formats
from briefkit.render.base import RenderJob, verify_output
from briefkit.render.formats import HTML, PDF
from briefkit.render.pandoc import PandocEngine, pandoc_args
from briefkit.render.pdf import compile_typst

REPO = Path(__file__).resolve().parents[1]


def make_job(tmp_path: Path, qmd: str, formats: tuple[str, ...]) -> RenderJob:
    """A project with the brief's filter and CSS, a test copy of brief.qmd, and a build folder."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "briefing", root / "briefing")
    shutil.copy2(REPO / "_quarto.yml", root / "_quarto.yml")
    (root / "briefing" / "brief.qmd").write_text(qmd, encoding="utf-8")
    build = root / "_build" / "demo"
    build.mkdir(parents=True)
    meta = {"title": "T", "subtitle": "S", "date": "D", "stamp": "draft", "short_title": "T"}
    (build / "brief.json").write_text(json.dumps(meta), encoding="utf-8")
    return RenderJob(root, Path("briefing/brief.qmd"), build, formats, 0)


def leftovers(job: RenderJob) -> list[str]:
    """Files named brief.* in the build folder, except the metadata."""
    return sorted(p.name for p in job.build_dir.glob("brief.*") if p.name != "brief.json")


def test_pandoc_warning_fails_the_build_and_names_the_warning(tmp_path: Path) -> None:
    job = make_job(tmp_path, "# Brief\n\n![a figure](figures/missing.png)\n", ("html",))
    with pytest.raises(RenderFailed) as info:
        PandocEngine().render(job)
    assert str(info.value) == (
        "pandoc could not render briefing/brief.qmd to html: "
        "[WARNING] Could not fetch resource figures/missing.png"
    )
    assert info.value.exit_code == 3
    assert leftovers(job) == []


def test_formats_render_side_by_side_and_the_first_failure_is_raised(tmp_path: Path) -> None:
    job = make_job(tmp_path, "# Brief\n\n![a figure](figures/missing.png)\n", ("html", "pdf"))
    with pytest.raises(RenderFailed) as info:
        PandocEngine().render(job)
    # Both formats fail on the missing figure; the error is the first format's, as in order.
    assert str(info.value).startswith("pandoc could not render briefing/brief.qmd to html: ")
    assert not [p for p in job.build_dir.iterdir() if p.name.endswith(".tmp")]


def test_both_formats_render_in_one_job(tmp_path: Path) -> None:
    job = make_job(tmp_path, "# Brief\n\nText.\n", ("html", "pdf"))
    outputs = PandocEngine().render(job)
    assert list(outputs) == ["html", "pdf"]
    assert verify_output(outputs["html"], "html", "pandoc") == job.build_dir / "brief.html"
    assert verify_output(outputs["pdf"], "pdf", "pandoc") == job.build_dir / "brief.pdf"


def test_typst_error_shows_file_line_and_message(tmp_path: Path) -> None:
    source = tmp_path / "bad.typ"
    source.write_text("= Title\n\nSome text\n#let x = (\n#foo(1)\n", encoding="utf-8")
    with pytest.raises(RenderFailed) as info:
        compile_typst(source, tmp_path / "bad.pdf", root=tmp_path, timestamp=0)
    assert str(info.value) == (
        f"typst could not compile {source}:4:10: unclosed delimiter (and 1 more error(s))"
    )
    assert not (tmp_path / "bad.pdf").exists()


def test_typst_cannot_read_outside_the_build_folder(tmp_path: Path) -> None:
    source = tmp_path / "build" / "read.typ"
    source.parent.mkdir()
    source.write_text('#read("/etc/passwd")\n', encoding="utf-8")
    with pytest.raises(
        RenderFailed, match=r"read\.typ:1:7: file not found \(searched at .*/build/etc/passwd\)"
    ):
        compile_typst(source, tmp_path / "read.pdf", root=source.parent, timestamp=0)


def test_interrupt_while_rendering_leaves_no_partial_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = make_job(tmp_path, "# Brief\n\nText.\n", ("pdf",))

    def interrupted(source: Path, output: Path, **_: object) -> None:
        output.write_bytes(b"%PDF-1.7\n half a page")
        raise KeyboardInterrupt

    monkeypatch.setitem(formats.REGISTRY, "pdf", dataclasses.replace(PDF, compile=interrupted))
    with pytest.raises(KeyboardInterrupt):
        PandocEngine().render(job)
    assert leftovers(job) == ["brief.typ"]  # the complete intermediate; no brief.pdf(.tmp)


@pytest.mark.parametrize(
    ("fmt", "content", "message"),
    [
        (
            "html",
            b"<!DOCTYPE html><html><body>cut short",
            "incomplete HTML output, with no </html>",
        ),
        ("html", b"just text</html>", "HTML output with no <html> element"),
        ("pdf", b"%PDF-1.7\n1 0 obj", "incomplete PDF"),
        ("pdf", b"", "empty pdf output"),
    ],
)
def test_incomplete_output_is_a_failure(
    tmp_path: Path, fmt: str, content: bytes, message: str
) -> None:
    path = tmp_path / f"brief.{fmt}"
    path.write_bytes(content)
    with pytest.raises(RenderFailed, match=re.escape(message)):
        verify_output(path, fmt, "pandoc")


def test_pandoc_args_are_exact_and_hold_no_house_style(tmp_path: Path) -> None:
    job = RenderJob(Path("/p"), Path("briefing/brief.qmd"), Path("/p/_build/demo"), ("pdf",), 0)
    assert pandoc_args(job, PDF, Path("/p/_build/demo/brief.typ.tmp"), Path("d.json")) == [
        "briefing/brief.qmd", "--defaults", "d.json", "--from", "markdown", "--to", "typst",
        "--standalone", "--metadata", "briefkit-build=/p/_build/demo",
        "--metadata", "briefkit-media=.", "--fail-if-warnings",
        "--output", "/p/_build/demo/brief.typ.tmp",
    ]  # fmt: skip
    assert pandoc_args(job, HTML, Path("o"), Path("d.json"))[6] == "html5"


def test_house_style_from_quarto_yml_reaches_the_typst_source(tmp_path: Path) -> None:
    job = make_job(tmp_path, "# Brief\n\nText.\n", ("pdf",))
    PandocEngine().render(job)
    typ = (job.build_dir / "brief.typ").read_text(encoding="utf-8")
    # _quarto.yml's A4, 2 cm margins (a map of sides, as Quarto's and pandoc's templates read
    # it), 10pt and "1 / 1" page numbers, and its typst header (the running header).
    assert '  paper: "a4",\n' in typ
    assert "  margin: (x: 2cm,y: 2cm,),\n" in typ
    assert "  fontsize: 10pt,\n" in typ
    assert '  pagenumbering: "1 / 1",\n' in typ
    assert "query(<bk-stamp>)" in typ
    assert not [p.name for p in job.build_dir.iterdir() if p.name.startswith(".")]


def test_a_changed_house_style_changes_the_output(tmp_path: Path) -> None:
    job = make_job(tmp_path, "# Brief\n\n## Part\n\nText.\n", ("html",))
    html = PandocEngine().render(job)["html"].read_text(encoding="utf-8")
    # Headings are shifted by one (the title is the <h1>).
    assert '<h2 id="brief">' in html
    assert '<h3 id="part">' in html
    quarto_yml = job.root / "_quarto.yml"
    quarto_yml.write_text(
        quarto_yml.read_text(encoding="utf-8").replace(
            "shift-heading-level-by: 1", "shift-heading-level-by: 2"
        ),
        encoding="utf-8",
    )
    html = PandocEngine().render(job)["html"].read_text(encoding="utf-8")
    assert '<h3 id="brief">' in html
    assert '<h4 id="part">' in html


def test_filter_error_shows_the_filters_own_message(tmp_path: Path) -> None:
    """A Lua error is shown with its message, not the traceback's "(...tail calls...)"."""
    job = make_job(tmp_path, '# Brief\n\n::: {.bk-table name="nope"}\n:::\n', ("html",))
    with pytest.raises(RenderFailed) as info:
        PandocEngine().render(job)
    build = job.build_dir.resolve()
    assert str(info.value) == (
        "pandoc could not render briefing/brief.qmd to html: "
        f"briefkit.lua: missing artifact {build}/tables/nope.json"
    )
    assert leftovers(job) == []


def run_filter(tmp_path: Path, qmd: str, to: str) -> str:
    """pandoc's ``to`` output of ``qmd`` through the brief's Lua filter (no house style)."""
    return filter_output(make_job(tmp_path, qmd, ()), to)


def filter_output(job: RenderJob, to: str) -> str:
    """pandoc's ``to`` output of ``job``'s brief through the brief's Lua filter."""
    out = job.build_dir / f"out.{to}"
    filter_path = job.root / "briefing" / "filters" / "briefkit.lua"
    argv = [str(PandocEngine().binary), str(job.root / job.source), "--standalone", "--to", to,
            "--lua-filter", str(filter_path), "--metadata", f"briefkit-build={job.build_dir}",
            "--output", str(out)]  # fmt: skip
    subprocess.run(argv, check=True, cwd=job.root)
    return out.read_text(encoding="utf-8")


@pytest.mark.parametrize("to", ["native", "markdown"])
def test_filter_gives_other_writers_no_typst(tmp_path: Path, to: str) -> None:
    """Not HTML does not mean typst: a writer the filter has no branch for gets plain elements."""
    qmd = '# Brief\n\n[]{.bk-meta key="title"}\n\n::: {.bk-toc}\n:::\n'
    out = run_filter(tmp_path, qmd, to)
    assert "typst" not in out
    assert "outline" not in out
    assert "T" in out


class _Figure:
    """A plotly figure as Artifacts.figure sees one: its JSON."""

    def to_json(self) -> str:
        # Text that looks like the lines the filter looks for, inside JSON strings.
        text = ["a\n }", 'b\n "figure": c']
        return json.dumps({"data": [{"type": "scatter", "text": text}], "layout": {}})


def test_a_figures_caption_alt_and_instead_read_the_same_however_its_spec_is_written(
    tmp_path: Path,
) -> None:
    """The filter reads a spec written by briefkit without decoding its plotly figure; one
    written otherwise (compact JSON) is decoded whole, to the same brief."""
    from briefkit.artifacts import Artifacts

    qmd = '# Brief\n\n::: {.bk-figure name="plain"}\n:::\n\n::: {.bk-figure name="none"}\n:::\n'
    job = make_job(tmp_path, qmd, ())
    out = Artifacts(job.build_dir)
    out.figure("plain", _Figure(), caption='Cap\n }, "x": 1', alt='Alt\n "figure": two')
    out.figure("none", _Figure(), caption="C", alt="A", instead="Nothing to draw.")
    outputs = [" ".join(filter_output(job, "markdown").split())]
    for path in (job.build_dir / "figures").glob("*.json"):
        path.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8"))))
    outputs.append(" ".join(filter_output(job, "markdown").split()))
    assert outputs[0] == outputs[1]
    assert "Nothing to draw." in outputs[0]
    assert 'Cap }, "x": 1' in outputs[0]
    assert 'alt="Alt &quot;figure&quot;: two"' in outputs[0]
