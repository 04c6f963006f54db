"""The command line: check and new; one line on stderr and a distinct exit code per failure."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from briefkit import cli, context, stamps, steps
from briefkit.cli import main
from briefkit.errors import (
    EXIT_ENVIRONMENT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_INVALID_INPUT,
    EXIT_OK,
    EXIT_STEP_FAILED,
    InputError,
)
from briefkit.reading.yamlfile import load_yaml_file
from briefkit.render import RenderJob

from .conftest import SEED
from .test_notebooks import make_notebook
from .test_reading import write_water_seed


def test_check_passes_on_the_first_seed_with_coverage_at_least_90_percent(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(project), "check", "--seed", SEED]) == 0
    out = capsys.readouterr().out
    share = re.search(rf"^{SEED}: valid; coverage (\d+\.\d)% \((\d+) of (\d+)", out, re.M)
    assert share is not None
    assert float(share.group(1)) >= 90.0
    assert "excluded sentence 46: Alexander Clackson" in out


def test_check_lists_uncovered_sentences_of_every_seed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_water_seed(project)
    assert main(["--root", str(project), "check"]) == 0
    out = capsys.readouterr().out
    assert "water: valid; coverage 83.3% (5 of 6 substantive sentences anchored" in out
    assert "  uncovered sentence 2: The basin is home to four million people." in out
    assert f"{SEED}: valid" in out


def test_check_exits_2_and_shows_every_problem(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reading = project / "seeds" / SEED / "reading.yaml"
    text = reading.read_text(encoding="utf-8")
    reading.write_text(
        text.replace("    held_by: [A-EE]", "    held_by: [A-XX]").replace(
            '"If Russia ends its aggressive policies"', '"If Russia apologises"'
        ),
        encoding="utf-8",
    )
    assert main(["--root", str(project), "check"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"briefkit: error: {reading}:")
    assert "objections.0.held_by.0: 'A-XX' does not name any item" in err[0]
    assert "conditions.0.quotes.0: quote not found in the article" in err[1]
    assert err[-1] == "briefkit: 1 seed(s) invalid"


ARTICLE = "Caf\u00e9 talks \u2014 a \u201cfirst\u201d step.\r\nThey met in 2024. They agreed!\n"


def test_new_scaffolds_a_seed_with_the_article_verbatim(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = tmp_path / "in.txt"
    article.write_bytes(ARTICLE.encode("utf-8"))
    root = tmp_path / "project"
    assert main(["--root", str(root), "new", "cafe-talks", "--from", str(article)]) == 0
    seed = root / "seeds" / "cafe-talks"
    assert f"created {seed}" in capsys.readouterr().out
    assert (seed / "article.txt").read_bytes() == ARTICLE.encode("utf-8")
    source = load_yaml_file(seed / "source.yaml").plain
    assert source["sha256"] == hashlib.sha256(ARTICLE.encode("utf-8")).hexdigest()
    assert load_yaml_file(seed / "brief.yaml").plain == {"version": "0.1.0"}
    reading = (seed / "reading.yaml").read_text(encoding="utf-8")
    assert "#   1. Caf\u00e9 talks \u2014 a \u201cfirst\u201d step.\n" in reading
    assert "#   2. They met in 2024.\n#   3. They agreed!\n" in reading
    assert load_yaml_file(seed / "reading.yaml").plain["schema_version"] == 2


def test_new_seed_fails_check_until_the_analyst_fills_it_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = tmp_path / "in.txt"
    article.write_text("One sentence.\n", encoding="utf-8")
    assert main(["--root", str(tmp_path), "new", "one", "--from", str(article)]) == 0
    assert main(["--root", str(tmp_path), "check", "--seed", "one"]) == 2
    err = capsys.readouterr().err
    reading = tmp_path / "seeds" / "one" / "reading.yaml"
    lines = reading.read_text(encoding="utf-8").splitlines()
    text = lines.index('  text: ""') + 1
    assert f"briefkit: error: {reading}:{text}: thesis.text: must not be empty" in err
    assert f"{reading}:{text + 2}: thesis.quotes: needs at least one verbatim quote" in err


def test_new_refuses_to_overwrite_an_existing_seed(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = tmp_path / "other.txt"
    article.write_text("Something else.\n", encoding="utf-8")
    before = (project / "seeds" / SEED / "article.txt").read_bytes()
    seeds = sorted(p.name for p in (project / "seeds").iterdir())
    assert main(["--root", str(project), "new", SEED, "--from", str(article)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (project / "seeds" / SEED / "article.txt").read_bytes() == before
    assert sorted(p.name for p in (project / "seeds").iterdir()) == seeds


@pytest.mark.parametrize(
    ("slug", "content", "message"),
    [
        ("Bad_Name", b"Text.\n", "seed name 'Bad_Name' is not valid"),
        ("empty", b"  \n", "in.txt: the article is empty"),
        ("latin1", "Caf\u00e9\n".encode("latin-1"), "in.txt:1: not UTF-8"),
    ],
)
def test_new_rejects_bad_names_and_articles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], slug: str, content: bytes, message: str
) -> None:
    article = tmp_path / "in.txt"
    article.write_bytes(content)
    assert main(["--root", str(tmp_path), "new", slug, "--from", str(article)]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "seeds").exists() or not any((tmp_path / "seeds").iterdir())


NO_CHROMIUM = {"BROWSER_PATH": "/nonexistent/chromium"}
#: Progress lines of the "briefkit" logger (level name first); everything else on stderr is a
#: message for the user.
_LOG_LINE = re.compile(r"^(DEBUG|INFO|WARNING) +")


def messages(stderr: str) -> list[str]:
    """The lines of ``stderr`` that are not progress logging: errors, tracebacks, anything else."""
    return [line for line in stderr.splitlines() if not _LOG_LINE.match(line)]


def briefkit(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m briefkit --root project ARGS`` as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "briefkit", "--root", str(project), *args],
        cwd=project, env={**os.environ, **(env or {})},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def only_notebook(project: Path, cells: list[str]) -> Path:
    """Replace the project's notebooks by one made of ``cells``; return it."""
    for nb in (project / "notebooks").glob("*.ipynb"):
        nb.unlink()
    return make_notebook(
        project / "notebooks" / "only.ipynb", ["seed = root = build_dir = ''", *cells]
    )


