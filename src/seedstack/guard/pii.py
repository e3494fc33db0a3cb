"""Fast PII detection: compiled regexes find candidates, cheap validators keep the real ones.

Structured identifiers are validated, not just pattern-matched: cards by Luhn and issuer prefix,
IBANs by mod-97, SSNs by the valid area/group/serial ranges, IPs by ``ipaddress``, phones by
``phonenumbers`` plus formatting or nearby context ("call", "phone:", "fax"). Names and street
addresses are found only where a cheap cue exists (a title, "my name is", a number + street suffix):
for broad name/location recall use the ``[ner]`` extra in the batch path.

Patterns run only where they can match: the text's digits are found once (``CharClasses``), and
numbers, IPv4 addresses, IBANs and street addresses are tried only around the few digit positions
their shape needs (seven digits close together, digit-dot-digit three times, ...). Context words
("call", "card", "born") are searched in a lower-cased copy with case-sensitive patterns, which
is what a case-insensitive pattern on the text means, at a fraction of the cost.
"""

from __future__ import annotations

import ipaddress
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable

import numpy as np
import phonenumbers

from . import needles
from .charclass import DIGIT, DOT, LOWER, SPACE, UPPER, CharClasses, fold_case, run_start
from .types import Finding, resolve_overlaps

__all__ = ["find_pii"]

# Patterns start with a literal or ONE character set (``[0-9][0-9]{0,2}``, not ``[0-9]{1,3}``), never with a
# repeat, a look-behind or \b: only then does the regex engine skip ahead with its fast first-character
# check (about twice as fast), and boundaries are checked in Python on the few hits.
# Digits are written [0-9], not \d: the validators (Luhn, mod-97, area ranges) are defined on ASCII
# digits, and Python's re tests a [0-9] set about four times faster than the Unicode \d category.
_EMAIL_DOMAIN = re.compile(r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9][\w.+%-]{0,63}$")
_IPV4 = re.compile(r"[0-9][0-9]{0,2}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?![\w.]|\.[0-9])")
_IPV6 = re.compile(r"[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:]{1,35}(?![\w:])")
_VERSION_CTX = re.compile(r"(?:version|\bv|release|build)\s*$")
_NUMBER = re.compile(r"[0-9][0-9().\- ]{5,24}[0-9](?![\w/]|[.,][0-9]|-[0-9])")
_IBAN = re.compile(r"[A-Z][A-Z][0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])")
_SSN_FMT = re.compile(r"([0-9]{3})([- ])([0-9]{2})\2([0-9]{4})")
_CARD_GROUPS = re.compile(r"[0-9]{4}(?:([ -])[0-9]{4}(?:\1[0-9]{4}(?:\1[0-9]{1,7})?)?|[ -][0-9]{6}[ -][0-9]{4,5})")
_FOUR_GROUPS = re.compile(r"[0-9]{4}(?:[ -][0-9]{4})+(?:[ -][0-9]{1,3})?")
# context patterns are lower case: they search a case-folded window of the text (see ``_near``)
_PHONE_CTX = re.compile(
    r"(?:phone|tel\b|telephone|mobile|cell|call|fax|office|contact|number|reach|text me|sms|"
    r"whatsapp|dial|messages? to|registered|landline|ph\b|mob\b)"
)
_CARD_CTX = re.compile(r"(?:card|visa|master|amex|credit|debit|cc\b|payment|pay with|maestro|discover)")
_SSN_CTX = re.compile(r"(?:ssn|social security|social sec|tax ?id|tin\b)")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    r"(?i)\b(?:[0-9]{1,2}[/.-][0-9]{1,2}[/.-](?:19|20)?[0-9][0-9]|(?:19|20)[0-9][0-9][/.-][0-9]{1,2}[/.-][0-9]{1,2}|"
    rf"{_MONTH} [0-9]{{1,2}}(?:st|nd|rd|th)?,? (?:19|20)[0-9][0-9]|"
    rf"[0-9]{{1,2}}(?:st|nd|rd|th)? (?:of )?{_MONTH},? (?:19|20)[0-9][0-9])\b"
)
_DOB_CTX = re.compile(r"(?:born|birth|dob\b|d\.o\.b|birthday|b\.\s*$)")
_TITLE_NAME = re.compile(r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Madam)\.? ((?:[A-Z][a-z'’-]+)(?: [A-Z][a-z'’-]+){0,2})")
_ADDRESS = re.compile(
    r"[0-9]{1,6}[A-Za-z]? (?:[A-Z][\w'.-]*\.? ){1,4}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|"
    r"Parkway|Pkwy|Square|Sq|Highway|Hwy|Circle|Cir|Trail|Crescent|Close|Alley|Row)\b\.?"
    r"(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Floor|Fl)\.? ?#?\w+)?"
)
# a number or an IPv4 address is made of these characters only, so each lies inside one run of them
_NUMBER_CHARS = "0123456789(). -"
_NUMBER_RUN = re.compile(r"[0-9().\- ]*")
_MERGE_GAP = 256  # searching this much text costs about what one more search call does
_IPV4_CHARS = "0123456789."
_IPV4_RUN = re.compile(r"[0-9.]*")
# every way _TITLE_NAME can start: a capital M, D, P or S, then one of these pairs
_TITLE_CAPITALS = bytes(1 if chr(b) in "MDPS" else 0 for b in range(256))
_TITLE_PAIRS = np.zeros((256, 256), dtype=np.bool_)
for _title in ("Mr", "Ms", "Miss", "Mx", "Dr", "Prof", "Sir", "Madam"):
    _TITLE_PAIRS[ord(_title[0]), ord(_title[1])] = True
