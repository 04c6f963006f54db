"""A second, made-up seed that tests write into a project copy: no code change may be needed."""

from __future__ import annotations

import hashlib
from pathlib import Path

SLUG = "norland-grid-deal"
TITLE = "Reconnecting Norland to the regional power grid"

ARTICLE = """\
Norland should be reconnected to the regional power grid, but only step by step.
Cutting the interconnector in 2023 stopped the dumping of subsidised power,
yet it also raised prices for everyone.
A first step would restore a limited import quota once Norland publishes its grid subsidies.
A second step would lift the export ban if independent monitors verify fair pricing for a full year.
Either step must snap back at once if the subsidies return.
Neighbouring Estmark will object that Norland cannot be trusted, and its fears are understandable.
But a grid that excludes Norland drives it towards suppliers far less willing to follow any rules.
Talks are planned for March 2026.
"""

SOURCE = f"""\
title:
  value: "{TITLE}"
  basis: "Made up for the tests; the text's opening phrase."
author: A. Tester
outlet:
  value: null
  basis: "Not given in the text."
date:
  value: null
  basis: "Not given in the text."
language: en
sha256: {hashlib.sha256(ARTICLE.encode()).hexdigest()}
"""

#: Its own tracks and domains: the brief's captions and tables use these labels.
TRACKS = {"grid-access": "Grid access", "export-rules": "Export rules"}
DOMAINS = {"power-grid": "Power grid"}

READING = """\
schema_version: 2
tracks:
  grid-access: Grid access
  export-rules: Export rules
domains:
  power-grid: Power grid
thesis:
  text: Norland should be reconnected to the regional grid step by step, under conditions.
  status: stated
  quotes: ["Norland should be reconnected to the regional power grid, but only step by step."]
key_judgements:
  - id: J1
    text: Reconnection in steps, each tied to a verified condition.
    status: implied
    quotes: ["but only step by step"]
claims:
  - id: C1
    text: Cutting the interconnector raised prices for everyone.
    status: stated
    quotes: ["it also raised prices for everyone"]
  - id: C2
    text: Exclusion pushes Norland towards less scrupulous suppliers.
    status: stated
    quotes: ["drives it towards suppliers far less willing to follow any rules"]
    attacks: [O1]
objections:
  - id: O1
    text: Norland cannot be trusted.
    status: stated
    held_by: [A1]
    attacks: [P1]
    answer:
      text: Exclusion is worse, since it pushes Norland towards suppliers who follow no rules.
      status: stated
      quotes: ["drives it towards suppliers far less willing to follow any rules"]
    quotes: ["Norland cannot be trusted"]
proposals:
  - id: P1
    text: Stepwise reconnection to the regional power grid.
    domain: power-grid
    status: stated
    conditional: true
    conditions: [K1, K2]
    limits:
      - text: Every step snaps back if subsidies return.
        status: stated
        quotes: ["Either step must snap back at once if the subsidies return."]
    quotes: ["reconnected to the regional power grid, but only step by step"]
conditions:
  - id: K1
    text: Norland publishes its grid subsidies.
    status: stated
    kind: action
    quotes: ["once Norland publishes its grid subsidies"]
  - id: K2
    text: Independent monitors verify fair pricing for a full year.
    status: stated
    kind: verification
    quotes: ["independent monitors verify fair pricing for a full year"]
measures:
  - id: M1
    text: Restore a limited import quota.
    track: grid-access
    requires: [K1]
    phase: 1
    reversible: true
    status: stated
    quotes: ["restore a limited import quota"]
  - id: M2
    text: Lift the export ban.
    track: export-rules
    requires: [K1, K2]
    phase: 2
    reversible: true
    status: stated
    quotes: ["lift the export ban"]
events:
  - id: T1
    text: The interconnector is cut.
    date: "2023"
    precision: year
    when: past
    date_source: article
    status: stated
    quotes: ["Cutting the interconnector in 2023"]
  - id: T2
    text: Talks on reconnection.
    date: "2026-03"
    precision: month
    when: planned
    date_source: article
    status: stated
    quotes: ["Talks are planned for March 2026."]
actors:
  - id: A1
    name: Estmark
    stances:
      - on: P1
        stance: opposes
        status: implied
        quotes: ["Neighbouring Estmark will object"]
risks:
  - id: R1
    text: Subsidies return after reconnection.
    status: implied
    quotes: ["if the subsidies return"]
"""


def write_second_seed(root: Path) -> str:
    """Write the made-up seed under ``root/seeds`` and return its slug."""
    seed = root / "seeds" / SLUG
    seed.mkdir(parents=True)
    (seed / "article.txt").write_text(ARTICLE, encoding="utf-8")
    (seed / "source.yaml").write_text(SOURCE, encoding="utf-8")
    (seed / "brief.yaml").write_text("version: 1.0.0\n", encoding="utf-8")
    (seed / "reading.yaml").write_text(READING, encoding="utf-8")
    return SLUG
