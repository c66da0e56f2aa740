"""Constrained clustering: which records are one child.

A union-find over record keys (`state:state_student_id`), built in a fixed order so the result
is deterministic:

1. must-links (coordinators' "same" and "merge" decisions) join unconditionally;
2. fixed groups (existing clusters whose records did not change) join unconditionally;
3. scored links, strongest first (ties by key), join only when the union keeps every
   constraint:
   * no cannot-link pair (coordinators' "different"/"split", suspected twins) ends up together;
   * two records of the same state end up together only when that very pair is plausible on
     its own (scored at least the lower threshold, or linked directly): a state's IDs are unique
     within the state, so a chain TX-1 ~ CA-7 ~ TX-2 does not make two clearly different
     TX records one child, while a state's own duplicate record can still join.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


def pair_key(a: str, b: str) -> tuple[str, str]:
    """The unordered pair as a sorted tuple."""
    return (a, b) if a <= b else (b, a)


def state_of(key: str) -> str:
    """The state part of a record key `ST:state_student_id`."""
    return key.split(":", 1)[0]


@dataclass
class Clusters:
    """Union-find with per-component members, states and cannot-link partners."""

    parent: dict[str, str] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    cannot: dict[str, set[str]] = field(default_factory=dict)
    direct: set[tuple[str, str]] = field(default_factory=set)

    def add(self, key: str) -> None:
        if key not in self.parent:
            self.parent[key] = key
            self.members[key] = [key]

    def find(self, key: str) -> str:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def forbid(self, a: str, b: str) -> None:
        """Record a cannot-link between two records."""
        self.add(a)
        self.add(b)
        self.cannot.setdefault(a, set()).add(b)
        self.cannot.setdefault(b, set()).add(a)

    def _violates(self, ra: str, rb: str) -> bool:
        small, large = (ra, rb) if len(self.members[ra]) <= len(self.members[rb]) else (rb, ra)
        for node in self.members[small]:
            if any(self.find(p) == large for p in self.cannot.get(node, ())):
                return True
        states_large: dict[str, list[str]] = {}
        for node in self.members[large]:
            states_large.setdefault(state_of(node), []).append(node)
        for node in self.members[small]:
            for other in states_large.get(state_of(node), ()):
                if pair_key(node, other) not in self.direct:
                    return True
        return False

    def union(self, a: str, b: str, *, checked: bool) -> bool:
        """Join the components of a and b; with `checked`, only when no constraint breaks."""
        self.add(a)
        self.add(b)
        self.direct.add(pair_key(a, b))
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if checked and self._violates(ra, rb):
            return False
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))
        return True

    def components(self) -> list[list[str]]:
        """Every component as a sorted list of keys, sorted by its smallest key."""
        return sorted((sorted(m) for m in self.members.values()), key=lambda m: m[0])


def build_clusters(
    records: Iterable[str],
    must_links: Iterable[tuple[str, str]],
    fixed_groups: Iterable[list[str]],
    links: Iterable[tuple[str, str, float]],
    cannot_links: Iterable[tuple[str, str]],
    plausible: Iterable[tuple[str, str]] = (),
) -> tuple[list[list[str]], int]:
    """Cluster `records`; returns (components, number of scored links refused by a constraint).

    `plausible`: pairs scored at least the lower threshold (same-state pairs among them may
    share a cluster).
    """
    clusters = Clusters()
    clusters.direct.update(pair_key(a, b) for a, b in plausible)
    for key in records:
        clusters.add(key)
    for a, b in cannot_links:
        clusters.forbid(a, b)
    for a, b in must_links:
        clusters.union(a, b, checked=False)
    for group in fixed_groups:
        for key in group:
            clusters.add(key)
        for i in range(len(group) - 1):
            clusters.union(group[i], group[i + 1], checked=False)
        # Records of one state inside an accepted cluster were accepted together before.
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if state_of(a) == state_of(b):
                    clusters.direct.add(pair_key(a, b))
    refused = 0
    for a, b, _ in sorted(links, key=lambda e: (-e[2], pair_key(e[0], e[1]))):
        if not clusters.union(a, b, checked=True):
            refused += 1
    return clusters.components(), refused
