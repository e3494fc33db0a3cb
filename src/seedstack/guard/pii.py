"""Fast PII detection: compiled regexes find candidates, cheap validators keep the real ones.

Structured identifiers are validated, not just pattern-matched: cards by Luhn and issuer prefix,
IBANs by mod-97, SSNs by the valid area/group/serial ranges, IPs by ``ipaddress``, phones by
``phonenumbers`` plus formatting or nearby context ("call", "phone:", "fax"). Names and street
addresses are found only where a cheap cue exists (a title, "my name is", a number + street suffix):
for broad name/location recall use the ``[ner]`` extra in the batch path.
"""

from __future__ import annotations

import ipaddress
import re
from bisect import bisect_right
from collections.abc import Iterable

import phonenumbers

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
_VERSION_CTX = re.compile(r"(?i)(?:version|\bv|release|build)\s*$")
_NUMBER = re.compile(r"[0-9][0-9().\- ]{5,24}[0-9](?![\w/]|[.,][0-9]|-[0-9])")
_IBAN = re.compile(r"[A-Z][A-Z][0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])")
_SSN_FMT = re.compile(r"([0-9]{3})([- ])([0-9]{2})\2([0-9]{4})")
_CARD_GROUPS = re.compile(r"[0-9]{4}(?:([ -])[0-9]{4}(?:\1[0-9]{4}(?:\1[0-9]{1,7})?)?|[ -][0-9]{6}[ -][0-9]{4,5})")
_FOUR_GROUPS = re.compile(r"[0-9]{4}(?:[ -][0-9]{4})+(?:[ -][0-9]{1,3})?")
_PHONE_CTX = re.compile(
    r"(?i)(?:phone|tel\b|telephone|mobile|cell|call|fax|office|contact|number|reach|text me|sms|"
    r"whatsapp|dial|messages? to|registered|landline|ph\b|mob\b)"
)
_CARD_CTX = re.compile(r"(?i)(?:card|visa|master|amex|credit|debit|cc\b|payment|pay with|maestro|discover)")
_SSN_CTX = re.compile(r"(?i)(?:ssn|social security|social sec|tax ?id|tin\b)")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    r"(?i)\b(?:[0-9]{1,2}[/.-][0-9]{1,2}[/.-](?:19|20)?[0-9][0-9]|(?:19|20)[0-9][0-9][/.-][0-9]{1,2}[/.-][0-9]{1,2}|"
    rf"{_MONTH} [0-9]{{1,2}}(?:st|nd|rd|th)?,? (?:19|20)[0-9][0-9]|"
    rf"[0-9]{{1,2}}(?:st|nd|rd|th)? (?:of )?{_MONTH},? (?:19|20)[0-9][0-9])\b"
)
_DOB_CTX = re.compile(r"(?i)(?:born|birth|dob\b|d\.o\.b|birthday|b\.\s*$)")
_TITLE_NAME = re.compile(r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Madam)\.? ((?:[A-Z][a-z'’-]+)(?: [A-Z][a-z'’-]+){0,2})")
_ADDRESS = re.compile(
    r"[0-9]{1,6}[A-Za-z]? (?:[A-Z][\w'.-]*\.? ){1,4}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|"
    r"Parkway|Pkwy|Square|Sq|Highway|Hwy|Circle|Cir|Trail|Crescent|Close|Alley|Row)\b\.?"
    r"(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Floor|Fl)\.? ?#?\w+)?"
)
# cheap gates: one search for the digit core of a pattern; the full pattern then runs from there only
# the first place an IPv4 address (digits-dot-digits…) or the check digits + two groups of an IBAN could be
_NUMERIC_GATE = re.compile(r"[0-9](?:[0-9]{0,2}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]|[0-9](?: ?[A-Z0-9]{4}){2})")
_NOT_DIGIT_BYTES = bytes(b for b in range(256) if not 0x30 <= b <= 0x39)
_IPV6_GATE = re.compile(r":[0-9A-Fa-f]{0,4}:")
_STREET_GATE = re.compile(
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|"
    r"Parkway|Pkwy|Square|Sq|Highway|Hwy|Circle|Cir|Trail|Crescent|Close|Alley|Row)\b"
)
_NOT_DIGITS = str.maketrans("", "", "+()-. ")
_PHONE_REGIONS = ("US", "GB", "DE", "AU", "IN")
_ADDRESS_HINT = re.compile(r"[0-9][A-Za-z]? [A-Z]")
_DOB_WORDS = ("born", "birth", "dob", "d.o.b")
_NAME_WORDS = ("my name is", "i am called", "name:", "signed", "regards,", "sincerely,")
_NAME_AFTER = re.compile(r",? ?((?:[A-Z][a-z'’-]+)(?: [A-Z]\.?)?(?: [A-Z][a-z'’-]+){0,2})")
_NOT_NAMES = frozenset({"The", "This", "That", "It", "Here", "There", "Not", "Just", "Also", "Very"})


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i & 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


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


