"""Structured PII is found and validated; look-alikes that fail validation are left alone."""

from __future__ import annotations

import pytest

from seedstack.guard import GuardEngine

# every test here runs with the Hyperscan literal pass and with plain substring searches
pytestmark = pytest.mark.usefixtures("needle_backend")


def _types(engine: GuardEngine, text: str) -> list[tuple[str, str]]:
    return [(f.type, text[f.start : f.end]) for f in engine.scan(text, detectors={"pii"})]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to ann.lee+news@example.co.uk today", ("EMAIL", "ann.lee+news@example.co.uk")),
        ("card 4111 1111 1111 1111 exp 12/29", ("CREDIT_CARD", "4111 1111 1111 1111")),
        ("pay to GB82 WEST 1234 5698 7654 32 please", ("IBAN", "GB82 WEST 1234 5698 7654 32")),
        ("my SSN is 123-45-6789", ("US_SSN", "123-45-6789")),
        ("server at 192.168.10.254 is down", ("IP_ADDRESS", "192.168.10.254")),
        ("ipv6 2001:db8::8a2e:370:7334 works", ("IP_ADDRESS", "2001:db8::8a2e:370:7334")),
        ("call me at (415) 555-0132 tonight", ("PHONE", "(415) 555-0132")),
        ("mobile: +44 20 7946 0958", ("PHONE", "+44 20 7946 0958")),
        ("I was born on 14/03/1985 in Leeds", ("DATE_OF_BIRTH", "14/03/1985")),
        ("Please ask Dr. Maria Gonzalez", ("PERSON", "Maria Gonzalez")),
        ("ship it to 221 Baker Street, London", ("ADDRESS", "221 Baker Street")),
    ],
)
def test_finds_each_type(engine: GuardEngine, text: str, expected: tuple[str, str]) -> None:
    assert expected in _types(engine, text)


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112 is not a valid number",  # fails Luhn
        "pay to GB82 WEST 1234 5698 7654 33 please",  # fails mod-97
        "ids 000-12-3456 and 666-12-3456 and 912-12-3456",  # invalid SSN areas
        "address 999.10.1.1 and version 1.2.3.4",  # not an IP / a version string
        "the meeting on 14/03/2024 went well",  # a date but not a birth date
        "we sold 1234567 units in 2023",  # a bare number without phone context
        "ignore this compiler warning and bypass the cache",
    ],
)
def test_look_alikes_are_not_pii(engine: GuardEngine, text: str) -> None:
    assert _types(engine, text) == []


def test_redact_uses_typed_numbered_placeholders(engine: GuardEngine) -> None:
    text = "ann@example.com wrote to bob@example.com, then ann@example.com again"
    out = engine.redact(text, engine.scan(text, detectors={"pii"}))
    assert out == "<EMAIL_1> wrote to <EMAIL_2>, then <EMAIL_1> again"


def test_hmac_pseudonyms_are_stable_per_key(engine: GuardEngine) -> None:
    text = "contact ann@example.com"
    findings = engine.scan(text, detectors={"pii"})
    a = engine.redact(text, findings, mode="hmac", hmac_key=b"k1")
    b = engine.redact(text, findings, mode="hmac", hmac_key=b"k1")
    c = engine.redact(text, findings, mode="hmac", hmac_key=b"k2")
    assert a == b != c
    assert "ann@example.com" not in a and a.startswith("contact <EMAIL_")


def test_hmac_without_key_is_a_clear_error(engine: GuardEngine) -> None:
    from seedstack.errors import ConfigError

    with pytest.raises(ConfigError, match="key"):
        engine.redact("a@b.co", engine.scan("a@b.co"), mode="hmac")
