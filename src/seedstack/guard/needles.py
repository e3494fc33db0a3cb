"""Which of the guard's literal cue words and key prefixes a text holds, found in one pass.

Detectors gate their regexes on literals: a provider key prefix (``"sk-"``, ``"AKIA"``), a word near a
secret (``"token"``), a cue before a date of birth (``"born"``). Checked one by one, that is ~45
substring searches over every text, each a full pass (~0.5 µs per 2 KB, ~13 µs per 64 KB scrub batch).
With Hyperscan (the ``hyperscan`` wheel; a multi-literal matcher in C) all of them are one pass.

Detectors register their literals at import (:func:`register`); ``CharClasses.exact`` / ``.folded``
then hold the ones a text contains. Without Hyperscan (a platform with no wheel, or
``SEEDSTACK_GUARD_HYPERSCAN=0``) the same sets come from plain substring searches: the findings are
identical either way, only the cost differs (tests run both).

- ``exact`` literals are matched as written, in ``CharClasses.raw`` (latin-1 bytes);
- ``folded`` literals are lower-case ASCII and matched ignoring ASCII case, which is what searching
  ``raw.lower()`` for them gives (bytes ``lower`` folds ASCII only, as does Hyperscan's caseless mode).
"""

from __future__ import annotations

import os
import threading
from typing import Any

__all__ = ["backend", "register", "scan", "use_hyperscan"]

_EXACT: list[bytes] = []
_FOLDED: list[bytes] = []
_lock = threading.Lock()
_state: dict[str, Any] = {"db": None, "size": -1, "hs": None}
_local = threading.local()


def _load_hyperscan() -> Any:
    if os.environ.get("SEEDSTACK_GUARD_HYPERSCAN", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    try:
        import hyperscan
    except ImportError:  # no wheel for this platform: the substring path gives the same sets
        return None
    return hyperscan


_state["hs"] = _load_hyperscan()


def use_hyperscan(enabled: bool) -> None:
    """Switch the matcher (tests compare both; ``False`` forces the substring path)."""
    with _lock:
        _state["hs"] = _load_hyperscan() if enabled else None
        _state["db"], _state["size"] = None, -1


def backend() -> str:
    return "hyperscan" if _state["hs"] is not None else "substring"


def register(*, exact: tuple[bytes, ...] = (), folded: tuple[bytes, ...] = ()) -> None:
    """Add literals to look for (idempotent); ``folded`` ones must be lower-case ASCII."""
    for n in folded:
        if not n.isascii() or n.lower() != n:
            raise ValueError(f"folded literal {n!r} must be lower-case ASCII")
    with _lock:
        _EXACT.extend(n for n in dict.fromkeys(exact) if n not in _EXACT)
        _FOLDED.extend(n for n in dict.fromkeys(folded) if n not in _FOLDED)


def scan(raw: bytes, lower: bytes | None = None) -> tuple[frozenset[bytes], frozenset[bytes]]:
    """(exact literals found in ``raw``, folded literals found in it ignoring ASCII case).

    ``lower`` is ``raw.lower()`` when the caller already has it (the substring path needs it).
    """
    db = _database()
    if db is None:
        low = raw.lower() if lower is None else lower
        return frozenset(filter(raw.__contains__, _EXACT)), frozenset(filter(low.__contains__, _FOLDED))
    found: list[int] = []
    scratch = getattr(_local, "scratch", None)
    if scratch is None or getattr(_local, "db", None) is not db:
        _local.scratch = scratch = _state["hs"].Scratch(db)
        _local.db = db
    db.scan(raw, match_event_handler=_collect, context=found, scratch=scratch)
    n_exact = len(_EXACT)
    exact = frozenset(_EXACT[i] for i in found if i < n_exact)
    folded = frozenset(_FOLDED[i - n_exact] for i in found if i >= n_exact)
    return exact, folded


def _collect(pattern_id: int, start: int, end: int, flags: int, context: list[int]) -> None:
    context.append(pattern_id)


def _database() -> Any:
    hs = _state["hs"]
    if hs is None:
        return None
    size = len(_EXACT) + len(_FOLDED)
    db = _state["db"]
    if db is not None and _state["size"] == size:
        return db
    with _lock:
        if _state["db"] is None or _state["size"] != size:
            literals = [*_EXACT, *_FOLDED]
            base = hs.HS_FLAG_SINGLEMATCH
            flags = [base] * len(_EXACT) + [base | hs.HS_FLAG_CASELESS] * len(_FOLDED)
            db = hs.Database(mode=hs.HS_MODE_BLOCK)
            # literals, not regexes: compile_lit takes the bytes as they are (no escaping to get wrong)
            db.compile(
                expressions=literals, ids=list(range(len(literals))), elements=len(literals), flags=flags, literal=True
            )
            _state["db"], _state["size"] = db, size
        return _state["db"]
