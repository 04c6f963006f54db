"""The Quarto engine, tested against a fake ``quarto`` that records its argv."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from briefkit.errors import CommandFailed, InputError, RenderFailed, ToolNotFound
from briefkit.render import get_engine
from briefkit.render.base import RenderJob
from briefkit.render.quarto import QuartoEngine, QuartoOptions, parse_tool_version, quarto_args

FAKE = """#!{python}
import json, os, sys
from pathlib import Path
argv = sys.argv[1:]
with open(os.environ["FAKE_QUARTO_LOG"], "a") as log:
    log.write(json.dumps({{"argv": argv, "cwd": os.getcwd(),
                          "sde": os.environ.get("SOURCE_DATE_EPOCH")}}) + "\\n")
if argv == ["--version"]:
    print(os.environ.get("FAKE_QUARTO_VERSION", "1.6.40"))
    sys.exit(0)
mode = os.environ.get("FAKE_QUARTO_MODE", "ok")
if mode == "fail":
    sys.stderr.write("ERROR: YAMLException: bad indentation (briefing/brief.qmd, 3:1)\\n")
    sys.exit(1)
if mode == "noout":
    sys.exit(0)
out = Path(argv[argv.index("--output-dir") + 1]) / argv[argv.index("--output") + 1]
out.parent.mkdir(parents=True, exist_ok=True)
if mode == "partial":
    out.write_text("<!DOCTYPE html><html><body>half")
    sys.exit(1)
if out.suffix == ".pdf":
    out.write_bytes(b"%PDF-1.7\\n1 0 obj<<>>endobj\\ntrailer<<>>\\n%%EOF\\n")
else:
    out.write_text("<!DOCTYPE html><html><body>fake</body></html>")
"""


@pytest.fixture
def fake_quarto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake quarto on QUARTO_PATH; returns the log file of its calls."""
    exe = tmp_path / "bin" / "quarto"
    exe.parent.mkdir()
    exe.write_text(FAKE.format(python=sys.executable))
    exe.chmod(0o755)
    log = tmp_path / "quarto-calls.jsonl"
    monkeypatch.setenv("QUARTO_PATH", str(exe))
    monkeypatch.setenv("FAKE_QUARTO_LOG", str(log))
    return log


def calls(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def make_job(tmp_path: Path, formats: tuple[str, ...] = ("html", "pdf")) -> RenderJob:
    root = tmp_path / "project"
    build = root / "_build" / "demo"
    build.mkdir(parents=True)
    (root / "briefing").mkdir()
    (root / "briefing" / "brief.qmd").write_text("# Brief\n")
    return RenderJob(root, Path("briefing/brief.qmd"), build, formats, 1700000000)


def test_quarto_args_are_exact() -> None:
    opts = QuartoOptions(
        source="briefing/brief.qmd",
        fmt="pdf",
        output_name="brief.pdf",
        output_dir="_build/demo/quarto-out",
        build_dir="/p/_build/demo",
        media_dir="../_build/demo",
    )
    assert quarto_args(opts) == [
        "render", "briefing/brief.qmd", "--to", "typst", "--output", "brief.pdf",
        "--output-dir", "_build/demo/quarto-out", "-M", "briefkit-build:/p/_build/demo",
        "-M", "briefkit-media:../_build/demo", "--quiet",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.6.40\n", (1, 6, 40)), ("99.9.9", (99, 9, 9)), ("1.5", (1, 5)), ("garbage", ())],
)
def test_parse_tool_version(text: str, expected: tuple[int, ...]) -> None:
    assert parse_tool_version(text) == expected


def test_render_runs_quarto_with_exact_argv_and_moves_outputs(
    tmp_path: Path, fake_quarto: Path
) -> None:
    job = make_job(tmp_path)
    outputs = QuartoEngine().render(job)
    assert outputs == {"html": job.build_dir / "brief.html", "pdf": job.build_dir / "brief.pdf"}
    assert all(p.is_file() for p in outputs.values())
    recorded = calls(fake_quarto)
    assert recorded[0]["argv"] == ["--version"]
    build = str(job.build_dir.resolve())
    for call, fmt, name in zip(
        recorded[1:], ("html", "typst"), ("brief.html", "brief.pdf"), strict=True
    ):
        assert call["argv"] == [
            "render", "briefing/brief.qmd", "--to", fmt, "--output", name,
            "--output-dir", "_build/demo/quarto-out", "-M", f"briefkit-build:{build}",
            "-M", "briefkit-media:../_build/demo", "--quiet",
        ]  # fmt: skip
        assert call["cwd"] == str(job.root)
        assert call["sde"] == "1700000000"
    assert not (job.build_dir / "quarto-out").exists()


def test_missing_quarto_says_how_to_install_or_which_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("QUARTO_PATH", raising=False)
    monkeypatch.setenv("PATH", "")
    with pytest.raises(ToolNotFound) as info:
        get_engine("quarto")
    assert "install Quarto >= 1.5" in str(info.value)
    assert "--engine pandoc" in str(info.value)


def test_quarto_failure_is_a_render_failure_with_quartos_message(
    tmp_path: Path, fake_quarto: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same error type as the embedded engine's, so the build cleans up the same way."""
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


def test_quarto_exit_zero_without_output_is_a_failure(
    tmp_path: Path, fake_quarto: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_QUARTO_MODE", "noout")
    job = make_job(tmp_path, ("html",))
    with pytest.raises(RenderFailed, match="quarto reported success but wrote no html output"):
        QuartoEngine().render(job)
    assert not job.output("html").exists()


def test_old_quarto_is_refused(fake_quarto: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_QUARTO_VERSION", "1.4.550")
    with pytest.raises(ToolNotFound, match=r"is version 1\.4\.550"):
        QuartoEngine().version()


def test_auto_prefers_quarto_when_found(fake_quarto: Path) -> None:
    assert get_engine("auto").name == "quarto"


def test_auto_falls_back_to_pandoc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUARTO_PATH", raising=False)
    monkeypatch.setenv("PATH", "")
    assert get_engine("auto").name == "pandoc"


def test_auto_skips_old_quarto(fake_quarto: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_QUARTO_VERSION", "1.3.1")
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
    assert sorted(p.name for p in job.build_dir.iterdir()) == []
