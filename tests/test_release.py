"""Releases: versioned, immutable, atomic, locked, byte-identical, and explained by a diff."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from briefkit import history
from briefkit import release as rel
from briefkit.artifacts import write_json
from briefkit.build import BuildOptions, BuildResult
from briefkit.cli import main
from briefkit.context import input_digests
from briefkit.diff import Change, diff_readings, diff_table
from briefkit.errors import (
    EXIT_ENVIRONMENT,
    EXIT_INTERRUPTED,
    EXIT_INVALID_INPUT,
    BuildLocked,
    InputError,
)
from briefkit.lock import build_lock
from briefkit.reading.seed import load_seed
from briefkit.reading.yamlfile import load_yaml_file
from briefkit.steps import brief_metadata

from .conftest import SEED, copy_project
from .pdf import pdf_text as read_pdf_text


def fake_build(opts: BuildOptions) -> BuildResult:
    """A stand-in for run_build that writes small outputs the way the real one does."""
    root = opts.root.resolve()
    seed = load_seed(root, opts.seed)
    # Like the real build, it reads the seed's files with the bytes it was given instead.
    known = {}
    if "brief.yaml" in opts.seed_files:
        text = opts.seed_files["brief.yaml"].decode()
        seed = replace(seed, version=re.search(r"^version: (\S+)", text, re.M).group(1))  # type: ignore[union-attr]
        known[f"seeds/{seed.slug}/brief.yaml"] = hashlib.sha256(text.encode()).hexdigest()
    inputs = input_digests(root, seed.path, known)
    build = root / "_build" / seed.slug
    (build / "data").mkdir(parents=True, exist_ok=True)
    conditions = [c.id for c in seed.reading.conditions]
    rows = [",".join(["Measure", *conditions])] + [
        ",".join([f"{m.id}: x", *("required" if c in m.required_ids else "" for c in conditions)])
        for m in seed.reading.measures
    ]
    (build / "data" / "condition-matrix.csv").write_text("\n".join(rows) + "\n")
    extra = dict(opts.before_render(build, seed)) if opts.before_render else {}
    write_json(build / "brief.json", {"title": "A brief", **extra})
    # One small file per format asked for, as the real build leaves exactly those.
    made = {
        "html": f"<html>{seed.version} {json.dumps(extra)}</html>\n".encode(),
        "pdf": b"%PDF-1.7\n" + seed.version.encode() + b"\n%%EOF\n",
        "docx": b"PK\x03\x04" + seed.version.encode() + b"PK\x05\x06",
    }
    outputs = {}
    for fmt in opts.formats:
        outputs[fmt] = build / f"brief.{fmt}"
        outputs[fmt].write_bytes(made[fmt])
    return BuildResult(
        seed.slug, seed.version, "fake", "fake 1.0", outputs, {}, "0" * 64, 0, [], inputs, seed
    )


@pytest.fixture
def faked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project with its first seed only (so releases and diffs may leave out --seed), with
    the render step of releases faked (for tests about publishing)."""
    monkeypatch.setattr(rel, "run_build", fake_build)
    return copy_project(tmp_path / "project", seeds=(SEED,))


def do_release(
    root: Path, part: str = "patch", wait: float = 1.0, formats: tuple[str, ...] | None = None
) -> rel.ReleaseResult:
    opts = rel.ReleaseOptions(root, SEED, part, engine="pandoc", lock_wait=wait)
    return rel.release(opts if formats is None else replace(opts, formats=formats))


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder``: file sha256, symlink target, or 'dir'."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[key] = "-> " + os.readlink(path)
        elif path.is_dir():
            found[key] = "dir"
        else:
            found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def edit_reading(root: Path) -> None:
    """Reword claim C1 and drop condition K2 from measure M2."""
    path = root / "seeds" / SEED / "reading.yaml"
    text = path.read_text()
    old = (
        "text: The longer the West delays a dialogue with Russia, "
        "the higher the chance of another conflict."
    )
    assert old in text
    text = text.replace(old, "text: Delaying dialogue with Russia invites another conflict.")
    lines = text.splitlines(keepends=True)
    m2 = next(i for i, line in enumerate(lines) if line.strip() == "- id: M2")
    req = next(i for i in range(m2, len(lines)) if "requires: [K1, K2]" in lines[i])
    lines[req] = lines[req].replace("[K1, K2]", "[K1]")
    path.write_text("".join(lines))


