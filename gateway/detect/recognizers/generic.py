"""Presidio's generic recognizers, adapted to Korean text and offline use."""

from __future__ import annotations

import re

from presidio_analyzer import Pattern, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    UsSsnRecognizer,
)

from gateway.detect.gates import digit_run, has_digit
from gateway.detect.offline import offline_tld_extractor
from gateway.detect.recognizers.base import (
    NOT_ALNUM_AFTER,
    NOT_ALNUM_BEFORE,
    MarkerGate,
    RegexGate,
    SpaceFreeRegexGate,
)

__all__ = [
    "FACTORIES",
    "CreditCardNumberRecognizer",
    "EmailAddressRecognizer",
    "IbanCodeRecognizer",
    "IpAddressRecognizer",
    "SocialSecurityNumberRecognizer",
    "hangul_tolerant",
    "inside_iban",
    "is_url_userinfo",
]

# RFC 5322 allows "&", "/", "=" and "?" in a local part, but real addresses almost never use
# them, and in a URL query (``?email=kim@example.com&...``) they glue the field name on.
_LOCAL_CHARS = r"A-Za-z0-9!#$%'*+^_`{|}~\-"
_ASCII_EMAIL = (
    rf"(?<![{_LOCAL_CHARS}.])[{_LOCAL_CHARS}]+(?:\.[{_LOCAL_CHARS}]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![A-Za-z0-9-])"
)


# A URL's authority: what may stand between "://" and the host (user, password, "@").
_AUTHORITY_CHARS = re.compile(r"[^\s/?#\"'<>\\]*")
_SCHEME_END = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*$")
_SCHEME_MAX = 32


