"""The fast paths of the build and the preview behave as the slow ones did (no timing here)."""

from __future__ import annotations

import json
import re
import string
import urllib.parse
from pathlib import Path

import pytest

from briefkit import command
from briefkit.errors import RenderFailed
from briefkit.render.html import complete_page
from briefkit.render.pandoc import pandoc_binary

REPO = Path(__file__).resolve().parents[1]
FILTER = REPO / "briefing" / "filters" / "briefkit.lua"
#: The bytes a data: URL keeps as they are (the Lua filter's old rule: [^%w%-%._~] encoded).
UNRESERVED = set((string.ascii_letters + string.digits + "-._~").encode())
AWKWARD = 'id,text\nK1,"a ""quoted"" <b>&amp; 100 % ~_.-"\nK2,naïve — ü\r\n'.encode()


def old_data_url(data: bytes, mime: str) -> str:
    """The data: URL as the filter wrote it before the placeholder: each other byte as %XX."""
    encoded = "".join(chr(b) if b in UNRESERVED else f"%{b:02X}" for b in data)
    return f"data:{mime};charset=utf-8,{encoded}"


def render_downloads(tmp: Path, descriptions: dict[str, str]) -> str:
    """The HTML of a ``.bk-downloads`` block of ``data/<name>`` files, completed as builds do."""
    build = tmp / "build"
    (build / "data").mkdir(parents=True)
    for name in descriptions:
        (build / "data" / name).write_bytes(AWKWARD)
    listing = [{"path": f"data/{n}", "description": d} for n, d in descriptions.items()]
    (build / "downloads.json").write_text(json.dumps(listing), encoding="utf-8")
    (build / "brief.json").write_text(json.dumps({"title": "T", "stamp": "x"}), encoding="utf-8")
    src, out = tmp / "in.md", tmp / "out.html"
    src.write_text("::: {.bk-downloads}\n:::\n", encoding="utf-8")
    command.run(
        [pandoc_binary(), src, "--standalone", "--to", "html5", "--lua-filter", FILTER,
         "--metadata", f"briefkit-build={build}", "--output", out],
        timeout=60,
    )  # fmt: skip
    complete_page(out, build)
    return out.read_text(encoding="utf-8")


def test_download_links_are_the_files_percent_encoded_as_before(tmp_path: Path) -> None:
    html = render_downloads(tmp_path, {"t.csv": "a table", "a.json": "JSON data"})
    hrefs = dict(re.findall(r'<a href="([^"]*)"[^>]*download="([^"]*)"', html))
    by_file = {name: href for href, name in hrefs.items()}
    assert by_file == {
        "t.csv": old_data_url(AWKWARD, "text/csv"),
        "a.json": old_data_url(AWKWARD, "application/json"),
    }
    assert urllib.parse.unquote_to_bytes(by_file["t.csv"].split(",", 1)[1]) == AWKWARD
    assert "briefkit-data:" not in html


def test_seed_text_cannot_forge_a_download_placeholder(tmp_path: Path) -> None:
    forged = '<a href="briefkit-data:' + b"../../etc/passwd".hex() + '">'
    html = render_downloads(tmp_path, {"t.csv": forged})
    # The text stays text (its "<" escaped), and the real link is still the file's.
    assert re.search(r'&lt;a\s+href="briefkit-data:', html)
    assert old_data_url(AWKWARD, "text/csv") in html


@pytest.mark.parametrize("rel", ["../outside.csv", "/etc/hostname", "data/missing.csv", "", "zz"])
def test_a_placeholder_naming_no_file_of_the_build_fails_the_render(
    tmp_path: Path, rel: str
) -> None:
    build = tmp_path / "build"
    (build / "data").mkdir(parents=True)
    (tmp_path / "outside.csv").write_text("secret", encoding="utf-8")
    page = build / "brief.html"
    code = rel if rel == "zz" else rel.encode().hex()
    page.write_text(
        f'<html><a href="briefkit-data:{code}" class="c">x</a></html>', encoding="utf-8"
    )
    with pytest.raises(RenderFailed, match="not a file of the build"):
        complete_page(page, build)