# --- versions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "expected"), [("patch", "1.2.4"), ("minor", "1.3.0"), ("major", "2.0.0")]
)
def test_bump_follows_semver(part: str, expected: str) -> None:
    assert rel.bump("1.2.3", part) == expected


def test_set_version_keeps_comments(project: Path) -> None:
    path = project / "seeds" / SEED / "brief.yaml"
    before = path.read_text()
    rel.set_version(path, "0.2.0")
    assert path.read_text() == before.replace("version: 0.1.0", "version: 0.2.0")


# --- publishing (render faked) ------------------------------------------------------------------


def test_release_publishes_every_file_and_points_latest(faked: Path) -> None:
    result = do_release(faked)
    target = faked / "dist" / SEED / "v0.1.1"
    assert result.path == target
    names = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    assert names == {
        "brief.html", "brief.pdf", "data/condition-matrix.csv", "reading.json",
        "manifest.json", "CHANGES.md", "CITATION.cff",
    }  # fmt: skip
    assert os.readlink(faked / "dist" / SEED / "latest") == "v0.1.1"
    manifest = json.loads((target / "manifest.json").read_text())
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((target / name).read_bytes()).hexdigest() == digest
    assert set(manifest["outputs"]) == names - {"manifest.json"}
    reading = (faked / "seeds" / SEED / "reading.yaml").read_bytes()
    assert manifest["inputs"][f"seeds/{SEED}/reading.yaml"] == hashlib.sha256(reading).hexdigest()
    assert {"notebooks/conditions.ipynb", "briefing/brief.qmd", "_quarto.yml"} <= set(
        manifest["inputs"]
    )
    assert manifest["packages"]["pydantic"]
    assert (manifest["version"], manifest["source_date_epoch"]) == ("0.1.1", 0)
    assert "version: 0.1.1" in (faked / "seeds" / SEED / "brief.yaml").read_text()
    assert "version: 0.1.1" in (target / "CITATION.cff").read_text()


def test_release_publishes_the_formats_asked_for_with_their_digests(faked: Path) -> None:
    code = main(["--root", str(faked), "release", "patch", "--formats", "pdf,docx"])
    assert code == 0
    target = faked / "dist" / SEED / "v0.1.1"
    assert sorted(p.name for p in target.glob("brief.*")) == ["brief.docx", "brief.pdf"]
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["formats"] == {"docx": "brief.docx", "pdf": "brief.pdf"}
    for name in manifest["formats"].values():
        assert manifest["outputs"][name] == hashlib.sha256((target / name).read_bytes()).hexdigest()


def test_release_formats_default_to_the_builds(faked: Path) -> None:
    do_release(faked)
    manifest = json.loads((faked / "dist" / SEED / "v0.1.1" / "manifest.json").read_text())
    assert manifest["formats"] == {"html": "brief.html", "pdf": "brief.pdf"}


