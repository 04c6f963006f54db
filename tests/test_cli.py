"""The command line: `briefkit check` and `briefkit new`."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from briefkit.cli import main
from briefkit.reading import load_yaml_file

from .conftest import SEED
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
    assert load_yaml_file(seed / "reading.yaml").plain["schema_version"] == 1


def test_new_seed_fails_check_until_the_analyst_fills_it_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = tmp_path / "in.txt"
    article.write_text("One sentence.\n", encoding="utf-8")
    assert main(["--root", str(tmp_path), "new", "one", "--from", str(article)]) == 0
    assert main(["--root", str(tmp_path), "check", "--seed", "one"]) == 2
    err = capsys.readouterr().err
    reading = tmp_path / "seeds" / "one" / "reading.yaml"
    assert f"briefkit: error: {reading}:7: thesis.text: must not be empty" in err
    assert f"{reading}:9: thesis.quotes: needs at least one verbatim quote" in err


def test_new_refuses_to_overwrite_an_existing_seed(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = tmp_path / "other.txt"
    article.write_text("Something else.\n", encoding="utf-8")
    before = (project / "seeds" / SEED / "article.txt").read_bytes()
    assert main(["--root", str(project), "new", SEED, "--from", str(article)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (project / "seeds" / SEED / "article.txt").read_bytes() == before
    assert sorted(p.name for p in (project / "seeds").iterdir()) == [SEED]


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