def is_url_userinfo(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` is ``password@host`` of a URL, not an e-mail address.

    ``postgres://app:s3cret@db.example.com/x`` holds ``s3cret@db.example.com``: the ``@``
    ends the URL's user information and the "domain" is the URL's host. That is the case
    when the match lies in the authority (after ``scheme://``, before any ``/?#``) and its
    ``@`` is the authority's last one. A user name that is itself an address
    (``smtp://kim%40example.com:pw@smtp.example.com``) is still an e-mail address.
    """
    scheme_end = text.rfind("://", max(0, start - 256), start)
    if scheme_end == -1 or not _SCHEME_END.search(
        text, max(0, scheme_end - _SCHEME_MAX), scheme_end
    ):
        return False
    at = text.rfind("@", start, end)
    if at == -1 or _AUTHORITY_CHARS.fullmatch(text, scheme_end + 3, at) is None:
        return False
    rest = _AUTHORITY_CHARS.match(text, end)
    return rest is not None and "@" not in rest.group()


class EmailAddressRecognizer(MarkerGate, EmailRecognizer):
    """Presidio's ``EmailRecognizer`` plus an ASCII pattern and an offline validator.

    Presidio's pattern is built from ``\\w`` and ``\\b``, so in ``gildong@example.co.kr로``
    the particle becomes part of the "TLD" and validation rejects the address. The extra
    ASCII pattern stops at the Hangul; Presidio's still covers internationalised domains.
    Validation uses our offline suffix list instead of the process-wide ``tldextract``
    instance, so it never depends on import order or network access.
    """

    MARKERS = ("@",)
    SPACE_FREE = True
    # ``analyze`` is overridden below, so the gate must be declared here again: a gate
    # only speaks for an ``analyze`` of its own class or above (``gates.gate_of``).
    # Without it every text with nothing in it paid a Presidio call (~150 k
    # instructions for a 228-character answer).
    may_match = MarkerGate.may_match

    def __init__(self, supported_language: str = "en") -> None:
        # Presidio declares PATTERNS/CONTEXT as plain attributes; pass ours to __init__.
        super().__init__(
            patterns=[*EmailRecognizer.PATTERNS, Pattern("Email (ASCII)", _ASCII_EMAIL, 0.5)],
            context=[*EmailRecognizer.CONTEXT, "e-mail", "mail", "이메일", "메일"],
            supported_language=supported_language,
        )

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """The addresses found, less the ``password@host`` parts of URLs."""
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return [r for r in results if not is_url_userinfo(text, r.start, r.end)]

    def validate_result(self, pattern_text: str) -> bool:
        """Accept only addresses whose domain ends in a public suffix."""
        return offline_tld_extractor()(pattern_text).fqdn != ""


# Presidio's issuer prefixes plus Mastercard's 2-series (2221-2720); Luhn decides.
# ASCII look-arounds replace \b; a card is never one group of a longer hyphenated chain
# (``xoxa-31570705231-4314268645489-…``, order lines).
_CARD = (
    NOT_ALNUM_BEFORE
    + r"(?<![0-9A-Za-z][-.])"
    + r"(?!1\d{12}(?!\d))(?:4\d{3}|5[0-5]\d{2}|2[2-7]\d{2}|6\d{3}|1\d{3}|3\d{3})"
    + r"[- ]?\d{3,4}[- ]?\d{3,4}[- ]?\d{3,5}"
    + NOT_ALNUM_AFTER
    + r"(?![-.][0-9A-Za-z])"
)


#: Card number lengths by issuer prefix (longest prefix first). One random digit string in
#: ten passes Luhn, so the length a brand actually issues is the second check: a 13-digit
#: tracking number starting with 6 is no Discover or UnionPay card.
_CARD_LENGTHS: tuple[tuple[str, frozenset[int]], ...] = (
    ("34", frozenset({15})),  # American Express
    ("37", frozenset({15})),
    ("36", frozenset(range(14, 20))),  # Diners Club
    ("30", frozenset(range(14, 20))),
    ("38", frozenset(range(14, 20))),
    ("35", frozenset(range(16, 20))),  # JCB
    ("4", frozenset({13, 16, 19})),  # Visa
    ("5", frozenset({16})),  # Mastercard
    ("2", frozenset({16})),  # Mastercard 2-series
    ("6", frozenset(range(16, 20))),  # Discover, UnionPay, Maestro
    ("1", frozenset({15})),  # UATP
    ("3", frozenset(range(14, 20))),
)


# An IBAN's country code and check digits, then its groups (one separator at most between
# characters); the run is cut where a card inside it could end.
_IBAN_HEAD = re.compile(r"(?<![0-9A-Za-z])[A-Z]{2}[0-9]{2}(?=[ .\-]?[0-9A-Z])")
_IBAN_RUN = re.compile(r"[A-Z]{2}[0-9]{2}(?:[ .\-]?[0-9A-Z]){1,30}")
_IBAN_LENGTHS = range(15, 35)  # Norway's 15 to Saint Lucia's 32, with room for new ones
_IBAN_REACH = 40  # characters an IBAN head may stand before a card number inside it


def _iban_checksum_holds(compact: str) -> bool:
    """ISO 13616: the country code and check digits moved to the end, read in base 36, mod 97."""
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def inside_iban(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` is part of a checksum-valid IBAN.

    A French IBAN (``FR89 4564 6282 6811 1729 5188 299``) holds 23 digits, and some four of
    its groups pass Luhn about one time in ten: an IBAN's digits are not a card.
    """
    for head in _IBAN_HEAD.finditer(text, max(0, start - _IBAN_REACH), start + 1):
        run = _IBAN_RUN.match(text, head.start())
        if run is None or run.end() < end:
            continue
        compact = "".join(ch for ch in run.group() if ch.isalnum())
        covered = sum(ch.isalnum() for ch in text[head.start() : end])
        for length in _IBAN_LENGTHS:
            if covered <= length <= len(compact) and _iban_checksum_holds(compact[:length]):
                return True
    return False


#: A bare 13-digit Luhn-valid run without a card word nearby: 0.3, informational.
_BARE_13_SCORE = 0.3
#: What every match of ``_CARD`` holds: the issuer's four digits, a separator or none, and
#: three digits of the next group (``detect/gates.py``).
_CARD_GATE = digit_run(r"\d{4}[- ]?\d{3}")


class CreditCardNumberRecognizer(CreditCardRecognizer):
    """Presidio's Luhn-checked ``CreditCardRecognizer`` with a Hangul-tolerant pattern.

    Presidio's ``\\b`` pattern misses ``4111111111111111입니다``; ours is a superset of it.
    Luhn decides the score (1.0 or dropped); the context words (Korean ones added) matter
    for bare 13-digit numbers. A number of a length its issuer prefix never has is dropped
    before Luhn, and digits that belong to a valid IBAN are no card.

    Thirteen digits written without separators are mostly batch, invoice or lot numbers, and
    one in ten passes Luhn; 13-digit Visa cards stopped being issued long ago. So a bare
    13-digit run keeps only 0.3 and is reported with a card word nearby (0.65); written in
    groups (``4222 222 222 222``) it is a card like any other.
    """

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Luhn-checked cards, less IBAN digits; bare 13-digit runs left to context."""
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        kept: list[RecognizerResult] = []
        for result in results:
            if inside_iban(text, result.start, result.end):
                continue
            if result.end - result.start == 13 and text[result.start : result.end].isdecimal():
                result.score = _BARE_13_SCORE
                if result.analysis_explanation is not None:
                    result.analysis_explanation.set_improved_score(_BARE_13_SCORE)
                    result.analysis_explanation.append_textual_explanation_line(
                        "bare 13 digits: a card only with a card word nearby"
                    )
            kept.append(result)
        return kept

    def may_match(self, text: str) -> bool:
        """No card without ``_CARD_GATE``'s digits; ``analyze`` reads ``_CARD`` matches only."""
        return _CARD_GATE(text)

    def invalidate_result(self, pattern_text: str) -> bool:
        digits = "".join(ch for ch in pattern_text if ch.isdecimal())
        for prefix, lengths in _CARD_LENGTHS:
            if digits.startswith(prefix):
                return len(digits) not in lengths
        return True

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            patterns=[Pattern("Credit card (Hangul-adjacent)", _CARD, 0.3)],
            context=[*CreditCardRecognizer.CONTEXT, "카드", "카드번호", "신용카드", "체크카드"],
            supported_language=supported_language,
        )


