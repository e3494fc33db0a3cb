"""Provider keys, key blocks, JWTs and random tokens next to key-like words."""

from __future__ import annotations

import pytest

from seedstack.guard import GuardEngine

# every test here runs with the Hyperscan literal pass and with plain substring searches
pytestmark = pytest.mark.usefixtures("needle_backend")

_SECRETS = [
    ("OPENAI_KEY", "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8t"),
    ("ANTHROPIC_KEY", "sk-ant-api03-" + "x" * 40),
    ("AWS_ACCESS_KEY", "AKIA" + "IOSFODNN7EXAMPL1"),
    ("GCP_API_KEY", "AIza" + "SyD3x4mpl3K3y-abcdefghijklmnopqrstu"),
    ("GITHUB_TOKEN", "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
    ("SLACK_TOKEN", "xoxb-" + "123456789012-abcdefABCDEF"),
    ("STRIPE_KEY", "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"),
    ("JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
]


@pytest.mark.parametrize(("kind", "secret"), _SECRETS)
def test_provider_keys(engine: GuardEngine, kind: str, secret: str) -> None:
    text = f"here you go: {secret} (keep it safe)"
    hits = [(f.type, text[f.start : f.end]) for f in engine.scan(text, detectors={"secrets"})]
    assert (kind, secret) in hits


def test_private_key_block_and_url_password(engine: GuardEngine) -> None:
    text = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
    text += "db: postgres://app:S3cr3tPass@db.internal/prod"
    out = engine.redact(text, engine.scan(text, detectors={"secrets"}))
    assert "b3BlbnNzaC1rZXktdjEAAAAA" not in out and "S3cr3tPass" not in out
    assert "postgres://app:<URL_PASSWORD_1>@db.internal/prod" in out


def test_high_entropy_token_only_next_to_a_key_word(engine: GuardEngine) -> None:
    hit = engine.scan('config: api_key = "q8Zr2LmX0vT7bN4kW9pS"', detectors={"secrets"})
    assert [f.type for f in hit] == ["HIGH_ENTROPY_TOKEN"]
    assert engine.scan("the word q8Zr2LmX0vT7bN4kW9pS alone", detectors={"secrets"}) == []
    assert engine.scan("password = correcthorsebatterystaple", detectors={"secrets"}) == []
    assert engine.scan("please bypass the cache; the secret sauce is butter", detectors={"secrets"}) == []