def _near(rx: re.Pattern[str], text: str, start: int, end: int, before: int = 48, after: int = 16) -> bool:
    return rx.search(text, max(0, start - before), start) is not None or (
        after > 0 and rx.search(text, end, min(len(text), end + after)) is not None
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


def _numbers(text: str, address_starts: list[int]) -> Iterable[Finding]:
    for m in _NUMBER.finditer(text):
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


def _emails(text: str) -> Iterable[Finding]:
    for m in _EMAIL_DOMAIN.finditer(text):
        at = m.start()
        local = _EMAIL_LOCAL.search(text, max(0, at - 64), at)
        if local is not None and _starts_clean(text, local.start(), "_.+-"):
            yield Finding("pii", "EMAIL", local.start(), m.end(), 0.95)


def _addresses(text: str) -> Iterable[Finding]:
    """Street addresses, tried only where a number is followed by a capitalised word."""
    last_end = -1
    for hint in _ADDRESS_HINT.finditer(text):
        start = hint.start()
        while start > 0 and text[start - 1].isdigit() and hint.start() - start < 5:
            start -= 1
        if start < last_end or not _starts_clean(text, start, "_"):
            continue
        m = _ADDRESS.match(text, start)
        if m is not None:
            last_end = m.end()
            yield Finding("pii", "ADDRESS", m.start(), m.end(), 0.6)


def _ips(text: str, v4_from: int) -> Iterable[Finding]:
    for m in _IPV4.finditer(text, v4_from) if v4_from >= 0 else ():
        if not _starts_clean(text, m.start(), "_."):
            continue
        if all(int(p) < 256 for p in m.group().split(".")) and not _VERSION_CTX.search(
            text, max(0, m.start() - 12), m.start()
        ):
            yield Finding("pii", "IP_ADDRESS", m.start(), m.end(), 0.85)
    for m in _ipv6_matches(text) if ":" in text else ():
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


def find_pii(text: str, types: frozenset[str] | None = None, *, lowered: str | None = None) -> list[Finding]:
    """All PII findings in ``text`` (original offsets), overlaps resolved by score then length.

    ``lowered`` is ``text.lower()`` when the caller already has it (the engine shares it with secrets).
    """
    out: list[Finding] = []
    if "@" in text:
        out.extend(_emails(text))
    # most detectors need a minimum number of digits: deleting every other byte of the UTF-8 text counts
    # them in one C pass (an ASCII digit is one byte, and no multi-byte character contains one)
    digits = len(text.encode("utf-8", "surrogatepass").translate(None, _NOT_DIGIT_BYTES))
    # one search for the digit core of an IPv4 address or an IBAN: in most texts there is none
    gate = _NUMERIC_GATE.search(text) if digits >= 4 else None
    v4_from = gate.start() if gate is not None else -1
    if v4_from >= 0 or ":" in text:
        out.extend(_ips(text, v4_from))
    if gate is not None and digits >= 8:
        # every IBAN holds a gate match two characters after its start, so none starts before this
        for m in _IBAN.finditer(text, max(0, gate.start() - 2)):
            if _starts_clean(text, m.start(), "_") and _iban_ok(m.group()):
                out.append(Finding("pii", "IBAN", m.start(), m.end(), 0.95))
    # an address needs a street word: one search spares the number-by-number tries in most texts
    addresses = list(_addresses(text)) if digits and _STREET_GATE.search(text) else []
    if digits >= 7:
        out.extend(_numbers(text, [a.start for a in addresses]))
    if lowered is None:
        lowered = text.lower()
    # dates and name introductions are looked for only just after their cue words
    for word in _DOB_WORDS if digits >= 2 else ():
        cue = lowered.find(word)
        while cue >= 0:
            for m in _DATE.finditer(text, cue, min(len(text), cue + 48)):
                if _near(_DOB_CTX, text, m.start(), m.end(), before=40, after=0):
                    out.append(Finding("pii", "DATE_OF_BIRTH", m.start(), m.end(), 0.8))
            cue = lowered.find(word, cue + 1)
    for m in _TITLE_NAME.finditer(text):
        if _starts_clean(text, m.start(), "_") and m.group(1).split(" ", 1)[0] not in _NOT_NAMES:
            out.append(Finding("pii", "PERSON", m.start(1), m.end(1), 0.6))
    for word in _NAME_WORDS:
        cue = lowered.find(word)
        while cue >= 0:
            intro = _NAME_AFTER.match(text, cue + len(word))
            if intro and intro.group(1).split(" ", 1)[0] not in _NOT_NAMES:
                out.append(Finding("pii", "PERSON", intro.start(1), intro.end(1), 0.6))
            cue = lowered.find(word, cue + 1)
    out.extend(addresses)
    if types is not None:
        out = [f for f in out if f.type in types]
    return resolve_overlaps(out)
