"""Credentials in text: provider API keys, private key blocks, JWTs, and random-looking tokens
assigned to key-like names.

Each provider pattern has a literal needle (``"sk-"``, ``"AKIA"``…); all of them and the key-like
words are found in one pass (``needles``), so a prompt with no candidate costs no regex pass at all. Random-looking
tokens are looked for only in the runs of token characters 16 or more long (``CharClasses.token_runs``).
"""

from __future__ import annotations

import math
import re
from collections import Counter

from . import needles
from .charclass import CharClasses, lower_same_length
from .types import Finding, resolve_overlaps

__all__ = ["SECRET_TYPES", "find_secrets", "shannon_entropy"]

# (type, needles, regex, group holding the secret, score)
_PATTERNS: tuple[tuple[str, tuple[str, ...], re.Pattern[str], int, float], ...] = (
    (
        "PRIVATE_KEY",
        ("PRIVATE KEY",),
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,16384}?(?:-----END (?:[A-Z0-9]+ )*"
            r"PRIVATE KEY(?: BLOCK)?-----|$)"
        ),
        0,
        0.99,
    ),
    ("ANTHROPIC_KEY", ("sk-ant-",), re.compile(r"sk-ant-[A-Za-z0-9_-]{20,}"), 0, 0.99),
    ("OPENAI_KEY", ("sk-",), re.compile(r"(?<![\w-])sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}"), 0, 0.95),
    (
        "AWS_ACCESS_KEY",
        ("AKIA", "ASIA", "ABIA", "ACCA"),
        re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
        0,
        0.95,
    ),
    ("GCP_API_KEY", ("AIza",), re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![\w-])"), 0, 0.95),
    ("GCP_OAUTH_TOKEN", ("ya29.",), re.compile(r"\bya29\.[0-9A-Za-z_-]{20,}"), 0, 0.95),
    (
        "GITHUB_TOKEN",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
        0,
        0.99,
    ),
    ("SLACK_TOKEN", ("xox",), re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}"), 0, 0.95),
    (
        "SLACK_WEBHOOK",
        ("hooks.slack.com",),
        re.compile(r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]{20,}"),
        0,
        0.95,
    ),
    (
        "STRIPE_KEY",
        ("sk_live", "sk_test", "rk_live", "rk_test"),
        re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b"),
        0,
        0.97,
    ),
    ("HUGGINGFACE_TOKEN", ("hf_",), re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"), 0, 0.9),
    ("SENDGRID_KEY", ("SG.",), re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"), 0, 0.97),
    ("JWT", ("eyJ",), re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), 0, 0.9),
    ("URL_PASSWORD", ("://",), re.compile(r"\b[a-z][a-z0-9+.-]{1,20}://[^\s:/@]{1,64}:([^\s@/]{3,128})@"), 1, 0.9),
)
_LONG_TOKEN = re.compile(r"[A-Za-z0-9_\-+/.~]{16,256}={0,2}")
_KEY_CUE = re.compile(
    r"(?:api[_-]?key|apikey|secret|token|passw(?:or)?d|pwd|access[_-]?key|private[_-]?key|auth|"
    r"credential|client[_-]?secret|bearer)[\w.-]{0,24}[\"']?\s*(?:[:=]|=>|\bis\b)?\s*[\"']?$"
)
_KEYWORD_NEEDLES = tuple(n.encode() for n in ("key", "secret", "token", "pass", "pwd", "auth", "credential", "bearer"))
_KELVIN = "\u212a"  # lower-cases to "k": the one non-ASCII character that can complete a keyword
_PATTERN_NEEDLES = tuple(frozenset(n.encode() for n in p[1]) for p in _PATTERNS)
# every needle is looked for in one pass over ``CharClasses.raw`` (see ``needles``)
needles.register(exact=tuple(sorted({n for ns in _PATTERN_NEEDLES for n in ns})), folded=_KEYWORD_NEEDLES)
SECRET_TYPES = (*(p[0] for p in _PATTERNS), "HIGH_ENTROPY_TOKEN")


def shannon_entropy(s: str) -> float:
    """Bits per character; random base64 keys score ~5, English words ~3."""
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values()) if n else 0.0


def _looks_random(tok: str, min_entropy: float) -> bool:
    if tok.isalpha() and (tok.islower() or tok.isupper()):
        return False
    if tok.isascii():
        # in ASCII a lower-case letter is what upper() changes, and the reverse: three C-level passes
        classes = (tok != tok.upper()) + (tok != tok.lower()) + any(map(tok.__contains__, "0123456789"))
    else:
        classes = sum((any(c.islower() for c in tok), any(c.isupper() for c in tok), any(c.isdigit() for c in tok)))
    return classes >= 2 and shannon_entropy(tok) >= min_entropy


def _has_keyword(text: str, chars: CharClasses) -> bool:
    if _KELVIN in text:
        lowered = text.lower()
        return any(n.decode() in lowered for n in _KEYWORD_NEEDLES)
    return not chars.folded.isdisjoint(_KEYWORD_NEEDLES)


def _key_cue_before(text: str, start: int) -> bool:
    """A key-like name in the 48 characters before ``start`` (lower-cased, one character in front for ``\\b``)."""
    lo = max(0, start - 48)
    return _KEY_CUE.search(lower_same_length(text[lo - 1 if lo else 0 : start]), 1 if lo else 0) is not None


def find_secrets(text: str, *, min_entropy: float = 3.5, chars: CharClasses | None = None) -> list[Finding]:
    """Every credential-like span, with the secret itself as the span (so redaction keeps the name).

    ``chars`` is ``CharClasses(text)`` when the caller already has it (the engine shares it with PII).
    """
    out: list[Finding] = []
    if chars is None:
        chars = CharClasses(text)
    present = chars.exact
    for (typ, _, rx, group, score), wanted in zip(_PATTERNS, _PATTERN_NEEDLES, strict=True):
        if present.isdisjoint(wanted):
            continue
        for m in rx.finditer(text):
            out.append(Finding("secrets", typ, m.start(group), m.end(group), score))
    if _has_keyword(text, chars):
        # random-looking long tokens are rare, so find them first and only then look for a key word;
        # a token is made of token characters (plus "=" padding), so each lies in one run of them
        runs = [(0, len(text))] if chars.small else chars.token_runs(16)
        for start, end in runs:
            for m in _LONG_TOKEN.finditer(text, start, min(len(text), end + 2)):
                if _key_cue_before(text, m.start()) and _looks_random(m.group(), min_entropy):
                    out.append(Finding("secrets", "HIGH_ENTROPY_TOKEN", m.start(), m.end(), 0.7))
    return resolve_overlaps(out)
