"""A fake ``quarto`` that behaves like Quarto where briefkit depends on it.

Quarto cannot be installed on the machines these tests run on, so this script stands in for it:
it renders for real with the embedded pandoc and typst, and follows Quarto's rules for flags,
logging, project side effects, file layout and filter order. Each rule cites the quarto-cli file
(tag v1.7.34 unless said otherwise) it mirrors. Environment: FAKE_QUARTO_LOG (a JSON line per
call: argv, cwd, SOURCE_DATE_EPOCH), FAKE_QUARTO_VERSION, FAKE_QUARTO_MODE (ok, fail, noout,
partial).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EMULATION = HERE / "quarto"
LEVELS = {"debug": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}


class Flags:
    """``quarto render`` flags (src/command/render/flags.ts parseRenderFlags; src/core/log.ts)."""

    def __init__(self, argv: list[str]) -> None:
        self.source = argv[1]
        self.to = "html"
        self.output: str | None = None
        self.output_dir: str | None = None
        self.metadata: dict[str, str] = {}
        self.quiet = False
        self.log_level = "info"
        rest = argv[2:]
        while rest:
            arg = rest.pop(0)
            if arg in ("-t", "--to"):
                self.to = rest.pop(0)
            elif arg in ("-o", "--output"):
                value = rest.pop(0)
                # flags.ts: "--output option cannot specify a relative or absolute path"
                if "/" in value or "\\" in value:
                    fail("--output option cannot specify a relative or absolute path", self)
                self.output = value
            elif arg == "--output-dir":
                self.output_dir = rest.pop(0)
            elif arg in ("-M", "--metadata"):
                # flags.ts: KEY:VALUE, split at the first colon.
                key, _, value = rest.pop(0).partition(":")
                self.metadata[key] = value
            elif arg == "--quiet":
                self.quiet = True
            elif arg == "--log-level":
                self.log_level = rest.pop(0).lower()
            else:
                fail(f"unknown flag {arg}", self)


def say(flags: Flags | None, level: str, message: str) -> None:
    """Quarto's logging: no stderr handler at all under --quiet (log.ts initializeLogger: "Don't
    add the StdErroutputHandler if we're quiet"), else messages at or above --log-level."""
    if flags is not None and flags.quiet:
        return
    threshold = LEVELS.get(flags.log_level if flags else "info", 1)
    if LEVELS[level] >= threshold:
        prefix = {"error": "ERROR: ", "warning": "WARNING: "}.get(level, "")
        sys.stderr.write(f"{prefix}{message}\n")


def fail(message: str, flags: Flags | None) -> None:
    say(flags, "error", message)
    sys.exit(1)


def project_dir(source: Path) -> Path:
    """The nearest folder holding _quarto.yml (src/project/project-context.ts projectContext)."""
    for folder in [source.parent, *source.parent.parents]:
        if (folder / "_quarto.yml").is_file():
            return folder
    raise SystemExit("fake quarto: only project renders are emulated")


def side_effects(project: Path) -> None:
    """A project render makes the scratch folder .quarto/ (src/project/project-scratch.ts) and,
    when a .gitignore exists, appends "/.quarto/" unless it is there (project-gitignore.ts
    ensureGitignore, called from src/command/render/project.ts)."""
    (project / ".quarto").mkdir(exist_ok=True)
    gitignore = project / ".gitignore"
    if gitignore.is_file():
        lines = [ln.strip() for ln in gitignore.read_text(encoding="utf-8").splitlines()]
        if "/.quarto/" not in lines:
            gitignore.write_text("\n".join([*lines, "/.quarto/"]) + "\n", encoding="utf-8")


def user_filter(path: Path, scratch: Path) -> Path:
    """A user filter as Quarto runs it: with the `quarto` module in scope, whose
    quarto.doc.is_format follows src/resources/pandoc/datadir/_format.lua isFormat ("html"
    covers html/html4/html5; otherwise the writer must equal FORMAT)."""
    wrapper = scratch / f"user-{path.stem}.lua"
    wrapper.write_text(
        "quarto = { doc = { is_format = function(to)\n"
        "  if FORMAT == to then return true end\n"
        '  if to == "html" then return FORMAT:match("^html") ~= nil end\n'
        "  return false\n"
        "end } }\n"
        f"return dofile({json.dumps(str(path))})\n",
        encoding="utf-8",
    )
    return wrapper


def filter_chain(project: Path, config: dict[str, Any], scratch: Path) -> list[str]:
    """Quarto's filter order (src/resources/filters/main.lua): normalisation (with the parse of
    conditional blocks), user filters at pre-quarto (the default for a plain entry:
    src/command/render/filters.ts), Quarto's pre filters (the shortcode pass), its post filters
    (the typst table rule, the rendering of conditional blocks), user filters at post-render,
    then the title templates."""
    at: dict[str, list[Path]] = {"pre-quarto": [], "post-render": []}
    for entry in config.get("filters") or []:
        path, where = (
            (entry, "pre-quarto")
            if isinstance(entry, str)
            else (entry["path"], entry.get("at", "pre-quarto"))
        )
        at[where].append(user_filter(project / path, scratch))
    return [
        str(EMULATION / "normalize_authors.lua"),
        str(EMULATION / "content_hidden.lua"),
        *map(str, at["pre-quarto"]),
        str(EMULATION / "shortcodes.lua"),
        str(EMULATION / "typst_no_figure.lua"),
        str(EMULATION / "content_hidden_render.lua"),
        *map(str, at["post-render"]),
        str(EMULATION / "title_by_author.lua"),
    ]