# A word boundary between ASCII letters/digits and anything else. ``\b`` treats Hangul
# as a word character, so Presidio's patterns miss ``192.168.0.1이고`` or ``…-1234로``.
_ASCII_BOUNDARY = r"(?:(?<![0-9A-Za-z])(?=[0-9A-Za-z])|(?<=[0-9A-Za-z])(?![0-9A-Za-z]))"


# Presidio's IPv6 patterns fence the address with ``(?<![\w:])`` / ``(?![\w:]…)``; ``\w``
# matches Hangul too, so ``…:3c70입니다`` failed. Only the look-arounds' ``\w`` changes.
_WORD_LOOKAROUND = re.compile(r"(\(\?<?!\[)\\w")


def hangul_tolerant(patterns: list[Pattern]) -> list[Pattern]:
    """Presidio's patterns with ``\\b`` and look-around ``\\w`` limited to ASCII."""
    return [
        Pattern(
            p.name,
            _WORD_LOOKAROUND.sub(r"\g<1>0-9A-Za-z_", p.regex.replace(r"\b", _ASCII_BOUNDARY)),
            p.score,
        )
        for p in patterns
    ]


class IbanCodeRecognizer(IbanRecognizer):
    """Presidio's checksum-validated IBAN recognizer, tolerant of Korean particles."""

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            patterns=hangul_tolerant(IbanRecognizer.PATTERNS),  # type: ignore[arg-type]  # Presidio annotates list[str]
            context=[*IbanRecognizer.CONTEXT, "계좌", "국제계좌", "송금"],
            supported_language=supported_language,
        )

    def may_match(self, text: str) -> bool:
        """Every IBAN has check digits (``[A-Z]{2}[0-9]{2}``; ``detect/gates.py``)."""
        return has_digit(text)