_TITLE_PAIRS.flags.writeable = False
# The kinds of the characters around a digit (2 before, 3 after) as one number, and for each detector a
# table of the numbers where its pattern can start: one gather and three lookups for all the digits.
_CONTEXT = np.array([-2, -1, 1, 2, 3])
_CONTEXT_WEIGHTS = np.array([8**4, 8**3, 8**2, 8, 1])


def _context_table(holds: Callable[..., np.ndarray]) -> np.ndarray:
    kinds = np.indices((8,) * 5)  # every combination of kinds at the 5 offsets, in weight order
    table = np.ascontiguousarray(holds(*kinds).ravel())
    table.flags.writeable = False
    return table


# a digit, a dot, a digit: the first dot of an IPv4 address
_IPV4_DOT = _context_table(lambda b2, b1, a1, a2, a3: (a1 == DOT) & (a2 == DIGIT))
# two capitals, then two digits: an IBAN's country and check digits (the first digit is the one here)
_IBAN_START = _context_table(lambda b2, b1, a1, a2, a3: (b2 == UPPER) & (b1 == UPPER) & (a1 == DIGIT))
# ``[0-9][A-Za-z]? [A-Z]``: a number followed by a capitalised word (where a street address may start)
_ADDRESS_HINT = _context_table(
    lambda b2, b1, a1, a2, a3: (
        ((a1 == SPACE) & (a2 == UPPER)) | (((a1 == UPPER) | (a1 == LOWER)) & (a2 == SPACE) & (a3 == UPPER))
    )
)
# whole-text forms of the candidate searches, for short texts (``CharClasses.small``)
_ADDRESS_HINTS = re.compile(r"[0-9][A-Za-z]? [A-Z]")
_IPV6_GATE = re.compile(r":[0-9A-Fa-f]{0,4}:")
_NOT_DIGITS = str.maketrans("", "", "+()-. ")
_LUHN_DOUBLED = bytes.maketrans(b"0123456789", b"0246813579")  # 2d, or 2d - 9 when that is two digits
_PHONE_REGIONS = ("US", "GB", "DE", "AU", "IN")
# cue words, found in ``CharClasses.lower`` (none holds a "k")
_DOB_WORDS = (b"born", b"birth", b"dob", b"d.o.b")
_NAME_WORDS = (b"my name is", b"i am called", b"name:", b"signed", b"regards,", b"sincerely,")
_NAME_AFTER = re.compile(r",? ?((?:[A-Z][a-z'’-]+)(?: [A-Z]\.?)?(?: [A-Z][a-z'’-]+){0,2})")
# a title's first letters, as written (``_TITLE_NAME`` is case-sensitive; "Mrs" starts with "Mr")
_TITLES = (b"Mr", b"Ms", b"Miss", b"Mx", b"Dr", b"Prof", b"Sir", b"Madam")
# shapes without which a detector cannot match (each a superset of its pattern: see ``needles``)
_G_IPV4, _G_IBAN, _G_ADDRESS, _G_NUMBER = b"pii:ipv4", b"pii:iban", b"pii:address", b"pii:number"
_STREET_WORDS = _ADDRESS.pattern.split("(?:Street|", 1)[1].split(")", 1)[0]
needles.register(
    exact=_TITLES,
    folded=_DOB_WORDS + _NAME_WORDS,
    gates={
        _G_IPV4: rb"[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]",
        _G_IBAN: rb"[A-Z][A-Z][0-9][0-9] ?[A-Z0-9]{4} ?[A-Z0-9]{4}",
        # "[A-Z][\w'.-]*\.? " never holds a space, so "[A-Z][^ ]* " covers it
        _G_ADDRESS: b"[0-9][A-Za-z]? (?:[A-Z][^ ]* ){1,4}(?:Street|" + _STREET_WORDS.encode() + b")",
        _G_NUMBER: rb"[0-9][0-9().\- ]{5,24}[0-9]",
    },
)
_NOT_NAMES = frozenset({"The", "This", "That", "It", "Here", "There", "Not", "Just", "Also", "Very"})