def outputs(project: Path) -> list[str]:
    """The brief.* outputs (and partial files) in the seed's build folder."""
    folder = project / "_build" / SEED
    return sorted(p.name for p in folder.glob("brief.*") if p.name != "brief.json")


def test_invalid_seed_name_exits_2_with_one_line(project: Path) -> None:
    proc = briefkit(project, "build", "--seed", "../etc")
    assert proc.returncode == EXIT_INVALID_INPUT
    assert messages(proc.stderr) == [
        "briefkit: error: seed name '../etc' is not valid: use lower-case letters, digits and "
        "'-' only"
    ]


def test_unknown_engine_exits_2(project: Path) -> None:
    proc = briefkit(project, "build", "--seed", SEED, "--engine", "latex")
    assert proc.returncode == EXIT_INVALID_INPUT
    assert messages(proc.stderr) == [
        "briefkit: error: unknown engine 'latex': choose one of auto, pandoc, quarto"
    ]
    assert "Traceback" not in proc.stdout + proc.stderr
    # Said at once: no notebook ran before the engine was looked at.
    assert not list((project / "_build").glob(f"{SEED}/.cache/notebook-*.json"))


def test_failing_notebook_exits_3_naming_notebook_cell_and_kept_copy(project: Path) -> None:
    only_notebook(project, ["raise ValueError('no claims in <reading>')"])
    proc = briefkit(project, "build", "--seed", SEED, "--formats", "html")
    kept = project.resolve() / "_build" / SEED / "notebooks" / "only.failed.ipynb"
    assert proc.returncode == EXIT_STEP_FAILED
    assert messages(proc.stderr) == [
        "briefkit: error: notebook only.ipynb, cell step-1: ValueError: no claims in <reading> "
        f"(failed copy kept at {kept})"
    ]
    assert kept.exists()
    assert outputs(project) == []


