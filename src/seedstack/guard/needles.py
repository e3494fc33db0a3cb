"""Which of the guard's literal cue words, key prefixes and candidate shapes a text holds, in one pass.

Detectors gate their work on cheap evidence: a provider key prefix (``"sk-"``, ``"AKIA"``), a word near
a secret (``"token"``), a cue before a date of birth (``"born"``), or a shape without which a pattern
cannot match (four digits and three dots for an IPv4 address). Checked one by one, that is ~50 passes
over every text (~0.5 µs each per 2 KB, ~13 µs per 64 KB scrub batch). With Hyperscan (the
``hyperscan`` wheel: a multi-pattern matcher in C) all of them are one pass.

Detectors register at import (:func:`register`); ``CharClasses.exact`` / ``.folded`` then hold what a
text contains. Without Hyperscan (a platform with no wheel, or ``SEEDSTACK_GUARD_HYPERSCAN=0``) the
same sets come from substring searches and Python regexes: the findings are identical either way,
only the cost differs (tests run both).

- ``exact`` literals are matched as written, in ``CharClasses.raw`` (latin-1 bytes);
- ``folded`` literals are lower-case ASCII, matched ignoring ASCII case: what searching ``raw.lower()``
  gives (bytes ``lower`` folds ASCII only, as does Hyperscan's caseless mode);
- ``gates`` are named byte regexes made of ASCII character classes and bounded repeats (the syntax
  both engines read the same way); a gate's name is in ``exact`` when the regex matches ``raw``. A gate
  must match wherever the detector it guards could find something (a superset, never a subset).
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any

__all__ = ["backend", "prepare", "register", "scan", "use_hyperscan"]

_EXACT: list[bytes] = []
_FOLDED: list[bytes] = []
_GATES: dict[bytes, bytes] = {}
_lock = threading.Lock()
# "db": (compiled database, (folded?, key) per pattern id) or None until the first scan
_state: dict[str, Any] = {"db": None, "size": -1, "hs": None, "gates": ()}
_local = threading.local()


def _load_hyperscan() -> Any:
    if os.environ.get("SEEDSTACK_GUARD_HYPERSCAN", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    try:
        import hyperscan
    except ImportError:  # no wheel for this platform: the substring path gives the same sets
        return None
    return hyperscan


_UNSET = object()
_state["hs"] = _UNSET  # imported on first use (~25 ms: a 6 MB library), not when the guard is imported


def _hs() -> Any:
    if _state["hs"] is _UNSET:
        _state["hs"] = _load_hyperscan()
    return _state["hs"]


def use_hyperscan(enabled: bool) -> None:
    """Switch the matcher (tests compare both; ``False`` forces the substring path)."""
    with _lock:
        _state["hs"] = _load_hyperscan() if enabled else None
        _state["db"], _state["size"] = None, -1


def backend() -> str:
    return "hyperscan" if _hs() is not None else "substring"


def register(
    *, exact: tuple[bytes, ...] = (), folded: tuple[bytes, ...] = (), gates: dict[bytes, bytes] | None = None
) -> None:
    """Add literals and gates to look for (idempotent); ``folded`` ones must be lower-case ASCII."""
    for n in folded:
        if not n.isascii() or n.lower() != n:
            raise ValueError(f"folded literal {n!r} must be lower-case ASCII")
    for name, rx in (gates or {}).items():
        if name in _GATES and _GATES[name] != rx:
            raise ValueError(f"gate {name!r} is already registered with another pattern")
        re.compile(rx)  # a bad pattern fails at import, not on the first request
    with _lock:
        _EXACT.extend(n for n in dict.fromkeys(exact) if n not in _EXACT)
        _FOLDED.extend(n for n in dict.fromkeys(folded) if n not in _FOLDED)
        _GATES.update(gates or {})
        _state["gates"] = tuple((name, re.compile(rx)) for name, rx in _GATES.items())


def prepare() -> None:
    """Compile the matcher now (the first ``scan`` would otherwise pay for it)."""
    _database()


def scan(raw: bytes, lower: bytes | None = None) -> tuple[frozenset[bytes], frozenset[bytes]]:
    """(exact literals and gate names found in ``raw``, folded literals found in it ignoring ASCII case).

    ``lower`` is ``raw.lower()`` when the caller already has it (the substring path needs it).
    """
    compiled = _database()
    if compiled is None:
        low = raw.lower() if lower is None else lower
        present = set(filter(raw.__contains__, _EXACT))
        present.update(name for name, rx in _state["gates"] if rx.search(raw) is not None)
        return frozenset(present), frozenset(filter(low.__contains__, _FOLDED))
    db, keys = compiled
    found: list[int] = []
    scratch = getattr(_local, "scratch", None)
    if scratch is None or getattr(_local, "db", None) is not db:
        _local.scratch = scratch = _hs().Scratch(db)
        _local.db = db
    db.scan(raw, match_event_handler=_collect, context=found, scratch=scratch)
    exact = frozenset(keys[i][1] for i in found if not keys[i][0])
    folded = frozenset(keys[i][1] for i in found if keys[i][0])
    return exact, folded


def _collect(pattern_id: int, start: int, end: int, flags: int, context: list[int]) -> None:
    context.append(pattern_id)


def _escaped(literal: bytes) -> bytes:
    return b"".join(b"\\x%02x" % b for b in literal)


def _database() -> tuple[Any, tuple[tuple[bool, bytes], ...]] | None:
    hs = _hs()
    if hs is None:
        return None
    size = len(_EXACT) + len(_FOLDED) + len(_GATES)
    if _state["db"] is not None and _state["size"] == size:
        return _state["db"]
    with _lock:
        if _state["db"] is None or _state["size"] != size:
            one = hs.HS_FLAG_SINGLEMATCH  # presence is all a gate needs: each pattern reports once
            # (folded?, key, pattern, flags) per pattern id
            rows = [(False, n, _escaped(n), one) for n in _EXACT]
            rows += [(True, n, _escaped(n), one | hs.HS_FLAG_CASELESS) for n in _FOLDED]
            rows += [(False, name, rx, one) for name, rx in _GATES.items()]
            db = hs.Database(mode=hs.HS_MODE_BLOCK)
            db.compile(
                expressions=[r[2] for r in rows],
                ids=list(range(len(rows))),
                elements=len(rows),
                flags=[r[3] for r in rows],
            )
            _state["db"], _state["size"] = (db, tuple((r[0], r[1]) for r in rows)), size
        return _state["db"]