def test_release_refuses_an_unknown_format_before_building(
    faked: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--root", str(faked), "release", "patch", "--formats", "html,odt"])
    assert info.value.code == EXIT_INVALID_INPUT
    assert "choose from html, pdf, docx (got 'html,odt')" in capsys.readouterr().err
    assert not (faked / "dist").exists()


def test_release_credits_the_analysts_of_brief_yaml(faked: Path) -> None:
    brief = faked / "seeds" / SEED / "brief.yaml"
    brief.write_text(
        brief.read_text() + "analysts:\n  - name: Jo Analyst\n"
        "    orcid: https://orcid.org/0000-0002-1825-0097\n  - name: Sam Second\n"
        "organisation: Policy Unit\n"
    )
    do_release(faked)
    target = faked / "dist" / SEED / "v0.1.1"
    cff = load_yaml_file(target / "CITATION.cff").plain
    assert cff["authors"] == [
        {"name": "Jo Analyst", "orcid": "https://orcid.org/0000-0002-1825-0097"},
        {"name": "Sam Second"},
    ]
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["analysts"] == cff["authors"]
    assert manifest["organisation"] == "Policy Unit"
    seed = load_seed(faked, SEED)
    assert brief_metadata(seed, "0.1.1", "release", 0, "pandoc 3")["author"] == (
        "Analysis by Jo Analyst and Sam Second (Policy Unit) of an article by Alexander Clackson"
    )


def test_release_refuses_to_overwrite_an_existing_version(faked: Path) -> None:
    do_release(faked)
    brief_yaml = faked / "seeds" / SEED / "brief.yaml"
    rel.set_version(brief_yaml, "0.1.0")  # as if someone reset the version by hand
    before = snapshot(faked / "dist")
    target = faked / "dist" / SEED / "v0.1.1"
    with pytest.raises(history.ReleaseExists, match=f"release {target} already exists") as info:
        do_release(faked)
    assert info.value.exit_code == EXIT_INVALID_INPUT
    assert snapshot(faked / "dist") == before
    assert "version: 0.1.0" in brief_yaml.read_text()


def test_draft_shows_changes_since_the_newest_release(faked: Path) -> None:
    seed = load_seed(faked, SEED)
    build = faked / "_build" / SEED
    assert history.draft_changes(faked, seed)(build) == {}
    do_release(faked)
    edit_reading(faked)
    fake_build(BuildOptions(faked, SEED))  # the draft's matrix
    meta = history.draft_changes(faked, load_seed(faked, SEED))(build)
    assert meta["previous_version"] == "v0.1.1"
    assert "measures: changed M2: requires" in meta["changes"]


def test_release_refuses_a_version_older_than_the_newest(faked: Path) -> None:
    do_release(faked, "minor")
    rel.set_version(faked / "seeds" / SEED / "brief.yaml", "0.1.0")
    with pytest.raises(InputError, match=r"v0\.1\.1, older than the newest release v0\.2\.0"):
        do_release(faked)
    assert os.readlink(faked / "dist" / SEED / "latest") == "v0.2.0"


@pytest.mark.parametrize("error", [RuntimeError("injected"), KeyboardInterrupt()])
@pytest.mark.parametrize("where", ["manifest", "switch_latest"])
def test_failure_after_html_leaves_dist_and_latest_unchanged(
    faked: Path, monkeypatch: pytest.MonkeyPatch, where: str, error: BaseException
) -> None:
    do_release(faked)
    brief_yaml = faked / "seeds" / SEED / "brief.yaml"
    version_text = brief_yaml.read_text()
    before = snapshot(faked / "dist")
    seen: list[str] = []

    def fault(*args: Any, **kwargs: Any) -> Any:
        staged = list((faked / "dist").glob(".staging-*/brief.html"))
        published = list((faked / "dist").glob(f"{SEED}/v0.2.0/brief.html"))
        seen.extend(p.as_posix() for p in staged + published)
        raise error

    monkeypatch.setattr(rel, where, fault)
    with pytest.raises(type(error)):
        do_release(faked, "minor")
    assert seen, "the fault fired before the HTML was written"
    assert snapshot(faked / "dist") == before
    assert os.readlink(faked / "dist" / SEED / "latest") == "v0.1.1"
    assert brief_yaml.read_text() == version_text


def test_failure_of_a_first_release_leaves_no_brief_folder(
    faked: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fault(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("injected")

    monkeypatch.setattr(rel, "switch_latest", fault)
    with pytest.raises(RuntimeError):
        do_release(faked)
    assert sorted(p.name for p in (faked / "dist").iterdir()) == [".lock"]


def test_release_removes_what_a_killed_release_left(faked: Path) -> None:
    stale = faked / "dist" / ".staging-dead" / "data"
    stale.mkdir(parents=True)
    (stale / "x.csv").write_text("x\n")
    do_release(faked)
    assert sorted(p.name for p in (faked / "dist").iterdir()) == [".lock", SEED]


def test_concurrent_release_gets_clear_message(
    faked: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock_path = faked / "dist" / ".lock"
    lock_path.parent.mkdir()
    with FileLock(lock_path):
        with pytest.raises(BuildLocked) as info:
            do_release(faked, wait=0.1)
        assert str(info.value) == f"another build is running (lock held: {lock_path})"
        assert info.value.exit_code == EXIT_ENVIRONMENT
        code = main(["--root", str(faked), "release", "patch", "--wait", "0.1"])
    assert code == EXIT_ENVIRONMENT
    assert "another build is running (lock held:" in capsys.readouterr().err
    assert not (faked / "dist" / SEED).exists()


def test_killed_lock_holder_does_not_block_the_next_release(faked: Path) -> None:
    lock_path = faked / "dist" / ".lock"
    lock_path.parent.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time, filelock; lock = filelock.FileLock(sys.argv[1]); lock.acquire(); "
         "print('held', flush=True); time.sleep(60)", str(lock_path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(BuildLocked):
            do_release(faked, wait=0.1)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert do_release(faked).version == "0.1.1"


def test_diff_command_prints_changes_between_releases(
    faked: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    do_release(faked)
    edit_reading(faked)
    result = do_release(faked, "minor")
    assert result.previous == "0.1.1"
    capsys.readouterr()
    assert main(["--root", str(faked), "diff", "v0.1.1", "v0.2.0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == list(result.changes)
    assert "claims: changed C1: text" in out[0]
    assert "measures: changed M2: requires" in out
    assert "condition-matrix: changed cell M2, K2: 'required' → (empty)" in out
    changes_md = (faked / "dist" / SEED / "v0.2.0" / "CHANGES.md").read_text()
    assert "## v0.2.0 (1970-01-01)\n\nSince v0.1.1:\n\n- claims: changed C1" in changes_md
    assert "## v0.1.1 (1970-01-01)\n\nFirst release." in changes_md
    missing = faked / "dist" / SEED / "v9.9.9"
    assert main(["--root", str(faked), "diff", "v0.1.1", "v9.9.9"]) == EXIT_INVALID_INPUT
    assert f"no release at {missing}" in capsys.readouterr().err


def test_release_diff_and_changes_md_show_escape_sequences_instead_of_sending_them(
    faked: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    do_release(faked)
    path = faked / "seeds" / SEED / "reading.yaml"
    # YAML's "\\e" is ESC: a terminal reset (ESC c) and a window title (OSC 0).
    judgement = (
        '  - id: J9\n    text: "Reset \\ec and title \\e]0;pwned\\a here."\n    status: inferred\n'
    )
    path.write_text(path.read_text().replace("key_judgements:\n", "key_judgements:\n" + judgement))
    capsys.readouterr()
    assert main(["--root", str(faked), "release", "minor", "--seed", SEED]) == 0
    released = capsys.readouterr().err
    assert main(["--root", str(faked), "diff", "v0.1.1", "v0.2.0"]) == 0
    diff = capsys.readouterr().out
    changes_md = (faked / "dist" / SEED / "v0.2.0" / "CHANGES.md").read_text()
    shown = "Reset \\x1bc and title \\x1b]0;pwned\\x07 here."
    for text, expected in (
        (released, shown),
        (diff, shown),
        (changes_md, shown.replace("]", "\\]")),
    ):
        assert "\x1b" not in text
        assert "\x07" not in text
        assert expected in text


def test_brief_yaml_keeps_its_version_and_drafts_wait_until_the_release_is_published(
    faked: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, bool]] = []

    def draft_can_start() -> bool:
        # As a concurrent draft build would, from another thread.
        started: list[bool] = []

        def try_lock() -> None:
            try:
                with build_lock(faked / "_build" / SEED, wait=0.1):
                    started.append(True)
            except BuildLocked:
                started.append(False)

        thread = threading.Thread(target=try_lock)
        thread.start()
        thread.join()
        return started[0]

    def watched_build(opts: BuildOptions) -> BuildResult:
        seen.append((load_seed(faked, SEED).version, draft_can_start()))
        return fake_build(opts)

    real_publish = rel.publish

    def watched_publish(*args: Any, **kwargs: Any) -> Path:
        seen.append((load_seed(faked, SEED).version, draft_can_start()))
        return real_publish(*args, **kwargs)

    monkeypatch.setattr(rel, "run_build", watched_build)
    monkeypatch.setattr(rel, "publish", watched_publish)
    assert do_release(faked).version == "0.1.1"
    assert seen == [("0.1.0", False), ("0.1.0", False)]
    assert load_seed(faked, SEED).version == "0.1.1"
    assert json.loads((faked / "_build" / SEED / "brief.json").read_text())  # built


KILL = """
import os, signal, sys, time
from pathlib import Path
from briefkit import cli, release as rel
from tests.test_release import fake_build
rel.run_build = fake_build
def die(*args, **kwargs):
    os.kill(os.getpid(), getattr(signal, sys.argv[3]))
    time.sleep(30)
setattr(rel, sys.argv[2], die)
sys.exit(cli.main(["--root", sys.argv[1], "release", "patch", "--engine", "pandoc"]))
"""


def killed_release(root: Path, where: str, signal_name: str = "SIGKILL") -> int:
    """Run a (faked) release in a process that gets ``signal_name`` at ``where``."""
    proc = subprocess.run(
        [sys.executable, "-c", KILL, str(root), where, signal_name],
        cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return proc.returncode


def test_a_release_killed_while_building_skips_no_version(faked: Path) -> None:
    assert killed_release(faked, "run_build") == -signal.SIGKILL
    assert load_seed(faked, SEED).version == "0.1.0"
    assert do_release(faked).version == "0.1.1"


def test_a_release_killed_before_switching_latest_is_finished_by_the_next_run(
    faked: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert killed_release(faked, "switch_latest") == -signal.SIGKILL
    assert (faked / "dist" / SEED / "v0.1.1" / "manifest.json").is_file()

    def failing_build(opts: BuildOptions) -> BuildResult:
        raise InputError("the next release fails in its build")

    monkeypatch.setattr(rel, "run_build", failing_build)
    with pytest.raises(InputError):
        do_release(faked)
    assert os.readlink(faked / "dist" / SEED / "latest") == "v0.1.1"
    assert load_seed(faked, SEED).version == "0.1.1"
    monkeypatch.setattr(rel, "run_build", fake_build)
    assert do_release(faked).version == "0.1.2"


def test_a_release_killed_before_writing_brief_yaml_is_finished_by_the_next_run(
    faked: Path,
) -> None:
    assert killed_release(faked, "write_text_atomic") == -signal.SIGKILL
    assert os.readlink(faked / "dist" / SEED / "latest") == "v0.1.1"
    assert do_release(faked).version == "0.1.2"
    assert sorted(p.name for p in (faked / "dist").iterdir()) == [".lock", SEED]


def test_sigterm_stops_a_release_like_ctrl_c(faked: Path) -> None:
    brief_yaml = (faked / "seeds" / SEED / "brief.yaml").read_bytes()
    assert killed_release(faked, "run_build", "SIGTERM") == EXIT_INTERRUPTED
    assert (faked / "seeds" / SEED / "brief.yaml").read_bytes() == brief_yaml
    assert sorted(p.name for p in (faked / "dist").iterdir()) == [".lock"]
    assert killed_release(faked, "switch_latest", "SIGTERM") == EXIT_INTERRUPTED
    assert sorted(p.name for p in (faked / "dist").iterdir()) == [".lock"]
    assert do_release(faked).version == "0.1.1"


def test_a_damaged_reading_json_is_named_and_does_not_stop_drafts(
    faked: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    do_release(faked)
    damaged = faked / "dist" / SEED / "v0.1.1" / "reading.json"
    damaged.chmod(0o644)
    damaged.write_text('{"claims": [')
    seed = load_seed(faked, SEED)
    assert history.draft_changes(faked, seed)(faked / "_build" / SEED) == {}
    assert f"{damaged}:1: not valid JSON" in caplog.text
    capsys.readouterr()
    assert main(["--root", str(faked), "diff", "v0.1.1", "v0.1.1"]) == EXIT_INVALID_INPUT
    assert f"briefkit: error: {damaged.resolve()}:1: not valid JSON" in capsys.readouterr().err
    with pytest.raises(InputError, match="the release is damaged"):
        do_release(faked)


def test_a_read_only_dist_exits_4_naming_it(
    faked: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refused(*, prefix: str, dir: Path) -> str:
        raise OSError(errno.EROFS, "Read-only file system", str(dir))

    monkeypatch.setattr(rel.tempfile, "mkdtemp", refused)
    assert main(["--root", str(faked), "release", "patch"]) == EXIT_ENVIRONMENT
    dist = faked.resolve() / "dist"
    assert f"briefkit: error: cannot write or read {dist}: Read-only file system" in (
        capsys.readouterr().err
    )
    assert load_seed(faked, SEED).version == "0.1.0"


# --- the diff ---------------------------------------------------------------------------------


def test_diff_compares_items_by_id_and_any_new_list_generically() -> None:
    old = {
        "thesis": {"text": "T"},
        "claims": [{"id": "C1", "text": "a"}, {"id": "C2", "text": "b"}],
        "key_judgements": ["x"],
    }
    new = {
        "thesis": {"text": "T"},
        "claims": [{"id": "C1", "text": "a2"}, {"id": "C3", "text": "c", "supports": ["C1"]}],
        "key_judgements": ["x", "y"],
        "scenarios": [{"id": "S1", "text": "s"}],
    }
    assert diff_readings(old, new) == [
        Change("added", "claims", "C3", "c"),
        Change("removed", "claims", "C2", "b"),
        Change("changed", "claims", "C1", "text “a” → “a2”"),
        Change("added", "key_judgements", "", "y"),
        Change("added", "scenarios", "", '[{"id": "S1", "text": "s"}]'),
    ]
    assert diff_readings(new, new) == []


def test_diff_table_compares_cells_with_rows_keyed_by_id() -> None:
    # The row label's wording is the reading's business (measures: changed M1: text).
    old = [["Measure", "K1"], ["M1: old wording", "required"], ["M2: b", ""]]
    new = [["Measure", "K1", "K2"], ["M1: new wording", ""], ["M3: c", "required", ""]]
    assert [str(c) for c in diff_table("condition-matrix", old, new)] == [
        "condition-matrix: added row M3",
        "condition-matrix: removed row M2",
        "condition-matrix: added column K2",
        "condition-matrix: changed cell M1, K1: 'required' → (empty)",
    ]


# --- real builds --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def released_twice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two copies of the project, each with a real first release (v0.1.1, pandoc engine)."""
    roots = []
    # A release needs a date: SOURCE_DATE_EPOCH (these copies have no git history).
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOURCE_DATE_EPOCH", "0")
        for name in ("a", "b"):
            root = copy_project(tmp_path_factory.mktemp(f"release-{name}") / "project")
            do_release(root, formats=("html", "pdf", "docx"))
            roots.append(root)
    return roots[0], roots[1]


@pytest.mark.build
def test_two_builds_of_the_same_inputs_are_byte_identical(
    released_twice: tuple[Path, Path],
) -> None:
    def outputs(root: Path) -> dict[str, str]:
        found = snapshot(root / "dist" / SEED / "v0.1.1")
        build = snapshot(root / "_build" / SEED)
        # The kernels' own logs are diagnostics, not outputs.
        found.update({f"_build/{k}": v for k, v in build.items() if not k.endswith(".log")})
        return found

    a, b = (outputs(root) for root in released_twice)
    assert {"brief.html", "brief.pdf", "brief.docx", "manifest.json"} <= set(a)
    assert {"_build/figures/timeline.svg", "_build/figures/timeline.png"} <= set(a)
    assert [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)] == []


@pytest.mark.build
def test_a_release_publishes_word_with_its_version_and_status(
    released_twice: tuple[Path, Path],
) -> None:
    import docx

    target = released_twice[0] / "dist" / SEED / "v0.1.1"
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["formats"]["docx"] == "brief.docx"
    document = docx.Document(str(target / "brief.docx"))
    assert document.core_properties.version == "0.1.1"
    assert document.paragraphs[1].text == "Version 0.1.1 · Release · 1970-01-01"
    assert manifest["outputs"]["brief.docx"] == file_sha256(target / "brief.docx")


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pdf_text(path: Path) -> str:
    return " ".join(read_pdf_text(path).split())


@pytest.mark.build
def test_reading_change_appears_in_changes_md_and_in_the_brief(
    released_twice: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    root = tmp_path / "project"
    shutil.copytree(released_twice[0], root, symlinks=True)
    first = root / "dist" / SEED / "v0.1.1"
    assert "What changed since" not in (first / "brief.html").read_text()
    assert "Release v0.1.1" in pdf_text(first / "brief.pdf")
    edit_reading(root)
    result = do_release(root, "minor")
    target = root / "dist" / SEED / "v0.2.0"
    changes = (target / "CHANGES.md").read_text()
    assert "- claims: changed C1: text “The longer the West delays a dialogue" in changes
    assert "- matrix-energy: changed cell M2, K2: 'Stated' → (empty)" in changes
    assert result.changes[0].startswith("claims: changed C1")
    pdf = pdf_text(target / "brief.pdf")
    assert "What changed since v0.1.1" in pdf
    assert "Delaying dialogue with Russia invites another conflict." in pdf
    assert "Release v0.2.0 · 1970-01-01 · pandoc" in pdf
    content_hash = json.loads((target / "manifest.json").read_text())["content_hash"]
    assert f"content sha256 {content_hash[:12]}" in pdf
    html = (target / "brief.html").read_text()
    assert "What changed since v0.1.1" in html
    assert "measures: changed M2: requires" in html
