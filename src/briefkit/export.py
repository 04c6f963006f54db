"""Export a reading's argument structure: AIF JSON and Argdown-style JSON, plus its coverage."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from briefkit.artifacts import write_json
from briefkit.reading.model import Claim, Evidence, Objection, Reading
from briefkit.reading.seed import Seed

Relation = Literal["support", "attack", "undercut"]

#: File names written into the build's data folder.
AIF_NAME = "argument.aif.json"
ARGDOWN_NAME = "argument.argdown.json"
COVERAGE_NAME = "reading-coverage.json"


@dataclass(frozen=True)
class Statement:
    """A node of the argument: thesis, claim, evidence, objection, answer or proposal."""

    id: str
    role: str
    text: str
    status: str
    quotes: tuple[str, ...]


@dataclass(frozen=True)
class Edge:
    """A relation between two statements (``undercut`` targets the inferences drawn from one)."""

    source: str
    target: str
    relation: Relation


def statements(reading: Reading) -> list[Statement]:
    """Every statement of the argument, in reading order; answers get ``<objection>.answer``."""
    t = reading.thesis
    found = [Statement(t.id, "thesis", t.text, t.status, tuple(t.quotes))]
    for role, group in (("claim", reading.claims), ("evidence", reading.evidence)):
        found += [Statement(i.id, role, i.text, i.status, tuple(i.quotes)) for i in group]
    for o in reading.objections:
        found.append(Statement(o.id, o.kind, o.text, o.status, tuple(o.quotes)))
        if o.answer is not None:
            a = o.answer
            found.append(Statement(f"{o.id}.answer", "answer", a.text, a.status, tuple(a.quotes)))
    found += [
        Statement(p.id, "proposal", p.text, p.status, tuple(p.quotes)) for p in reading.proposals
    ]
    return found


def edges(reading: Reading) -> list[Edge]:
    """Every support, attack and undercut, in reading order; answers attack their objection."""
    found: list[Edge] = []
    sources: list[Claim | Evidence | Objection] = [
        *reading.claims,
        *reading.evidence,
        *reading.objections,
    ]
    for item in sources:
        found += [Edge(item.id, t, "support") for t in getattr(item, "supports", [])]
        found += [Edge(item.id, t, "attack") for t in item.attacks]
        found += [Edge(item.id, t, "undercut") for t in item.undercuts]
    found += [Edge(f"{o.id}.answer", o.id, "attack") for o in reading.objections if o.answer]
    return found


#: The field of a statement's own quote (``claims.0.quotes.1``) or its answer's.
_OWN_QUOTE = re.compile(r"(?:thesis|[a-z_]+\.\d+)(\.answer)?\.quotes\.\d+")


def _spans(seed: Seed) -> dict[str, list[dict[str, Any]]]:
    """Anchored quote spans by item id (answers under ``<objection>.answer``)."""
    spans: dict[str, list[dict[str, Any]]] = {}
    for qa in seed.anchors:
        own = _OWN_QUOTE.fullmatch(qa.field)
        if own is None:
            continue  # a limit's, a stance's or an excluded sentence's quote
        key = f"{qa.item}.answer" if own.group(1) else qa.item
        spans.setdefault(key, []).append(
            {"text": qa.anchor.quote, "start": qa.anchor.start, "end": qa.anchor.end}
        )
    return spans


def to_argdown(seed: Seed) -> dict[str, Any]:
    """Argdown-style JSON: statements by id (with quote spans) and typed relations."""
    spans = _spans(seed)
    return {
        "format": "argdown-json",
        "source": seed.slug,
        "statements": {
            s.id: {
                "title": s.id,
                "role": s.role,
                "text": s.text,
                "status": s.status,
                "quotes": spans.get(s.id, [{"text": q} for q in s.quotes]),
            }
            for s in statements(seed.reading)
        },
        "relations": [
            {"from": e.source, "to": e.target, "type": e.relation} for e in edges(seed.reading)
        ],
    }


def to_aif(reading: Reading) -> dict[str, Any]:
    """AIF JSON (the AIFdb layout): I-nodes for statements, RA/CA nodes for their relations.

    A support is ``I -> RA -> I``, an attack ``I -> CA -> I``; an undercut attacks the
    S-nodes (inferences or conflicts) that go out of its target: ``I -> CA -> RA``.
    """
    nodes: list[dict[str, Any]] = [
        {"nodeID": s.id, "text": s.text, "type": "I"} for s in statements(reading)
    ]
    links: list[tuple[str, str]] = []
    outgoing: dict[str, list[str]] = {}
    counter = {"RA": 0, "CA": 0}

    def s_node(kind: Literal["RA", "CA"]) -> str:
        counter[kind] += 1
        node_id = f"{kind}{counter[kind]}"
        text = "Default Inference" if kind == "RA" else "Default Conflict"
        nodes.append({"nodeID": node_id, "text": text, "type": kind})
        return node_id

    all_edges = edges(reading)
    for e in all_edges:
        if e.relation == "undercut":
            continue
        node = s_node("RA" if e.relation == "support" else "CA")
        links += [(e.source, node), (node, e.target)]
        outgoing.setdefault(e.source, []).append(node)
    for e in all_edges:
        if e.relation != "undercut":
            continue
        for target in outgoing.get(e.target, []):
            node = s_node("CA")
            links += [(e.source, node), (node, target)]
    return {
        "nodes": nodes,
        "edges": [
            {"edgeID": f"e{i}", "fromID": a, "toID": b, "formEdgeID": None}
            for i, (a, b) in enumerate(links, 1)
        ],
        "locutions": [],
        "participants": [],
    }


def coverage_data(seed: Seed) -> dict[str, Any]:
    """The reading's sentence coverage as data: share, and each sentence with its state."""
    cov = seed.coverage()
    return {
        "source": seed.slug,
        "substantive": cov.substantive,
        "covered": cov.covered,
        "share": round(cov.share, 4),
        "sentences": [
            {
                "index": s.index,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "state": s.state,
                "items": list(s.items),
            }
            for s in cov.sentences
        ],
    }


def _written(data_dir: Path, seed: Seed) -> Iterator[Path]:
    for name, data in (
        (AIF_NAME, to_aif(seed.reading)),
        (ARGDOWN_NAME, to_argdown(seed)),
        (COVERAGE_NAME, coverage_data(seed)),
    ):
        path = data_dir / name
        write_json(path, data)
        yield path


def write_exports(seed: Seed, data_dir: Path) -> list[Path]:
    """Write the AIF and Argdown-style JSON and the coverage of ``seed`` into ``data_dir``."""
    return list(_written(data_dir, seed))