def _luhn(digits: str) -> bool:
    """The card checksum over ASCII digits: every second digit from the right doubled (digits summed)."""
    b = digits.encode()[::-1]
    return (sum(b[0::2]) + sum(b[1::2].translate(_LUHN_DOUBLED)) - 48 * len(b)) % 10 == 0


def _iban_ok(s: str) -> bool:
    s = s.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    num = "".join(str(int(c, 36)) for c in moved)
    return int(num) % 97 == 1


def _ssn_ok(area: str, group: str, serial: str) -> bool:
    a = int(area)
    return a != 0 and a != 666 and a < 900 and group != "00" and serial != "0000"


def _phone_ok(s: str, digits: str) -> bool:
    # 7 or 10 digits not starting with 0/1 (no national or international prefix) are always a possible
    # number for the first region (US: 10 digits, or 7 local): skip the ~20 µs phonenumbers parse
    if s[0] != "+" and len(digits) in (7, 10) and digits[0] not in "01" and "(0)" not in s:
        return True
    raw = s.replace("(0)", "")
    try:
        if raw.startswith("+"):
            return phonenumbers.is_possible_number(phonenumbers.parse(raw, None))
        for region in _PHONE_REGIONS:
            if phonenumbers.is_possible_number(phonenumbers.parse(raw, region)):
                return True
    except phonenumbers.NumberParseException:
        return False
    return False


def _cue_before(rx: re.Pattern[str], text: str, start: int, before: int) -> bool:
    """``rx`` (lower case) in the ``before`` characters ending at ``start``, ignoring case.

    Only that window is case-folded; it keeps one character in front, so ``\\b`` at its start sees
    what it would see in the whole text.
    """
    lo = max(0, start - before)
    return rx.search(fold_case(text[lo - 1 if lo else 0 : start]), 1 if lo else 0) is not None


def _near(rx: re.Pattern[str], text: str, start: int, end: int, before: int = 48, after: int = 16) -> bool:
    return _cue_before(rx, text, start, before) or (
        after > 0 and rx.search(fold_case(text[end - 1 : end + after]), 1) is not None
    )