def render(flags: Flags) -> None:
    from ruamel.yaml import YAML

    from briefkit.render.pandoc import pandoc_binary
    from briefkit.render.project import load_project, pandoc_defaults

    source = Path(flags.source).resolve()
    project = project_dir(source)
    side_effects(project)
    config = YAML(typ="safe", pure=True).load((project / "_quarto.yml").read_text("utf-8"))
    mode = os.environ.get("FAKE_QUARTO_MODE", "ok")
    if mode == "fail":
        fail("YAMLException: bad indentation (briefing/brief.qmd, 3:1)", flags)
    if mode == "noout":
        return
    # The house style as pandoc options: the project's own translation (tested elsewhere);
    # Quarto resolves project paths against the project folder.
    from briefkit.render.formats import REGISTRY

    fmt = next(f for f in REGISTRY.values() if f.quarto_to == flags.to)
    defaults = pandoc_defaults(load_project(project), fmt)
    for key in ("css", "include-in-header"):
        if key in defaults:
            defaults[key] = [str(project / p) for p in defaults[key]]
    if "reference-doc" in defaults:
        defaults["reference-doc"] = str(project / defaults["reference-doc"])
    html = flags.to == "html"
    typst_pdf = flags.to == "typst"
    minimal = bool(((config.get("format") or {}).get("html") or {}).get("minimal"))
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        defaults["filters"] = filter_chain(project, config, scratch)
        defaults_file = scratch / "defaults.json"
        defaults_file.write_text(json.dumps(defaults), encoding="utf-8")
        # Pandoc runs in the source's folder and writes <stem>.<ext> there
        # (src/command/render/pandoc.ts: cwd = dirname(options.source); output.ts).
        written = source.with_suffix(".typ" if typst_pdf else Path(fmt.output).suffix)
        argv = [str(pandoc_binary()), source.name, "--defaults", str(defaults_file),
                "--from", "markdown", "--to", flags.to, "--standalone",
                "--output", written.name]  # fmt: skip
        for key, value in flags.metadata.items():
            argv += ["--metadata", f"{key}={value}"]
        done = subprocess.run(argv, cwd=source.parent, capture_output=True, text=True)
        sys.stderr.write(done.stderr)
        if done.returncode != 0:
            sys.exit(done.returncode)
    if mode == "partial":
        written.write_text("<!DOCTYPE html><html><body>half", encoding="utf-8")
        sys.exit(1)
    if html:
        if not minimal:
            # Without `minimal: true` Quarto's HTML page is Bootstrap's
            # (src/format/html/format-html.ts: theme "none" only when minimal).
            page = written.read_text(encoding="utf-8")
            page = page.replace(
                "</head>", '<link rel="stylesheet" data-quarto="bootstrap">\n</head>'
            )
            written.write_text(page, encoding="utf-8")
        produced = written
    elif not typst_pdf:
        produced = written  # docx: pandoc's output is the result (output.ts, default recipe)
    else:
        # src/command/render/output-typst.ts: typst compiles <stem>.typ to <stem>.pdf beside
        # it, with the project folder as root; the .typ is removed (keep-typ is false) ...
        import typst

        produced = written.with_suffix(".pdf")
        epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
        typst.compile(str(written), output=str(produced), root=str(project), timestamp=epoch)
        written.unlink()
        if flags.output:
            # ... and, given --output, renamed to that name relative to the process's working
            # directory, not the source's folder (Deno.renameSync(pdfOutput,
            # expandPath(finalOutput)); quarto-cli issue #12920).
            target = Path.cwd() / flags.output
            produced.rename(target)
            produced = target
    if flags.output and html:
        target = produced.with_name(flags.output)
        produced.rename(target)
        produced = target
    # A project render moves each output to <output-dir>/<its path relative to the project>
    # (src/command/render/project.ts: safeMoveSync(join(projDir, file), join(outputDir, file))).
    if flags.output_dir:
        relative = produced.relative_to(project)
        moved = project / flags.output_dir / relative
        moved.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(produced), str(moved))


def main() -> None:
    argv = sys.argv[1:]
    if "FAKE_QUARTO_LOG" in os.environ:
        with open(os.environ["FAKE_QUARTO_LOG"], "a", encoding="utf-8") as log:
            call = {"argv": argv, "cwd": os.getcwd(), "sde": os.environ.get("SOURCE_DATE_EPOCH")}
            log.write(json.dumps(call) + "\n")
    if argv == ["--version"]:
        print(os.environ.get("FAKE_QUARTO_VERSION", "1.7.34"))
        return
    if not argv or argv[0] != "render":
        raise SystemExit(f"fake quarto: not emulated: {argv}")
    render(Flags(argv))


if __name__ == "__main__":
    main()
