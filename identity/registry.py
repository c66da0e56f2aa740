"""National IDs: issue, keep, merge and split them so an ID never changes meaning.

Rules (pure functions, no database):

* a new ID is a pure function of the cluster's anchor (its smallest record key): 11 digits from
  a SHA-256 of the key, first digit 1-9, plus a Luhn check digit = 12 digits. On a collision
  with any ID ever issued the key is salted (`key#1`, `key#2`, ...) in anchor order, so a full
  rebuild from the same inputs and decisions reproduces the same IDs;
* an ID already issued stays with the records that carry it: each previous ID goes to the one
  new cluster that holds most of its records (ties: the cluster with the smallest key);
* a cluster that ends up with several previous IDs keeps the one with the smallest anchor key
  (the ID a rebuild would give it) and the others are retired into it (a merge);
* a cluster that ends up with none gets a new ID (a new child, or records split off);
* IDs are never reused: retired IDs stay in the registry and resolve to their survivor.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Container
from dataclasses import dataclass, field


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of a digit string."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def candidate_id(anchor: str, salt: int = 0) -> str:
    """The 12-digit ID derived from an anchor record key (and a collision salt)."""
    text = anchor if salt == 0 else f"{anchor}#{salt}"
    number = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    body = str(10**10 + number % (9 * 10**10))
    return body + luhn_digit(body)


def is_valid_id(value: str) -> bool:
    """True for a 12-digit string whose last digit is its Luhn check digit."""
    return len(value) == 12 and value.isdigit() and luhn_digit(value[:11]) == value[11]


@dataclass
class Assignment:
    """Result of assigning IDs to clusters."""

    record_ids: dict[str, str] = field(default_factory=dict)
    new_ids: dict[str, str] = field(default_factory=dict)  # id -> anchor key
    merged: dict[str, str] = field(default_factory=dict)  # retired id -> survivor


def _award_previous_ids(components: list[list[str]], previous: dict[str, str]) -> dict[str, int]:
    """Which component (by index) keeps each previous ID: the one holding most of its records."""
    holders: dict[str, Counter[int]] = {}
    for index, members in enumerate(components):
        for key in members:
            prev = previous.get(key)
            if prev is not None:
                holders.setdefault(prev, Counter())[index] += 1
    # components are sorted by smallest key, so the lower index wins a tie.
    return {
        msix_id: min(counts, key=lambda i: (-counts[i], i)) for msix_id, counts in holders.items()
    }


def assign_ids(
    components: list[list[str]],
    previous: dict[str, str],
    anchors: dict[str, str],
    issued: Container[str],
) -> Assignment:
    """Give every component an ID.

    `previous`: record key -> its active ID from the last run (records split off by a decision
    are left out, so they lose their claim); `anchors`: ID -> anchor key of (at least) every
    previous ID in `previous`; `issued`: answers "was this ID ever issued?" for any ID (never
    reused). Only the components given are assigned, so a run can pass just the part of the
    registry it re-clusters: every other cluster keeps its ID and issues nothing.
    """
    taken: set[str] = set()
    awarded = _award_previous_ids(components, previous)
    kept_by_component: dict[int, list[str]] = {}
    for msix_id, index in awarded.items():
        kept_by_component.setdefault(index, []).append(msix_id)
    result = Assignment()
    for index, members in enumerate(components):
        kept = sorted(kept_by_component.get(index, []), key=lambda i: (anchors.get(i, i), i))
        if kept:
            survivor = kept[0]
            for retired in kept[1:]:
                result.merged[retired] = survivor
        else:
            anchor = members[0]
            salt = 0
            survivor = candidate_id(anchor)
            while survivor in taken or survivor in issued:
                salt += 1
                survivor = candidate_id(anchor, salt)
            taken.add(survivor)
            result.new_ids[survivor] = anchor
        for key in members:
            result.record_ids[key] = survivor
    return result


def resolve_chain(merged_into: dict[str, str | None], msix_id: str) -> str:
    """Follow merges from any ID ever issued to the active ID it now means."""
    seen = set()
    current = msix_id
    while merged_into.get(current) and current not in seen:
        seen.add(current)
        current = merged_into[current]  # type: ignore[assignment]
    return current
