"""The Quarto engine, tested against a fake ``quarto`` that follows Quarto's own rules."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import docx
import pandas as pd
import plotly.graph_objects as go
import pytest

from briefkit import lock
from briefkit.artifacts import Artifacts, export_figures
from briefkit.build import BuildOptions, run_build
from briefkit.errors import BuildLocked, CommandFailed, InputError, RenderFailed, ToolNotFound
from briefkit.escape import visible
from briefkit.render import get_engine
from briefkit.render import quarto as quarto_engine
from briefkit.render.base import RenderJob, verify_output
from briefkit.render.pandoc import PandocEngine
from briefkit.render.quarto import (
    QuartoEngine,
    QuartoOptions,
    parse_tool_version,
    quarto_args,
    quarto_output,
)

from .conftest import SEED, copy_project
from .pdf import pdf_text

REPO = Path(__file__).resolve().parents[1]
FAKE = Path(__file__).resolve().parent / "fake_quarto.py"


@pytest.fixture
def fake_quarto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fake quarto (tests/fake_quarto.py) on QUARTO_PATH; returns the log of its calls."""
    exe = tmp_path / "bin" / "quarto"
    exe.parent.mkdir()
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    exe.chmod(0o755)
    log = tmp_path / "quarto-calls.jsonl"
    monkeypatch.setenv("QUARTO_PATH", str(exe))
    monkeypatch.setenv("FAKE_QUARTO_LOG", str(log))
    return log


