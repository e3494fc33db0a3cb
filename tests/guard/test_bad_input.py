"""Empty, huge and junk input each give a clear result with a bounded cost."""

from __future__ import annotations

from seedstack.config.guard import GuardPolicy
from seedstack.guard import GuardEngine


def test_empty_and_whitespace(engine: GuardEngine) -> None:
    assert engine.scan("") == []
    assert engine.scan("   \n\t ") == []
    v = engine.check_input(
        [{"role": "user", "content": ""}, {"role": "user"}, {"role": "user", "content": None}], GuardPolicy()
    )
    assert v.blocked is None and len(v.messages) == 3


def test_huge_text_is_scanned_in_bounded_windows() -> None:
    from seedstack.guard.injection import InjectionModel

    engine = GuardEngine(InjectionModel.load(), max_scan_chars=10_000)
    text = "lorem ipsum dolor sit amet " * 20_000 + " contact ann@example.com"
    hits = engine.scan(text, detectors={"pii", "injection"})
    assert [text[f.start : f.end] for f in hits if f.detector == "pii"] == ["ann@example.com"]


def test_binary_junk_and_malformed_messages(engine: GuardEngine) -> None:
    junk = bytes(range(256)) * 20
    assert [f for f in engine.scan(junk) if f.detector == "injection"] == []  # binary is not a prompt
    v = engine.check_input(["not a dict", {"role": "user", "content": 42}], GuardPolicy())  # type: ignore[list-item]
    assert v.blocked is None