class IpAddressRecognizer(SpaceFreeRegexGate, IpRecognizer):
    """Presidio's validated IPv4/IPv6 recognizer, tolerant of Korean particles.

    An address holds no whitespace, so only the runs around a gate hit are scanned:
    Presidio's IPv6 pattern is long and logs are full of numbers.
    """

    # Dotted quad, or IPv6: compressed (``::``) or all eight groups (six colons in a row
    # of hex groups); a time of day (``12:34:56``) is neither.
    GATE = re.compile(r"[0-9]\.[0-9]{1,3}\.[0-9]|::|(?:[0-9A-Fa-f]{1,4}:){6}")

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            patterns=hangul_tolerant(IpRecognizer.PATTERNS),
            context=[*IpRecognizer.CONTEXT, "아이피", "IP 주소", "서버 주소"],
            supported_language=supported_language,
        )


# Presidio's five SSN patterns with the same scores, fenced without ``\\b``: a digit may not
# touch an ASCII letter or digit, nor be one group of a longer chain (``978-89-1793-456-7``
# is an ISBN). The fence checks follow the first digit so the scan skips non-digits quickly;
# the generic ``hangul_tolerant`` rewrite made this the slowest recognizer on logs.
_SSN_START = r"[0-9](?<![0-9A-Za-z][0-9])(?<![0-9A-Za-z][-.][0-9])"
_SSN_END = r"(?![0-9A-Za-z])(?![-.][0-9A-Za-z])"
_SSN_PATTERNS = [
    Pattern("SSN1 (very weak)", _SSN_START + r"[0-9]{4}-[0-9]{4}" + _SSN_END, 0.05),
    Pattern("SSN2 (very weak)", _SSN_START + r"[0-9]{2}-[0-9]{6}" + _SSN_END, 0.05),
    Pattern("SSN3 (very weak)", _SSN_START + r"[0-9]{2}-[0-9]{2}-[0-9]{4}" + _SSN_END, 0.05),
    Pattern("SSN4 (very weak)", _SSN_START + r"[0-9]{8}" + _SSN_END, 0.05),
    Pattern("SSN5 (medium)", _SSN_START + r"[0-9]{2}[- .][0-9]{2}[- .][0-9]{4}" + _SSN_END, 0.5),
]


class SocialSecurityNumberRecognizer(RegexGate, UsSsnRecognizer):
    """Presidio's US SSN recognizer (with its invalid-number checks), Hangul-tolerant.

    Two rules added to Presidio's: a match may not be one group of a longer hyphenated
    chain (ISBNs, part numbers), and area numbers 900-999 are rejected because the SSA
    has never issued them (that range belongs to ITINs, a different identifier).
    """

    GATE = re.compile(r"[0-9]{3}[- .]?[0-9]{2}[- .]?[0-9]{4}")

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            patterns=_SSN_PATTERNS,
            context=[*UsSsnRecognizer.CONTEXT, "사회보장번호", "소셜 시큐리티"],
            supported_language=supported_language,
        )

    def invalidate_result(self, pattern_text: str) -> bool:
        """Presidio's checks, plus the never-issued 9xx area."""
        if super().invalidate_result(pattern_text):
            return True
        digits = [ch for ch in pattern_text if ch.isdecimal()]
        return digits[0] == "9"


#: entity → recognizer class
FACTORIES = {
    "EMAIL_ADDRESS": EmailAddressRecognizer,
    "CREDIT_CARD": CreditCardNumberRecognizer,
    "IBAN_CODE": IbanCodeRecognizer,
    "IP_ADDRESS": IpAddressRecognizer,
    "US_SSN": SocialSecurityNumberRecognizer,
}