def test_missing_chromium_exits_4_before_any_notebook_runs(project: Path) -> None:
    proc = briefkit(project, "build", "--seed", SEED, env=NO_CHROMIUM)
    assert proc.returncode == EXIT_ENVIRONMENT
    assert messages(proc.stderr) == [
        "briefkit: error: Chromium (BROWSER_PATH=/nonexistent/chromium) not found: PDF figures "
        "need Chrome or Chromium: install Chromium (Debian: apt-get install chromium), set "
        "BROWSER_PATH to a Chrome or Chromium, or build HTML only with --formats html"
    ]
    assert not (project / "_build" / SEED / "notebooks").exists()


@pytest.mark.build
def test_sys_exit_0_in_a_notebook_fails_the_build_naming_notebook_and_cell(project: Path) -> None:
    # papermill counts sys.exit(0) as success; the build then failed in pandoc on a missing
    # artifact, and the message named neither the notebook nor the cell.
    path = project / "notebooks" / "actors.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = nbformat.v4.new_code_cell("import sys\nsys.exit(0)")
    cell.id = "early-exit"
    nb.cells.insert(2, cell)
    nbformat.write(nb, path)
    proc = briefkit(project, "build", "--seed", SEED, "--engine", "pandoc", "--formats", "html")
    kept = project.resolve() / "_build" / SEED / "notebooks" / "actors.failed.ipynb"
    assert proc.returncode == EXIT_STEP_FAILED
    assert messages(proc.stderr) == [
        "briefkit: error: notebook actors.ipynb, cell early-exit: SystemExit: exit code 0: a "
        f"notebook must run to its end; cell {nb.cells[3].id} and the ones after it never ran "
        f"(failed copy kept at {kept})"
    ]
    assert outputs(project) == []


@pytest.mark.build
def test_html_only_builds_without_chromium_and_exits_0(project: Path) -> None:
    proc = briefkit(
        project, "build", "--seed", SEED, "--engine", "pandoc", "--formats", "html",
        env=NO_CHROMIUM,
    )  # fmt: skip
    assert proc.returncode == EXIT_OK, proc.stderr
    assert outputs(project) == ["brief.html"]
    html = (project / "_build" / SEED / "brief.html").read_text(encoding="utf-8")
    assert html.rstrip().endswith("</html>")


def test_interrupted_build_exits_130_promptly_and_leaves_no_output(project: Path) -> None:
    only_notebook(project, ["import time; time.sleep(120)"])
    proc = subprocess.Popen(
        [sys.executable, "-m", "briefkit", "--root", str(project), "build", "--seed", SEED,
         "--formats", "html"],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    running = project / "_build" / SEED / "notebooks" / "only.running.ipynb"
    deadline = time.monotonic() + 60
    while not running.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # the kernel is in the sleeping cell
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_INTERRUPTED
    assert time.monotonic() - start < 30  # not the 120 s of the running cell
    assert err.splitlines()[-1] == "briefkit: interrupted"
    assert "Traceback" not in out + err
    assert outputs(project) == []


def test_unexpected_exception_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args: object) -> int:
        raise RuntimeError("it broke\n\x1b]0;title\x07 badly")

    monkeypatch.setattr(cli, "_cmd_build", broken)
    assert cli.main(["build"]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert messages(err) == [
        "briefkit: internal error: RuntimeError: it broke \\x1b]0;title\\x07 badly "
        "(run with --debug for the traceback)"
    ]


def test_debug_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args: object) -> int:
        raise RuntimeError("it broke")

    monkeypatch.setattr(cli, "_cmd_build", broken)
    assert cli.main(["--debug", "build"]) == EXIT_INTERNAL
    captured = capsys.readouterr()
    assert "Traceback" in captured.out + captured.err
    assert "in broken" in captured.out + captured.err


def test_keyboard_interrupt_in_a_step_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_cmd_build", interrupted)
    assert cli.main(["build"]) == EXIT_INTERRUPTED
    assert capsys.readouterr().err == "briefkit: interrupted\n"


