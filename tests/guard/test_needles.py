"""The one-pass literal search (``guard.needles``): Hyperscan and plain substring searches agree."""

from __future__ import annotations

import random
import threading

import pytest

from seedstack.guard import needles
from seedstack.guard.charclass import CharClasses
from seedstack.guard.pii import find_pii
from seedstack.guard.secrets import find_secrets

_FRAGMENTS = [
    "sk-", "AKIA", "ASIAKIA", "token", "TOKEN", "Pass", "born", "BORN", "D.O.B", "My Name Is", "regards,",
    "\u212a", "key=", "AIza", "ghp_", "hf_", "xoxb-", "eyJ", "://u:p@", "SG.", "ya29.", "PRIVATE KEY",
    "sk_live_", "github_pat_", "hooks.slack.com", "4111 1111 1111 1111", "123-45-6789", "Dr. John Smith",
    "14/03/1985", "\u0130", "\u00e9", "10.0.0.1", "\u00c0UTH", "s\u212aey",
    "GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "17 Rissik Street", "221B Baker St", "v1.2.3.4",
    "(415) 555-0132", "+44 20 7946 0958", "born on 3 March 1990", "Mrs Ann Lee", "my name is Jo", "1.2.3",
]  # fmt: skip


def _corpus(n: int) -> list[str]:
    rng = random.Random(5)
    filler = "The quick brown fox jumps over the lazy dog; bypass the cache and ignore this compiler warning. "
    out = []
    for _ in range(n):
        parts = [filler[: rng.randrange(0, len(filler))]]
        for _ in range(rng.randrange(0, 7)):
            tail = "".join(rng.choice("abcXYZ0123456789_-=") for _ in range(rng.randrange(0, 48)))
            parts.append(rng.choice(_FRAGMENTS) + tail)
        out.append((" " if rng.random() < 0.5 else "").join(parts))
    return out


def _findings(texts: list[str]) -> list[list[tuple[str, int, int, float]]]:
    out = []
    for t in texts:
        c = CharClasses(t)
        out.append([(f.type, f.start, f.end, f.score) for f in find_pii(t, chars=c) + find_secrets(t, chars=c)])
    return out


def test_both_backends_give_the_same_literals_and_findings() -> None:
    needles.use_hyperscan(True)
    if needles.backend() != "hyperscan":
        pytest.skip("the hyperscan wheel is not installed on this platform")
    texts = _corpus(3000)
    try:
        fast_sets = [needles.scan(t.encode("latin-1", "replace")) for t in texts]
        fast = _findings(texts)
        needles.use_hyperscan(False)
        assert needles.backend() == "substring"
        slow_sets = [needles.scan(t.encode("latin-1", "replace")) for t in texts]
        slow = _findings(texts)
    finally:
        needles.use_hyperscan(True)
    assert fast_sets == slow_sets
    assert fast == slow
    assert sum(map(len, fast)) > 300  # the corpus really exercises the detectors


def test_folded_literals_ignore_ascii_case_only(needle_backend: str) -> None:
    exact, folded = needles.scan(b"My TOKEN, Dr Who")
    assert b"token" in folded and b"Dr" in exact
    exact, folded = needles.scan(b"dr who")
    assert b"Dr" not in exact  # exact literals keep their case
    # the Kelvin sign is not ASCII: it is '?' in the latin-1 view and never completes "key"
    _, folded = needles.scan("\u212aey".encode("latin-1", "replace"))
    assert b"key" not in folded


def test_gates_report_shapes_by_name(needle_backend: str) -> None:
    exact, _ = needles.scan(b"id AKIAIOSFODNN7EXAMPLE ok")
    assert b"secrets:AWS_ACCESS_KEY" in exact
    exact, _ = needles.scan(b"id AKIA-short ok")
    assert b"secrets:AWS_ACCESS_KEY" not in exact


def test_register_refuses_a_second_pattern_under_one_gate_name() -> None:
    with pytest.raises(ValueError, match="already registered"):
        needles.register(gates={b"secrets:AWS_ACCESS_KEY": rb"AKIA"})


def test_register_refuses_folded_literals_that_are_not_lower_case_ascii() -> None:
    with pytest.raises(ValueError, match="lower-case ASCII"):
        needles.register(folded=(b"Token",))


def test_scans_from_several_threads_agree(needle_backend: str) -> None:
    texts = _corpus(200)
    expected = [needles.scan(t.encode("latin-1", "replace")) for t in texts]
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                assert [needles.scan(t.encode("latin-1", "replace")) for t in texts] == expected
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
