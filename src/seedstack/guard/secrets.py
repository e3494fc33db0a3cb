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

# (type, gate, regex, group holding the secret, score). The gate is a shape every match starts with (a
# superset of the regex, in ``CharClasses.raw``); all gates are tried in one pass (``needles``) and a
# provider's regex runs only when its gate matched. Gates stop after 8 key characters: longer bounded
# repeats add little selectivity and make the one-time compile slow. ``\\s`` in a gate is written out as ASCII
# whitespace, so the gate excludes fewer characters than the regex does (a superset, as it must be).
_PATTERNS: tuple[tuple[str, bytes, re.Pattern[str], int, float], ...] = (
    (
        "PRIVATE_KEY",
        rb"PRIVATE KEY",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,16384}?(?:-----END (?:[A-Z0-9]+ )*"
            r"PRIVATE KEY(?: BLOCK)?-----|$)"
        ),
        0,
        0.99,
    ),
    ("ANTHROPIC_KEY", rb"sk-ant-[A-Za-z0-9_-]{8}", re.compile(r"sk-ant-[A-Za-z0-9_-]{20,}"), 0, 0.99),
    (
        "OPENAI_KEY",
        rb"sk-[A-Za-z0-9_-]{8}",
        re.compile(r"(?<![\w-])sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}"),
        0,
        0.95,
    ),
    (
        "AWS_ACCESS_KEY",
        rb"(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{8}",
        re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
        0,
        0.95,
    ),
    ("GCP_API_KEY", rb"AIza[0-9A-Za-z_-]{8}", re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![\w-])"), 0, 0.95),
    ("GCP_OAUTH_TOKEN", rb"ya29\.[0-9A-Za-z_-]{8}", re.compile(r"\bya29\.[0-9A-Za-z_-]{20,}"), 0, 0.95),
    (
        "GITHUB_TOKEN",
        rb"gh[pousr]_[A-Za-z0-9]{8}|github_pat_[A-Za-z0-9_]{8}",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
        0,
        0.99,
    ),
    ("SLACK_TOKEN", rb"xox[abposre]-[A-Za-z0-9-]{10}", re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}"), 0, 0.95),
    (
        "SLACK_WEBHOOK",
        rb"https://hooks\.slack\.com/(?:services|workflows)/",
        re.compile(r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]{20,}"),
        0,
        0.95,
    ),
    (
        "STRIPE_KEY",
        rb"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8}",
        re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b"),
        0,
        0.97,
    ),
    ("HUGGINGFACE_TOKEN", rb"hf_[A-Za-z0-9]{8}", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"), 0, 0.9),
    # [\w-] holds no whitespace and no ".": any other byte may stand for one (latin-1, or "?" for wider)
    ("SENDGRID_KEY", rb"SG\.[^\t\n\x0b\x0c\r .]{8}", re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"), 0, 0.97),
    (
        "JWT",
        rb"eyJ[A-Za-z0-9_-]{8,}\.eyJ",
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        0,
        0.9,
    ),
    (
        "URL_PASSWORD",
        rb"://[^\t\n\x0b\x0c\r :/@]{1,64}:[^\t\n\x0b\x0c\r @/]{3}",
        re.compile(r"\b[a-z][a-z0-9+.-]{1,20}://[^\s:/@]{1,64}:([^\s@/]{3,128})@"),
        1,
        0.9,
    ),
)
_LONG_TOKEN = re.compile(r"[A-Za-z0-9_\-+/.~]{16,256}={0,2}")
_KEY_CUE = re.compile(
    r"(?:api[_-]?key|apikey|secret|token|passw(?:or)?d|pwd|access[_-]?key|private[_-]?key|auth|"
    r"credential|client[_-]?secret|bearer)[\w.-]{0,24}[\"']?\s*(?:[:=]|=>|\bis\b)?\s*[\"']?$"
)
_KEYWORD_NEEDLES = tuple(n.encode() for n in ("key", "secret", "token", "pass", "pwd", "auth", "credential", "bearer"))
_KELVIN = "\u212a"  # lower-cases to "k": the one non-ASCII character that can complete a keyword
_GATES = tuple(b"secrets:" + p[0].encode() for p in _PATTERNS)
# a random-looking token (16+ token characters) within 48 characters after a key-like word: every
# HIGH_ENTROPY_TOKEN finding has one (``_key_cue_before`` looks 48 characters back), ignoring case
_G_CUED_TOKEN = b"secrets:cued-token"
needles.register(
    folded=_KEYWORD_NEEDLES,
    gates={
        **{g: p[1] for g, p in zip(_GATES, _PATTERNS, strict=True)},
        _G_CUED_TOKEN: rb"(?i)(?:key|secret|token|pass|pwd|auth|credential|bearer)[\s\S]{0,48}[A-Za-z0-9_\-+/.~]{16}",
    },
)
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
    for (typ, _, rx, group, score), gate in zip(_PATTERNS, _GATES, strict=True):
        if gate not in present:
            continue
        for m in rx.finditer(text):
            out.append(Finding("secrets", typ, m.start(group), m.end(group), score))
    # the gate cannot see a Kelvin sign (it lower-cases to "k"): such text takes the full path
    if (_G_CUED_TOKEN in present or _KELVIN in text) and _has_keyword(text, chars):
        # random-looking long tokens are rare, so find them first and only then look for a key word;
        # a token is made of token characters (plus "=" padding), so each lies in one run of them
        runs = [(0, len(text))] if chars.small else chars.token_runs(16)
        for start, end in runs:
            for m in _LONG_TOKEN.finditer(text, start, min(len(text), end + 2)):
                if _key_cue_before(text, m.start()) and _looks_random(m.group(), min_entropy):
                    out.append(Finding("secrets", "HIGH_ENTROPY_TOKEN", m.start(), m.end(), 0.7))
    return resolve_overlaps(out)
