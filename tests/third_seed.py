"""A third, made-up seed that tests write into a project copy: no code change may be needed.

Unlike the first seed and the second (tests/second_seed.py), it declares no tracks and has no
measures and no events, so the brief's sequencing and timeline have nothing to show; it has an
assessment on a yardstick of its own, and a key judgement that is the analyst's (no quotes).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

SLUG = "halvik-dental-antibiotics"
TITLE = "No more antibiotics just in case at Halvik's dentists"

ARTICLE = """\
Dentists in Halvik should stop prescribing antibiotics just in case.
Most toothaches are not infections, and antibiotics do nothing for them.
Half of the antibiotic courses that Halvik's dentists wrote last year were for pain alone, \
the regional audit found.
Each needless course breeds bacteria that no medicine can kill.
The health authority should require a written reason for every dental prescription, \
provided that patients in pain get a same-day appointment for the treatment that does help.
The dentists' association will say that patients demand pills and leave unhappy without them.
But patients who are told why rarely complain, as the audit's own survey showed.
Nils Oren is a retired dentist.
"""

SOURCE = f"""\
title:
  value: "{TITLE}"
  basis: "Made up for the tests; the analyst's title for the text."
  status: inferred
author: Nils Oren
affiliation: Retired dentist
outlet:
  value: null
  basis: "Not given in the text."
date:
  value: null
  basis: "Not given in the text."
language: en
sha256: {hashlib.sha256(ARTICLE.encode()).hexdigest()}
"""

#: No tracks; one domain, whose label the brief must print.
TRACKS: dict[str, str] = {}
DOMAINS = {"prescribing": "Prescribing practice"}
ACTORS = ("The dentists' association", "Halvik's health authority")

READING = """\
schema_version: 2
domains:
  prescribing: Prescribing practice
thesis:
  text: Halvik's dentists should stop prescribing antibiotics just in case.
  status: stated
  quotes: ["Dentists in Halvik should stop prescribing antibiotics just in case."]
key_judgements:
  - id: J1
    text: Half of the dental antibiotic courses treat pain, which antibiotics do not relieve.
    status: stated
    quotes: ["Half of the antibiotic courses that Halvik's dentists wrote last year were for pain"]
  - id: J2
    text: The proposal stands or falls with same-day appointments.
    status: inferred
claims:
  - id: C1
    text: Most toothaches are not infections, and antibiotics do nothing for them.
    status: stated
    quotes: ["Most toothaches are not infections, and antibiotics do nothing for them."]
    supports: [thesis]
  - id: C2
    text: Each needless course breeds resistant bacteria.
    status: stated
    quotes: ["Each needless course breeds bacteria that no medicine can kill."]
    supports: [thesis]
  - id: C3
    text: Patients who are told why rarely complain.
    status: stated
    quotes: ["patients who are told why rarely complain"]
    attacks: [O1]
evidence:
  - id: E1
    text: Half of last year's dental antibiotic courses were for pain alone (regional audit).
    kind: statistic
    status: stated
    quotes: ["were for pain alone, the regional audit found"]
    supports: [C1]
  - id: E2
    text: The audit's survey of patients.
    kind: fact
    status: implied
    quotes: ["as the audit's own survey showed"]
    supports: [C3]
objections:
  - id: O1
    text: Patients demand pills and leave unhappy without them.
    status: stated
    held_by: [A1]
    attacks: [P1]
    answer:
      text: Patients who are told why rarely complain.
      status: stated
      quotes: ["But patients who are told why rarely complain"]
    quotes: ["patients demand pills and leave unhappy without them"]
proposals:
  - id: P1
    text: A written reason for every dental antibiotic prescription.
    domain: prescribing
    status: stated
    conditional: true
    conditions: [K1]
    quotes: ["require a written reason for every dental prescription"]
conditions:
  - id: K1
    text: Patients in pain get a same-day appointment for the treatment that helps.
    status: stated
    kind: action
    quotes: ["provided that patients in pain get a same-day appointment"]
actors:
  - id: A1
    name: The dentists' association
    stances:
      - on: P1
        stance: opposes
        status: implied
        quotes: ["The dentists' association will say"]
  - id: A2
    name: Halvik's health authority
    role: Would set the rule.
    quotes: ["The health authority should require"]
risks:
  - id: R1
    text: Without same-day appointments, patients in pain go untreated.
    status: inferred
    quotes: ["provided that patients in pain get a same-day appointment"]
excluded:
  - quote: Nils Oren is a retired dentist.
    reason: Author note.
assessment:
  yardstick:
    name: A three-step scale of the analyst's own
    citation: Made up for the tests.
    probability: [unlikely, even chance, likely]
    confidence: [low, high]
  bottom_line: A sound aim whose one condition, same-day appointments, is not costed.
  judgements:
    - id: AJ1
      text: The rule is likely to cut needless courses if the appointments exist.
      probability: likely
      confidence: low
      rests_on: [P1, K1]
  gaps:
    - id: G1
      text: Who pays for same-day appointments.
      about: [K1]
  implications:
    - id: I1
      audience: Halvik's health authority
      text: It must fund the appointments before it writes the rule.
      about: [K1, A2]
  options:
    - id: OP1
      text: Pilot the rule in one district first.
      about: [P1]
"""


def write_third_seed(root: Path) -> str:
    """Write the made-up seed under ``root/seeds`` and return its slug."""
    seed = root / "seeds" / SLUG
    seed.mkdir(parents=True)
    (seed / "article.txt").write_text(ARTICLE, encoding="utf-8")
    (seed / "source.yaml").write_text(SOURCE, encoding="utf-8")
    (seed / "brief.yaml").write_text(
        "version: 0.3.0\nanalysts:\n  - name: T. Reader\n", encoding="utf-8"
    )
    (seed / "reading.yaml").write_text(READING, encoding="utf-8")
    return SLUG