def _classify_number(text: str, s: str, start: int, end: int) -> Finding | None:
    digits = s.translate(_NOT_DIGITS)  # candidates hold only digits and "+()-. "
    n = len(digits)
    m = _SSN_FMT.fullmatch(s)
    if m:
        if _ssn_ok(m.group(1), m.group(3), m.group(4)):
            return Finding("pii", "US_SSN", start, end, 0.9 if m.group(2) == "-" else 0.7)
        return None
    if n == 9 and s == digits and _near(_SSN_CTX, text, start, end) and _ssn_ok(s[:3], s[3:5], s[5:]):
        return Finding("pii", "US_SSN", start, end, 0.8)
    card_shaped = s[0] not in "+(" and 12 <= n <= 19 and (s == digits or _CARD_GROUPS.fullmatch(s))
    if card_shaped and _luhn(digits):
        card_ctx = _near(_CARD_CTX, text, start, end)
        # 12 digits is a Maestro length, but also a common id: require a Maestro/Discover prefix or card words
        if n >= 13 or digits[0] in "056" or card_ctx:
            return Finding("pii", "CREDIT_CARD", start, end, 0.95 if card_ctx else 0.85)
    if card_shaped and (n > 15 or " " not in s.strip()):
        return None  # a mistyped card number is not a phone number
    if 7 <= n <= 15:
        # cheap evidence first; phonenumbers (the slow part) only confirms a plausible candidate
        ctx = _near(_PHONE_CTX, text, start, end)
        phone_shaped = s != digits and not _FOUR_GROUPS.fullmatch(s)
        if (ctx or s[0] == "+" or (phone_shaped and (n >= 10 or s[0] == "("))) and _phone_ok(s, digits):
            return Finding("pii", "PHONE", start, end, 0.9 if ctx else 0.7)
    return None


def _starts_clean(text: str, start: int, forbidden: str) -> bool:
    return start == 0 or not (text[start - 1].isalnum() or text[start - 1] in forbidden)


def _numbers(text: str, digits: np.ndarray | None, address_starts: list[int]) -> Iterable[Finding]:
    """``_NUMBER`` matches, tried only in the runs of number characters that can hold a finding.

    Every finding holds 7 digits within 26 characters, so only runs with such a cluster are searched,
    each from its start, as ``finditer`` over the whole text would enter it (a match never spans two
    runs, and the look-ahead reads at most two characters past a run). Runs close together are
    searched in one call, the text between them included (a match there has too few digits to matter).
    ``digits`` None: search the whole text.
    """
    for m in _number_matches(text, digits):
        start, end = m.start(), m.end()
        if start and text[start - 1] == "(":
            start -= 1
        if start and text[start - 1] == "+":
            start -= 1
        if not _starts_clean(text, start, "_+/.:-"):
            continue
        s = text[start:end]
        k = bisect_right(address_starts, start)
        if k < len(address_starts) and address_starts[k] < end:
            continue  # "17031 2202 Rissik St": a house number, not a phone
        f = _classify_number(text, s, start, end)
        if f is None and " " in s and not _FOUR_GROUPS.fullmatch(s):
            # two numbers that happen to be one space apart: try the longest leading part alone
            head = s.rsplit(" ", 1)[0].rstrip(" -.(")
            if head and head[-1].isdigit():
                f = _classify_number(text, head, start, start + len(head))
        if f is not None:
            yield f


def _number_matches(text: str, digits: np.ndarray | None) -> Iterable[re.Match[str]]:
    if digits is None:
        yield from _NUMBER.finditer(text)
        return
    if len(digits) < 7:
        return
    seeds = digits[:-6][digits[6:] - digits[:-6] <= 25].tolist()
    i = 0
    while i < len(seeds):
        region_start = run_start(text, seeds[i], _NUMBER_CHARS)
        region_end = _NUMBER_RUN.match(text, seeds[i]).end()  # type: ignore[union-attr]
        i += 1
        while i < len(seeds) and seeds[i] < region_end + _MERGE_GAP:
            if seeds[i] >= region_end:
                region_end = _NUMBER_RUN.match(text, seeds[i]).end()  # type: ignore[union-attr]
            i += 1
        yield from _NUMBER.finditer(text, region_start, min(len(text), region_end + 2))


