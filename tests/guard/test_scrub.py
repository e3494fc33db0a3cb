"""Batch scrubbing for training data, and the optional NER plug-in."""

from __future__ import annotations

import importlib.util

import pytest

from seedstack.errors import MissingExtraError
from seedstack.guard import Finding, GuardEngine
from seedstack.guard.scrub import ScrubReport, scrub_texts


def test_scrub_texts_redacts_and_reports_counts_without_values(engine: GuardEngine) -> None:
    report = ScrubReport()
    texts = ["mail ann@example.com", "nothing here", "key AKIAIOSFODNN7EXAMPL1 and bob@example.org"]
    out = list(scrub_texts(engine, texts, report))
    assert out == ["mail <EMAIL_1>", "nothing here", "key <AWS_ACCESS_KEY_1> and <EMAIL_1>"]
    assert report.to_dict() == {
        "records": 3,
        "records_changed": 2,
        "chars": sum(map(len, texts)),
        "types": {"AWS_ACCESS_KEY": 1, "EMAIL": 2},
    }
    assert "ann@" not in str(report.to_dict())


def test_scrub_with_a_plugged_in_recognizer(engine: GuardEngine) -> None:
    class Names:
        def find(self, text: str) -> list[Finding]:
            i = text.find("Grace Hopper")
            return [Finding("pii", "PERSON", i, i + 12, 0.85)] if i >= 0 else []

    report = ScrubReport()
    out = list(scrub_texts(engine, ["Grace Hopper wrote grace@example.com"], report, ner=Names()))
    assert out == ["<PERSON_1> wrote <EMAIL_1>"]


@pytest.mark.skipif(importlib.util.find_spec("presidio_analyzer") is not None, reason="the [ner] extra is installed")
def test_ner_without_the_extra_names_the_pip_install() -> None:
    from seedstack.guard.ner import PresidioNER

    with pytest.raises(MissingExtraError, match=r"seedstack\[ner\]"):
        PresidioNER()


def test_batch_scrub_equals_record_by_record_and_context_never_crosses_records(engine: GuardEngine) -> None:
    from seedstack.guard.redact import Redactor

    texts = [
        "please call",  # a cue word at the end of one record ...
        "1234567",  # ... must not turn the next record's bare number into a phone
        "İstanbul office: call (415) 555-0132",  # a character whose lower case is longer
        "My SSN is 123-45-6789 and my card 4111 1111 1111 1111.",
        "x" * 20_000 + " reach me at ann@example.com",  # too long to pool
        "",
        "born 14/03/1985, Mr John Smith, 12 Baker Street",
    ] * 3
    out = list(scrub_texts(engine, texts, ScrubReport(), detectors=frozenset({"pii"})))
    expected = []
    for text in texts:
        found = engine.scan(text, detectors={"pii"})
        expected.append(Redactor().apply(text, found) if found else text)
    assert out == expected
    assert out[1] == "1234567"
    assert "<PHONE_1>" in out[2] and "<US_SSN_1>" in out[3] and "<EMAIL_1>" in out[4]