class _LazyEngine:
    """An engine that says it rendered, but wrote only an HTML (``html`` is its content)."""

    name = "lazy"

    def __init__(self, html: str) -> None:
        self.html = html

    def version(self) -> str:
        return "lazy 0"

    def render(self, job: RenderJob) -> dict[str, Path]:
        html = job.output("html")
        html.write_text(self.html)
        return {"html": html}


@pytest.mark.parametrize(
    ("formats", "html", "message"),
    [
        (
            "html,pdf",
            "<html><body>whole</body></html>",
            "lazy reported success but wrote no pdf output",
        ),
        ("html", "<html><body>half", "lazy wrote an incomplete HTML output, with no </html> ("),
    ],
)
def test_exit_0_only_when_every_requested_output_is_whole(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    formats: str,
    html: str,
    message: str,
) -> None:
    monkeypatch.setattr(context, "get_engine", lambda name: _LazyEngine(html))
    monkeypatch.setattr(steps, "notebook_steps", lambda ctx: None)
    code = cli.main(["--root", str(project), "build", "--seed", SEED, "--formats", formats])
    assert code == EXIT_STEP_FAILED
    assert messages(capsys.readouterr().err)[0].startswith(f"briefkit: error: {message}")
    assert outputs(project) == []


def test_check_shows_the_articles_escape_sequences_instead_of_sending_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = write_water_seed(tmp_path)
    article = seed / "article.txt"
    # A window title (OSC 0), a screen clear (CSI 2J) and a reset (ESC c), in a new sentence.
    text = article.read_text() + "\nIt says \x1b]0;pwned\x07 then \x1b[2J and \x1bc at last.\n"
    article.write_text(text)
    source = seed / "source.yaml"
    digest = hashlib.sha256(text.encode()).hexdigest()
    source.write_text(re.sub(r"sha256: \w+", f"sha256: {digest}", source.read_text()))
    assert main(["--root", str(tmp_path), "check"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "It says \\x1b]0;pwned\\x07 then \\x1b[2J and \\x1bc at last." in out


def test_log_lines_show_control_characters(capsys: pytest.CaptureFixture[str]) -> None:
    cli._setup_logging(False)
    logging.getLogger("briefkit").info("  %s", "judgement \x1bc\u202eevil")
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "judgement \\x1bc\\u202eevil" in err


@pytest.mark.parametrize(
    ("args", "bad"),
    [
        (["build", "--timeout", "-1"], "--timeout"),
        (["build", "--timeout", "0"], "--timeout"),
        (["build", "--timeout", "nan"], "--timeout"),
        (["build", "--timeout", "inf"], "--timeout"),
        (["notebooks", "--timeout", "0"], "--timeout"),
        (["preview", "--timeout", "-1"], "--timeout"),
        (["release", "patch", "--timeout", "-5"], "--timeout"),
        (["release", "patch", "--wait", "-5"], "--wait"),
        (["release", "patch", "--wait", "nan"], "--wait"),
        (["release", "patch", "--wait", "soon"], "--wait"),
    ],
)
def test_seconds_options_reject_what_would_disable_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], bad: str
) -> None:
    # Checked before anything runs: a missing project does not matter.
    with pytest.raises(SystemExit) as exit_:
        main(["--root", str(tmp_path), *args])
    assert exit_.value.code == EXIT_INVALID_INPUT
    err = capsys.readouterr().err.splitlines()[-1]
    assert err.startswith(
        f"briefkit {args[0]}: error: argument {bad}: expected a number of seconds"
    )
    assert repr(args[-1]) in err


def test_seconds_options_take_plain_numbers() -> None:
    args = cli.parser().parse_args(["release", "patch", "--timeout", "2.5", "--wait", "0"])
    assert (args.timeout, args.wait) == (2.5, 0.0)


@pytest.mark.parametrize(
    "args",
    [
        ["build"],
        ["check"],
        ["notebooks"],
        ["release", "patch"],
        ["diff", "v0.1.0", "v0.2.0"],
    ],
)
def test_missing_project_folder_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    missing = tmp_path / "nowhere"
    assert main(["--root", str(missing), *args]) == EXIT_INVALID_INPUT
    assert capsys.readouterr().err.splitlines() == [
        f"briefkit: error: project folder {missing} does not exist (--root)"
    ]
    afile = tmp_path / "file"
    afile.write_text("x")
    for command in (args, ["new", "fresh", "--from", str(afile)]):
        assert main(["--root", str(afile), *command]) == EXIT_INVALID_INPUT
        assert capsys.readouterr().err.splitlines() == [
            f"briefkit: error: project folder {afile} is not a folder (--root)"
        ]