def _emails(text: str) -> Iterable[Finding]:
    for m in _EMAIL_DOMAIN.finditer(text):
        at = m.start()
        local = _EMAIL_LOCAL.search(text, max(0, at - 64), at)
        if local is not None and _starts_clean(text, local.start(), "_.+-"):
            yield Finding("pii", "EMAIL", local.start(), m.end(), 0.95)


def _addresses(text: str, hints: np.ndarray | None) -> Iterable[Finding]:
    """Street addresses, tried only where a number is followed by a capitalised word.

    ``hints`` are those places (``[0-9][A-Za-z]? [A-Z]``; None: find them with the regex); no two
    overlap, so they are exactly where that pattern's ``finditer`` would stop.
    """
    last_end = -1
    for hint in hints.tolist() if hints is not None else [m.start() for m in _ADDRESS_HINTS.finditer(text)]:
        start = hint
        while start > 0 and text[start - 1].isdigit() and hint - start < 5:
            start -= 1
        if start < last_end or not _starts_clean(text, start, "_"):
            continue
        m = _ADDRESS.match(text, start)
        if m is not None:
            last_end = m.end()
            yield Finding("pii", "ADDRESS", m.start(), m.end(), 0.6)


def _ipv4(text: str, dots: np.ndarray | None) -> Iterable[Finding]:
    for m in _ipv4_matches(text, dots):
        if not _starts_clean(text, m.start(), "_."):
            continue
        if all(int(p) < 256 for p in m.group().split(".")) and not _cue_before(_VERSION_CTX, text, m.start(), 12):
            yield Finding("pii", "IP_ADDRESS", m.start(), m.end(), 0.85)


def _ipv4_matches(text: str, dots: np.ndarray | None) -> Iterable[re.Match[str]]:
    """IPv4 matches, searched only in runs of digits and dots with three digit-dot-digit ``dots`` close
    together (None: the whole text)."""
    if dots is None:
        yield from _IPV4.finditer(text)
        return
    done = 0
    for seed in dots[:-2][dots[2:] - dots[:-2] <= 8].tolist():
        if seed < done:
            continue
        done = _IPV4_RUN.match(text, seed).end()  # type: ignore[union-attr]
        yield from _IPV4.finditer(text, run_start(text, seed, _IPV4_CHARS), min(len(text), done + 2))


def _ipv6(text: str) -> Iterable[Finding]:
    for m in _ipv6_matches(text):
        if not _starts_clean(text, m.start(), "_:."):
            continue
        try:
            ipaddress.IPv6Address(m.group())
        except ValueError:
            continue
        yield Finding("pii", "IP_ADDRESS", m.start(), m.end(), 0.85)


def _ipv6_matches(text: str) -> Iterable[re.Match[str]]:
    """What ``_IPV6.finditer(text)`` yields, trying the pattern only near its gate.

    The pattern has no fast first character (it may start with a colon or a hex digit), so scanning a
    long text with it is slow. Every match holds ":hex{0,4}:" within its first 5 characters: the start
    positions worth trying are the 5 before each gate hit, in order, as ``finditer`` would.
    """
    pos, tried = 0, -1
    while (gate := _IPV6_GATE.search(text, pos)) is not None:
        g = gate.start()
        for s in range(max(tried + 1, g - 4), g + 1):
            m = _IPV6.match(text, s)
            if m is not None:
                yield m
                pos, tried = m.end(), m.end() - 1
                break
        else:
            pos, tried = g + 1, g


def _ibans(text: str, starts: np.ndarray | None) -> Iterable[Finding]:
    for m in _iban_matches(text, starts):
        if _starts_clean(text, m.start(), "_") and _iban_ok(m.group()):
            yield Finding("pii", "IBAN", m.start(), m.end(), 0.95)


def _iban_matches(text: str, starts: np.ndarray | None) -> Iterable[re.Match[str]]:
    """``_IBAN.finditer`` tried only at ``starts``: where two capitals precede two digits (every IBAN's
    first four; None: the whole text)."""
    if starts is None:
        yield from _IBAN.finditer(text)
        return
    last_end = 0
    for start in starts.tolist():
        if start < last_end:
            continue
        m = _IBAN.match(text, start)
        if m is not None:
            last_end = m.end()
            yield m