def calls(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


META = {"title": "T", "subtitle": "S", "stamp": "draft", "short_title": "T", "author": "A. Writer"}


def make_job(
    tmp_path: Path,
    formats: tuple[str, ...] = ("html", "pdf"),
    qmd: str = "# Brief\n\nText.\n",
    source: str = "briefing/brief.qmd",
) -> RenderJob:
    """A project with the brief's filters, templates and _quarto.yml, and a build folder."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "briefing", root / "briefing")
    shutil.copy2(REPO / "_quarto.yml", root / "_quarto.yml")
    (root / "briefing" / "brief.qmd").write_text(qmd, encoding="utf-8")
    if source != "briefing/brief.qmd":
        (root / source).parent.mkdir(parents=True, exist_ok=True)
        (root / "briefing" / "brief.qmd").rename(root / source)
    build = root / "_build" / "demo"
    build.mkdir(parents=True)
    (build / "brief.json").write_text(json.dumps(META), encoding="utf-8")
    return RenderJob(root, Path(source), build, formats, 1700000000)


def test_quarto_args_are_exact() -> None:
    opts = QuartoOptions(
        source="briefing/brief.qmd",
        fmt="pdf",
        output_dir="_build/demo/quarto-out",
        build_dir="/p/_build/demo",
        media_dir="../_build/demo",
    )
    assert quarto_args(opts) == [
        "render", "briefing/brief.qmd", "--to", "typst",
        "--output-dir", "_build/demo/quarto-out", "-M", "briefkit-build:/p/_build/demo",
        "-M", "briefkit-media:../_build/demo", "--log-level", "warning",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.6.40\n", (1, 6, 40)), ("99.9.9", (99, 9, 9)), ("1.5", (1, 5)), ("garbage", ())],
)
def test_parse_tool_version(text: str, expected: tuple[int, ...]) -> None:
    assert parse_tool_version(text) == expected


@pytest.mark.parametrize(
    ("source", "fmt", "expected"),
    [
        ("briefing/brief.qmd", "html", "out/briefing/brief.html"),
        ("briefing/brief.qmd", "pdf", "out/briefing/brief.pdf"),
        ("docs/notes/memo.qmd", "pdf", "out/docs/notes/memo.pdf"),
        ("brief.qmd", "html", "out/brief.html"),
    ],
)
def test_output_is_found_by_quartos_rule(source: str, fmt: str, expected: str) -> None:
    """<output-dir>/<source folder relative to the project>/<stem>.<ext>, for every format."""
    assert quarto_output(Path("out"), Path(source), fmt) == Path(expected)


def test_render_runs_quarto_and_moves_outputs_from_where_quarto_writes(
    tmp_path: Path, fake_quarto: Path
) -> None:
    job = make_job(tmp_path)
    outputs = QuartoEngine().render(job)
    assert outputs == {"html": job.build_dir / "brief.html", "pdf": job.build_dir / "brief.pdf"}
    assert verify_output(outputs["pdf"], "pdf", "quarto") == job.build_dir / "brief.pdf"
    recorded = calls(fake_quarto)
    assert recorded[0]["argv"] == ["--version"]
    build = str(job.build_dir.resolve())
    for call, fmt in zip(recorded[1:], ("html", "typst"), strict=True):
        assert call["argv"] == [
            "render", "briefing/brief.qmd", "--to", fmt,
            "--output-dir", "_build/demo/quarto-out", "-M", f"briefkit-build:{build}",
            "-M", "briefkit-media:../_build/demo", "--log-level", "warning",
        ]  # fmt: skip
        assert call["cwd"] == str(job.root)
        assert call["sde"] == "1700000000"
    assert not (job.build_dir / "quarto-out").exists()
    # Nothing left beside the source; Quarto's scratch folder is its own.
    assert sorted(p.name for p in (job.root / "briefing").iterdir()) == sorted(
        p.name for p in (REPO / "briefing").iterdir()
    )
    assert (job.root / ".quarto").is_dir()


def test_render_does_not_depend_on_the_callers_working_directory(
    tmp_path: Path, fake_quarto: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = make_job(tmp_path, ("pdf",), source="docs/notes/brief.qmd")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert QuartoEngine().render(job) == {"pdf": job.build_dir / "brief.pdf"}
    assert list(elsewhere.iterdir()) == []


def test_fake_follows_quarto_where_output_would_rename_the_pdf(
    tmp_path: Path, fake_quarto: Path
) -> None:
    """Why briefkit passes no --output: with it, the typst PDF is renamed relative to the
    process's working directory (quarto-cli #12920), not beside the HTML."""
    job = make_job(tmp_path, ("pdf",))
    binary = os.environ["QUARTO_PATH"]
    argv = [binary, "render", "briefing/brief.qmd", "--to", "typst", "--output", "brief.pdf",
            "--output-dir", "out", "-M", f"briefkit-build:{job.build_dir}",
            "-M", "briefkit-media:../_build/demo"]  # fmt: skip
    subprocess.run(argv, cwd=job.root, check=True)
    assert (job.root / "out" / "brief.pdf").is_file()
    assert not (job.root / "out" / "briefing").exists()
    argv[argv.index("--output") + 1] = "sub/brief.pdf"
    refused = subprocess.run(argv, cwd=job.root, capture_output=True, text=True)
    assert refused.returncode == 1
    assert "--output option cannot specify a relative or absolute path" in refused.stderr


def test_quarto_failure_is_a_render_failure_with_quartos_message(
    tmp_path: Path, fake_quarto: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quarto's own message, which --quiet would have hidden; the embedded engine's error type."""
    monkeypatch.setenv("FAKE_QUARTO_MODE", "fail")
    job = make_job(tmp_path)
    with pytest.raises(RenderFailed) as info:
        QuartoEngine().render(job)
    assert info.value.exit_code == 3
    cause = info.value.__cause__
    assert isinstance(cause, CommandFailed)
    assert cause.returncode == 1
    assert str(info.value) == (
        "quarto could not render briefing/brief.qmd to html: "
        "ERROR: YAMLException: bad indentation (briefing/brief.qmd, 3:1)"
    )
    assert not job.output("html").exists()


def test_quiet_would_hide_quartos_error(
    tmp_path: Path, fake_quarto: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule the fake mirrors (src/core/log.ts): --quiet installs no stderr handler."""
    monkeypatch.setenv("FAKE_QUARTO_MODE", "fail")
    job = make_job(tmp_path)
    quiet = subprocess.run(
        [os.environ["QUARTO_PATH"], "render", "briefing/brief.qmd", "--quiet"],
        cwd=job.root, capture_output=True, text=True,
    )  # fmt: skip
    assert (quiet.returncode, quiet.stderr) == (1, "")


def test_filter_error_under_quarto_shows_the_filters_message(
    tmp_path: Path, fake_quarto: Path
) -> None:
    job = make_job(tmp_path, ("html",), qmd='# Brief\n\n::: {.bk-table name="nope"}\n:::\n')
    with pytest.raises(RenderFailed) as info:
        QuartoEngine().render(job)
    assert str(info.value).endswith(
        f"briefkit.lua: missing artifact {job.build_dir.resolve()}/tables/nope.json"
    )


def test_author_line_is_set_the_way_quarto_reads_it(tmp_path: Path, fake_quarto: Path) -> None:
    """Quarto's title templates read by-author, built before user filters run."""
    job = make_job(tmp_path)
    outputs = QuartoEngine().render(job)
    assert '<p class="author">A. Writer</p>' in outputs["html"].read_text(encoding="utf-8")
    assert "A. Writer" in pdf_text(outputs["pdf"])


def test_tables_keep_their_captions_under_quarto(tmp_path: Path, fake_quarto: Path) -> None:
    job = make_job(tmp_path, ("pdf",), qmd='# Brief\n\n::: {.bk-table name="t"}\n:::\n')
    Artifacts(job.build_dir).table(
        "t", pd.DataFrame({"v": ["one"]}), labels={"v": "Value"}, caption="The one table's caption"
    )
    pdf = QuartoEngine().render(job)["pdf"]
    assert "The one table's caption" in pdf_text(pdf)


def test_seed_text_that_looks_like_a_shortcode_stays_text_under_quarto(
    tmp_path: Path, fake_quarto: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quarto expands {{< env … >}} in raw text, code and attributes; seed text never."""
    monkeypatch.setenv("FAKE_SECRET", "leaked-value")
    code = "{{< env FAKE_SECRET >}}"
    qmd = '# Brief\n\n::: {.bk-table name="t"}\n:::\n\n::: {.bk-figure name="f"}\n:::\n'
    job = make_job(tmp_path, qmd=qmd)
    build = Artifacts(job.build_dir)
    build.table("t", pd.DataFrame({"v": [f"cell {code}"]}), labels={"v": "Value"}, caption=code)
    build.figure("f", go.Figure(go.Scatter(x=[1], y=[1])), caption=f"c {code}", alt=f"a {code}")
    export_figures(job.build_dir, static=False)
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    (job.build_dir / "figures" / "f.svg").write_text(svg, encoding="utf-8")
    (job.build_dir / "assets").mkdir(exist_ok=True)
    (job.build_dir / "assets" / "plotly.min.js").write_text("/* plotly.js */", encoding="utf-8")
    outputs = QuartoEngine().render(job)
    html = outputs["html"].read_text(encoding="utf-8")
    text = pdf_text(outputs["pdf"])
    assert "leaked-value" not in html
    assert "leaked-value" not in text
    assert visible(f"cell {code}") in visible(text)
    assert visible(f"c {code}") in visible(text)
    assert 'aria-label="a {{\u2060&lt; env FAKE_SECRET &gt;}}"' in html


def test_word_renders_with_quarto_from_the_same_project(tmp_path: Path, fake_quarto: Path) -> None:
    """`--to docx` with _quarto.yml's reference document; dated like the embedded engine's."""
    job = make_job(tmp_path, ("docx",), qmd='# Brief\n\n::: {.bk-table name="t"}\n:::\n')
    frame = pd.DataFrame({"v": ["one"]})
    Artifacts(job.build_dir).table(
        "t", frame, labels={"v": "Value"}, caption="The one table's caption"
    )
    (job.build_dir / "brief.json").write_text(json.dumps({**META, "version": "1.2.3"}))
    path = QuartoEngine().render(job)["docx"]
    assert path == job.build_dir / "brief.docx"
    assert calls(fake_quarto)[-1]["argv"][:4] == ["render", "briefing/brief.qmd", "--to", "docx"]
    document = docx.Document(str(path))
    assert [p.text for p in document.paragraphs if p.style.name == "Table Caption"] == [
        "The one table's caption"
    ]
    assert document.core_properties.version == "1.2.3"
    assert round(document.sections[0].left_margin.cm, 1) == 2.0  # the reference document's
    first = path.read_bytes()
    assert QuartoEngine().render(job)["docx"].read_bytes() == first


def test_html_is_quartos_minimal_page_not_bootstrap(tmp_path: Path, fake_quarto: Path) -> None:
    job = make_job(tmp_path, ("html",))
    html = QuartoEngine().render(job)["html"].read_text(encoding="utf-8")
    assert 'data-quarto="bootstrap"' not in html
    assert "brief.css" not in html  # embedded, not linked
    quarto_yml = job.root / "_quarto.yml"
    quarto_yml.write_text(
        quarto_yml.read_text(encoding="utf-8").replace("minimal: true", "minimal: false"),
        encoding="utf-8",
    )
    html = QuartoEngine().render(job)["html"].read_text(encoding="utf-8")
    assert 'data-quarto="bootstrap"' in html


def test_quarto_leaves_the_repositorys_gitignore_alone() -> None:
    """Quarto appends "/.quarto/" to a project's .gitignore unless it is there
    (src/project/project-gitignore.ts): it is, so a render changes no tracked file."""
    lines = (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/.quarto/" in lines


def test_renders_of_one_project_are_serialized(
    tmp_path: Path, fake_quarto: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quarto writes its intermediates beside the shared source: one render at a time."""
    job = make_job(tmp_path, ("html",))
    monkeypatch.setattr(quarto_engine, "RENDER_WAIT", 0.2)
    taken, done = threading.Event(), threading.Event()

    def other_render() -> None:  # another thread: briefkit's locks are re-entrant per thread
        with lock.hold(job.build_dir.parent / ".quarto-render.lock", wait=1, busy="held"):
            taken.set()
            done.wait(10)

    holder = threading.Thread(target=other_render)
    holder.start()
    try:
        assert taken.wait(10)
        with pytest.raises(BuildLocked, match="another Quarto render"):
            QuartoEngine().render(job)
    finally:
        done.set()
        holder.join()


def test_missing_quarto_says_how_to_install_or_which_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("QUARTO_PATH", raising=False)
    monkeypatch.setenv("PATH", "")
    with pytest.raises(ToolNotFound) as info:
        get_engine("quarto")
    assert "install Quarto >= 1.7" in str(info.value)
    assert "--engine pandoc" in str(info.value)


def test_quarto_exit_zero_without_output_is_a_failure(
    tmp_path: Path, fake_quarto: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_QUARTO_MODE", "noout")
    job = make_job(tmp_path, ("html",))
    with pytest.raises(RenderFailed, match="quarto reported success but wrote no html output"):
        QuartoEngine().render(job)
    assert not job.output("html").exists()


@pytest.mark.parametrize("old", ["1.4.550", "1.6.40"])
def test_old_quarto_is_refused(
    fake_quarto: Path, monkeypatch: pytest.MonkeyPatch, old: str
) -> None:
    """1.6's typst template ignores page-numbering; 1.7 is the first that the brief's PDF needs."""
    monkeypatch.setenv("FAKE_QUARTO_VERSION", old)
    with pytest.raises(ToolNotFound, match=rf"quarto >= 1\.7 not found: .* is version {old}"):
        QuartoEngine().version()


def test_auto_prefers_quarto_when_found(fake_quarto: Path) -> None:
    assert get_engine("auto").name == "quarto"


def test_auto_falls_back_to_pandoc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUARTO_PATH", raising=False)
    monkeypatch.setenv("PATH", "")
    assert get_engine("auto").name == "pandoc"


def test_auto_skips_old_quarto(fake_quarto: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_QUARTO_VERSION", "1.6.40")
    assert get_engine("auto").name == "pandoc"


def test_unknown_engine_is_an_input_error() -> None:
    with pytest.raises(
        InputError, match="unknown engine 'latex': choose one of auto, pandoc, quarto"
    ):
        get_engine("latex")


@pytest.mark.parametrize("mode", ["partial", "noout"])
def test_failed_quarto_render_leaves_no_staging_folder(
    tmp_path: Path, fake_quarto: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("FAKE_QUARTO_MODE", mode)
    job = make_job(tmp_path)
    with pytest.raises(RenderFailed):
        QuartoEngine().render(job)
    assert not (job.build_dir / "quarto-out").exists()
    assert sorted(p.name for p in job.build_dir.iterdir()) == ["brief.json"]
    # Not even the half-written intermediate beside the source.
    assert sorted(p.name for p in (job.root / "briefing").iterdir()) == sorted(
        p.name for p in (REPO / "briefing").iterdir()
    )


def table_captions(build: Path) -> list[str]:
    """The caption of every table the build made."""
    specs = sorted((build / "tables").glob("*.json"))
    return [json.loads(p.read_text(encoding="utf-8"))["caption"] for p in specs]


@pytest.mark.build
def test_quarto_emulation_keeps_every_table_caption(built: Path, tmp_path: Path) -> None:
    """Embedded pandoc, briefkit.lua, then Quarto's typst table rule (tests/quarto/
    typst_no_figure.lua, from quarto-post/typst.lua), then table-captions.lua: Quarto's order."""
    root = copy_project(tmp_path / "project", seeds=())
    build = root / "_build" / "demo"
    shutil.copytree(built, build, ignore=shutil.ignore_patterns("brief.*", ".*"))
    shutil.copy2(built / "brief.json", build / "brief.json")
    captions = table_captions(build)
    assert len(captions) >= 5
    rule = str(REPO / "tests" / "quarto" / "typst_no_figure.lua")

    def render(filters: list[str]) -> tuple[str, str]:
        quarto_yml = root / "_quarto.yml"
        text = quarto_yml.read_text(encoding="utf-8")
        start, end = text.index("\nfilters:\n"), text.index("\nlang:")
        listed = "".join(f"  - {f}\n" for f in filters)
        quarto_yml.write_text(f"{text[:start]}\nfilters:\n{listed}{text[end:]}", encoding="utf-8")
        job = RenderJob(root, Path("briefing/brief.qmd"), build, ("pdf",), 0)
        PandocEngine().render(job)
        return (build / "brief.typ").read_text(encoding="utf-8"), pdf_text(build / "brief.pdf")

    briefkit, keep = "briefing/filters/briefkit.lua", "briefing/filters/table-captions.lua"
    # A table in a figure ends with its label; a bare #table has none.
    labels = re.compile(r"^<tbl-[a-z0-9-]+>$", re.MULTILINE)
    typ, text = render([briefkit, rule, keep])
    assert len(labels.findall(typ)) == len(captions)
    flat = visible(text)
    assert [c for c in captions if visible(c) not in flat] == []
    # The emulated rule bites: without table-captions.lua no table keeps its caption.
    typ, text = render([briefkit, rule])
    assert labels.findall(typ) == []
    assert [c for c in captions if visible(c) in visible(text)] == []


@pytest.mark.build
def test_build_with_quarto_succeeds_where_quarto_writes(tmp_path: Path, fake_quarto: Path) -> None:
    """`briefkit build --engine quarto` against a fake that writes where real Quarto writes."""
    root = copy_project(tmp_path / "project", seeds=(SEED,))
    result = run_build(BuildOptions(root, SEED, engine="quarto"))
    build = root / "_build" / SEED
    assert result.engine == "quarto"
    assert result.outputs == {"html": build / "brief.html", "pdf": build / "brief.pdf"}
    meta = json.loads((build / "brief.json").read_text(encoding="utf-8"))
    html = (build / "brief.html").read_text(encoding="utf-8")
    text = visible(pdf_text(build / "brief.pdf"))
    assert f'<p class="author">{meta["author"]}</p>' in html
    assert visible(meta["author"]) in text
    assert [c for c in table_captions(build) if visible(c) not in text] == []
    assert not (build / "quarto-out").exists()
    assert sorted(p.name for p in (root / "briefing").iterdir()) == sorted(
        p.name for p in (REPO / "briefing").iterdir()
    )