@pytest.mark.parametrize("args", [["build"], ["check"], ["release", "patch"]])
def test_project_folder_without_seeds_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert main(["--root", str(tmp_path), *args]) == EXIT_INVALID_INPUT
    assert capsys.readouterr().err.splitlines() == [
        f"briefkit: error: {tmp_path} has no seeds/ folder: not a briefkit project (--root)"
    ]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("folder", "folder: not a file"),
        ("missing.txt", "missing.txt: file not found"),
        (
            "plain.txt/article.txt",
            "plain.txt/article.txt: cannot read the article: Not a directory",
        ),
    ],
)
def test_new_from_a_folder_or_an_unreadable_path_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str, message: str
) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "plain.txt").write_text("An article.\n")
    article = tmp_path / source
    assert main(["--root", str(tmp_path), "new", "fresh", "--from", str(article)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"briefkit: error: {tmp_path}/{message}"]
    assert not (tmp_path / "seeds" / "fresh").exists()


# --- the build's environment: dates, file types, permissions, full disks ------------------------


@pytest.mark.parametrize("value", ["99999999999999", "253402300800", "-1"])
def test_source_date_epoch_out_of_range_exits_2_before_any_notebook(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    monkeypatch.setattr(steps, "notebook_steps", lambda ctx: pytest.fail("notebooks ran"))
    assert main(["--root", str(project), "build", "--seed", SEED]) == EXIT_INVALID_INPUT
    err = messages(capsys.readouterr().err)
    assert err == [
        f"briefkit: error: SOURCE_DATE_EPOCH={value} is out of range: give seconds since "
        "1970-01-01 UTC, from 0 to 253402300799 (9999-12-31)"
    ]


def test_without_git_or_source_date_epoch_a_release_is_refused_and_a_draft_warned(
    project: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    with pytest.raises(InputError, match=r"no date for the release: .* has no git history; set "):
        context.source_date_epoch(project, release=True)
    assert context.source_date_epoch(project) == 0
    assert "the draft is dated 1970-01-01" in caplog.text
    code = main(["--root", str(project), "release", "patch", "--engine", "pandoc"])
    assert code == EXIT_INVALID_INPUT
    assert not (project / "dist" / SEED).exists()


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        (".lock", Path.mkdir, "is not a file: briefkit keeps its lock there; remove it"),
        (".cache", Path.touch, "is not a folder: briefkit keeps its build there; remove it"),
    ],
)
def test_lock_or_cache_of_the_wrong_file_type_exits_4_naming_it(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    make: Any,
    message: str,
) -> None:
    path = project / "_build" / SEED / name
    path.parent.mkdir(parents=True)
    make(path)
    assert main(["--root", str(project), "build", "--seed", SEED]) == EXIT_ENVIRONMENT
    err = messages(capsys.readouterr().err)
    assert err == [f"briefkit: error: {path.resolve()} {message}"]


@pytest.mark.parametrize(
    ("code", "text"),
    [(errno.ENOSPC, "No space left on device"), (errno.EROFS, "Read-only file system")],
)
def test_a_full_disk_or_read_only_build_folder_exits_4_naming_the_path(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    code: int,
    text: str,
) -> None:
    def refused(path: Path, data: object) -> None:
        raise OSError(code, text, str(path))

    monkeypatch.setattr(stamps, "write_json", refused)
    assert main(["--root", str(project), "build", "--seed", SEED]) == EXIT_ENVIRONMENT
    stamp = project.resolve() / "_build" / SEED / ".cache" / "check.json"
    assert messages(capsys.readouterr().err) == [
        f"briefkit: error: cannot write or read {stamp}: {text} "
        "(check the folder's permissions and the free space)"
    ]