def _title_names(text: str, chars: CharClasses) -> Iterable[re.Match[str]]:
    """``_TITLE_NAME.finditer``, tried only where a title's first two letters are."""
    if chars.small:
        yield from _TITLE_NAME.finditer(text)
        return
    at = chars.positions(_TITLE_CAPITALS)
    codes = chars.codes
    last_end = 0
    for start in at[_TITLE_PAIRS[codes[at], codes[at + 1]]].tolist():
        if start >= last_end and (m := _TITLE_NAME.match(text, start)) is not None:
            last_end = m.end()
            yield m


def find_pii(text: str, types: frozenset[str] | None = None, *, chars: CharClasses | None = None) -> list[Finding]:
    """All PII findings in ``text`` (original offsets), overlaps resolved by score then length.

    ``chars`` is ``CharClasses(text)`` when the caller already has it (the engine shares it with secrets).
    """
    out: list[Finding] = []
    if "@" in text:
        out.extend(_emails(text))
    if chars is None:
        chars = CharClasses(text)
    digits = chars.digit_count
    shapes = chars.exact if digits else frozenset()  # the gates that matched (one pass, see ``needles``)
    want_ipv4 = digits >= 4 and _G_IPV4 in shapes
    want_iban = digits >= 8 and _G_IBAN in shapes
    want_address = _G_ADDRESS in shapes
    want_number = digits >= 7 and _G_NUMBER in shapes
    d = context = None  # a short text: each pattern runs over all of it
    if not chars.small and (want_ipv4 or want_iban or want_address or want_number):
        d = chars.digits
        if want_ipv4 or want_iban or want_address:
            context = chars.kinds[d[:, None] + _CONTEXT] @ _CONTEXT_WEIGHTS
    if want_ipv4:
        out.extend(_ipv4(text, None if d is None else d[_IPV4_DOT[context]] + 1))
    if ":" in text:
        out.extend(_ipv6(text))
    if want_iban:
        out.extend(_ibans(text, None if d is None else d[_IBAN_START[context]] - 2))
    addresses = list(_addresses(text, None if d is None else d[_ADDRESS_HINT[context]])) if want_address else []
    if want_number:
        out.extend(_numbers(text, d, [a.start for a in addresses]))
    # dates and name introductions are looked for only just after their cue words
    cues = chars.folded  # the cue words the text holds (one pass for all of them)
    for word in _DOB_WORDS if digits >= 2 and not cues.isdisjoint(_DOB_WORDS) else ():
        cue = chars.lower.find(word) if word in cues else -1
        while cue >= 0:
            for m in _DATE.finditer(text, cue, min(len(text), cue + 48)):
                if _cue_before(_DOB_CTX, text, m.start(), 40):
                    out.append(Finding("pii", "DATE_OF_BIRTH", m.start(), m.end(), 0.8))
            cue = chars.lower.find(word, cue + 1)
    for m in _title_names(text, chars) if not chars.exact.isdisjoint(_TITLES) else ():
        if _starts_clean(text, m.start(), "_") and m.group(1).split(" ", 1)[0] not in _NOT_NAMES:
            out.append(Finding("pii", "PERSON", m.start(1), m.end(1), 0.6))
    for word in _NAME_WORDS if not cues.isdisjoint(_NAME_WORDS) else ():
        cue = chars.lower.find(word) if word in cues else -1
        while cue >= 0:
            intro = _NAME_AFTER.match(text, cue + len(word))
            if intro and intro.group(1).split(" ", 1)[0] not in _NOT_NAMES:
                out.append(Finding("pii", "PERSON", intro.start(1), intro.end(1), 0.6))
            cue = chars.lower.find(word, cue + 1)
    out.extend(addresses)
    if types is not None:
        out = [f for f in out if f.type in types]
    return resolve_overlaps(out)
