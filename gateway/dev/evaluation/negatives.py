"""Texts that contain no entity: clear negatives and hard (look-alike) negatives.

Clear negatives are everyday prompt content full of numbers (dates, prices, versions, hashes,
logs); a scanner that fires on them blocks ordinary work. Hard negatives are built to look
like an entity: barcodes and tracking numbers shaped like RRNs, public keys, documentation
placeholders, impossible dates, CRN-valid numbers that are something else, the marking words
used as concepts ("기밀성", "confidentiality"). Firing on them is a design trade-off that
the report lists instead of hiding.
"""

from __future__ import annotations

import base64
import random
import string
import uuid
from collections.abc import Callable

from gateway.dev.evaluation.checks import (
    crn_is_valid,
    luhn_is_valid,
    rrn_is_valid,
    with_check_digit,
)
from gateway.dev.evaluation.people import ADDRESS_LOOKALIKES, NAME_LOOKALIKES
from gateway.dev.evaluation.templates import Language

__all__ = ["Family", "clear_negatives", "hard_negatives"]

#: (family name, language, text)
Family = tuple[str, Language, str]
_Maker = Callable[[random.Random], tuple[Language, str]]


def _n(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _date(rng: random.Random) -> tuple[Language, str]:
    y, m, d = rng.randint(2015, 2026), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(
        (
            ("ko", f"회의는 {y}년 {m}월 {d}일 오후 {rng.randint(1, 5)}시에 합니다."),
            ("en", f"Deadline: {y}-{m:02d}-{d:02d}. Please plan accordingly."),
            ("ko", f"배포 일정은 {y}.{m:02d}.{d:02d} ~ {y}.{m:02d}.{d + 2:02d}입니다"),
        )
    )


def _time(rng: random.Random) -> tuple[Language, str]:
    h, m, s = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    return rng.choice(
        (
            ("ko", f"{h:02d}:{m:02d}에 시작해서 두 시간 걸려요"),
            ("en", f"The job took {h:02d}:{m:02d}:{s:02d} on the last run."),
        )
    )


def _price(rng: random.Random) -> tuple[Language, str]:
    won = rng.randint(1, 9_999) * 1000
    return rng.choice(
        (
            ("ko", f"총 {won:,}원입니다. 부가세 포함인가요?"),
            (
                "en",
                f"The quote is ${rng.randint(100, 99_999):,}.{rng.randint(0, 99):02d} per year.",
            ),
            ("ko", f"월 {rng.randint(9, 99) * 1000 + 900:,}원 요금제와 비교해줘"),
        )
    )


def _version(rng: random.Random) -> tuple[Language, str]:
    v = f"{rng.randint(0, 20)}.{rng.randint(0, 40)}.{rng.randint(0, 400)}"
    return rng.choice(
        (
            ("ko", f"presidio-analyzer {v}로 올렸더니 테스트가 깨져요"),
            ("en", f"Upgrade to v{v} fixed the memory leak."),
            ("en", f"node {v} / npm {rng.randint(6, 11)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}"),
        )
    )


def _commit(rng: random.Random) -> tuple[Language, str]:
    return rng.choice(
        (
            ("ko", f"커밋 {_hex(rng, 7)}에서 빌드가 깨졌어요. 원인 찾아줘"),
            ("en", f"git revert {_hex(rng, 40)}"),
            ("en", f"Merge pull request #{rng.randint(1, 9999)} from feature/{_hex(rng, 6)}"),
        )
    )


def _uuid(rng: random.Random) -> tuple[Language, str]:
    value = uuid.UUID(int=rng.getrandbits(128), version=4)
    return rng.choice(
        (
            ("en", f"request_id={value} returned 404"),
            ("ko", f"세션 ID {value} 기준으로 로그를 찾아줘"),
        )
    )


def _order(rng: random.Random) -> tuple[Language, str]:
    return rng.choice(
        (
            ("ko", f"주문번호 ORD-2024{_n(rng, 4)}-{_n(rng, 6)} 배송 상태 알려줘"),
            ("en", f"PO-{rng.randint(2019, 2026)}-{_n(rng, 5)} was approved."),
            ("ko", f"견적서 Q{_n(rng, 6)} 금액을 다시 계산해줘"),
        )
    )


def _ticket(rng: random.Random) -> tuple[Language, str]:
    return rng.choice(
        (
            ("en", f"See JIRA-{rng.randint(1, 9999)} and INC{_n(rng, 7)} for details."),
            ("ko", f"티켓 #{rng.randint(100, 99999)} 상태를 완료로 바꿔줘"),
            ("en", f"case {rng.choice('ABCDEF')}{_n(rng, 5)} escalated to tier 2"),
        )
    )


def _code(rng: random.Random) -> tuple[Language, str]:
    k = rng.randint(2, 99)
    return rng.choice(
        (
            ("en", f"for i in range({k}):\n    total += i * {rng.randint(2, 9)}\nprint(total)"),
            ("en", f"SELECT id, name FROM users WHERE created_at > '2024-01-01' LIMIT {k};"),
            ("ko", f"이 함수 리팩터링해줘\ndef area(r):\n    return 3.14159 * r ** 2  # r={k}"),
            ("en", f"const retries = {k % 7};\nconst timeoutMs = {k * 100};"),
        )
    )


def _log(rng: random.Random) -> tuple[Language, str]:
    ts = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:15:07Z"
    return rng.choice(
        (
            ("en", f"{ts} INFO worker-{rng.randint(1, 9)} processed {rng.randint(1, 9999)} jobs"),
            ("en", f"[WARN] retry {rng.randint(1, 4)}/5 after {rng.randint(1, 9) * 100}ms"),
            (
                "ko",
                f"{ts} ERROR 결제 모듈 타임아웃 (elapsed={rng.randint(1000, 9999)}ms) 원인이 뭘까?",
            ),
        )
    )


def _math(rng: random.Random) -> tuple[Language, str]:
    a, b = rng.randint(10, 99_999), rng.randint(10, 99_999)
    return rng.choice(
        (
            ("en", f"{a} + {b} = {a + b}, right?"),
            ("ko", f"{a % 97} × {b % 89} 계산 과정을 설명해줘"),
            ("en", f"Solve {rng.randint(2, 9)}x + {rng.randint(1, 50)} = {rng.randint(51, 200)}."),
        )
    )


def _prose(rng: random.Random) -> tuple[Language, str]:
    return rng.choice(
        (
            ("ko", f"서울 인구는 약 {rng.randint(900, 990)}만 명인데 출처를 알려줘"),
            ("en", f"The meeting room fits {rng.randint(4, 40)} people; book it for Friday."),
            ("ko", f"{rng.randint(3, 12)}층 회의실 예약 가능한지 확인해줘"),
        )
    )


_CLEAR: tuple[tuple[str, _Maker], ...] = (
    ("date", _date),
    ("time", _time),
    ("price", _price),
    ("version", _version),
    ("commit", _commit),
    ("uuid", _uuid),
    ("order", _order),
    ("ticket", _ticket),
    ("code", _code),
    ("log", _log),
    ("math", _math),
    ("prose", _prose),
)


def clear_negatives(rng: random.Random, per_family: int = 26) -> list[Family]:
    """``per_family`` texts from each of twelve everyday families (312 by default)."""
    return [(name, *make(rng)) for name, make in _CLEAR for _ in range(per_family)]


def _gs1_valid(code: str) -> bool:
    """EAN-13 / ISBN-13 check digit (weights 1, 3, 1, 3...)."""
    return sum(int(ch) * (3 if i % 2 else 1) for i, ch in enumerate(code)) % 10 == 0


def _ean13(rng: random.Random) -> tuple[Language, str]:
    code = with_check_digit("880" + _n(rng, 9), _gs1_valid)  # 880: the Korean GS1 prefix
    return rng.choice((("ko", f"상품 바코드 {code} 재고 확인해줘"), ("en", f"EAN-13: {code}")))


def _tracking(rng: random.Random) -> tuple[Language, str]:
    return rng.choice(
        (
            ("ko", f"CJ대한통운 운송장번호 {rng.choice('56')}{_n(rng, 11)} 배송 조회해줘"),
            ("ko", f"우체국 등기번호 60{_n(rng, 11)}로 조회가 안 돼요"),
            ("en", f"Tracking number 1Z{_n(rng, 16)} shows 'in transit'."),
        )
    )


def _isbn(rng: random.Random) -> tuple[Language, str]:
    code = with_check_digit("97889" + _n(rng, 7), _gs1_valid)
    dashed = f"{code[:3]}-{code[3:5]}-{code[5:9]}-{code[9:12]}-{code[12]}"
    return rng.choice((("ko", f"ISBN {dashed} 책 요약해줘"), ("en", f"ISBN-13 {code}")))


def _public_key(rng: random.Random) -> tuple[Language, str]:
    blob = base64.b64encode(b"\x00\x00\x00\x07ssh-rsa" + rng.randbytes(270)).decode()
    if rng.random() < 0.5:
        return "en", f"Add this to authorized_keys: ssh-rsa {blob} deploy@build-server"
    lines = "\n".join(blob[i : i + 64] for i in range(0, len(blob), 64))
    return "ko", f"공개키입니다\n-----BEGIN PUBLIC KEY-----\n{lines}\n-----END PUBLIC KEY-----"


_PLACEHOLDERS: tuple[tuple[Language, str], ...] = (
    ("en", "AWS docs example: aws_access_key_id = AKIAIOSFODNN7EXAMPLE"),
    ("en", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("en", "Set OPENAI_API_KEY=sk-... in your shell first."),
    ("ko", "api_key 자리에 YOUR_API_KEY를 넣으세요"),
    ("en", "curl -u admin:<password> https://localhost:8443/health"),
    ("en", "password = '********'  # masked in the README"),
    ("ko", "토큰 형식은 ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 입니다"),
    ("en", "export ANTHROPIC_API_KEY=sk-ant-your-key-here"),
    ("en", "SLACK_BOT_TOKEN=xoxb-your-bot-token"),
    ("ko", "DATABASE_URL=postgresql://<user>:<password>@<host>:5432/<db> 형식으로 적어주세요"),
    ("en", "Replace <YOUR_GITHUB_TOKEN> with a personal access token."),
    ("en", "Use sk_test_... keys in staging, never live keys."),
    ("ko", "비밀번호는 8자 이상, 특수문자 포함으로 설정하세요"),
    ("en", "The `password` field must be at least 12 characters."),
    ("en", "Bearer <token> goes in the Authorization header."),
)


def _impossible_rrn(rng: random.Random) -> tuple[Language, str]:
    yy = _n(rng, 2)
    month, day = rng.choice(((13, rng.randint(1, 28)), (rng.randint(1, 12), 32), (2, 30), (0, 15)))
    number = f"{yy}{month:02d}{day:02d}-{rng.randint(1, 4)}{_n(rng, 6)}"
    return rng.choice(
        (
            ("ko", f"인보이스 번호 {number} 금액 확인 부탁드립니다"),
            ("en", f"Batch id {number.replace('-', '')} failed to import."),
        )
    )


#: The marking words used as concepts: asked about, discussed, part of another word. None is
#: a classification marking (docs/detection.md, CONFIDENTIAL_MARKER).
_MARKING_CONCEPTS: tuple[tuple[Language, str], ...] = (
    ("ko", "정보보안의 3요소는 기밀성, 무결성, 가용성이다. 각각 예를 들어줘."),
    ("en", "Explain the difference between confidentiality and integrity."),
    ("ko", "기밀성을 보장하는 암호화 방식에는 뭐가 있어?"),
    ("en", "What does data confidentiality mean under GDPR?"),
    ("ko", "회사 기밀을 유지하는 방법을 신입사원 교육 자료로 만들어줘"),
    ("ko", "기밀 유지 계약서 초안을 써줘. 계약 기간은 2년이야."),
    ("ko", "사내 기밀 유출 사고를 막는 보안 정책을 제안해줘"),
    ("ko", "비밀번호를 잊어버렸는데 재설정 방법 알려줘"),
    ("ko", "영업 비밀 침해로 소송을 당하면 어떻게 대응해야 해?"),
    ("ko", "'대외비'가 무슨 뜻이야?"),
    ("ko", "극비리에 진행된 인수 협상에 대한 기사를 요약해줘"),
    ("en", "How should we handle confidential information in Slack?"),
    ("en", "Keep the surprise party a secret from Minji."),
    ("en", "What does 'internal use only' mean on a document?"),
    ("en", "Our policy has four levels: public, internal, confidential and restricted."),
    ("en", "Can you explain what an NDA is and when startups need one?"),
)


def _crn_lookalike(rng: random.Random) -> tuple[Language, str]:
    """Thirteen digits whose CRN check digit happens to hold, written as something else.

    The first seven digits are no birth date, so only the check digit speaks for a CRN.
    """
    while True:
        body = _n(rng, 12)
        month, gender = int(body[2:4]), body[6]
        if month > 12 or gender in "09":
            break
    number = with_check_digit(body, crn_is_valid)
    dashed = f"{number[:6]}-{number[6:]}"
    return rng.choice(
        (
            ("ko", f"인보이스 번호 {dashed} 금액 확인 부탁드립니다"),
            ("en", f"Shipment {dashed} is stuck at customs."),
            ("ko", f"주문번호 {dashed} 배송 상태 알려줘"),
            ("en", f"Batch id {number} failed to import."),
        )
    )


def _not_luhn(rng: random.Random) -> tuple[Language, str]:
    while True:
        number = "4" + _n(rng, 15)
        if not luhn_is_valid(number):
            return rng.choice((("ko", f"주문번호 {number} 취소해줘"), ("en", f"Ref {number}")))


def _bad_rrn_checksum_old(rng: random.Random) -> tuple[Language, str]:
    # 1990s birth date, old-style number, wrong check digit: a typo or a made-up ID.
    while True:
        number = f"9{rng.randint(0, 9)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}1{_n(rng, 6)}"
        if not rrn_is_valid(number):
            return "en", f"Lot number {number} passed QA."


def _company_phone(rng: random.Random) -> tuple[Language, str]:
    """Numbers a plan gives to businesses (representative, free-call): not personal data."""
    head = rng.choice(("1588", "1577", "1544", "1566", "1600", "1644", "1899"))
    last = _n(rng, 4)
    return rng.choice(
        (
            ("ko", f"고객센터 전화 {head}-{last}로 안내하는 문구 써줘"),
            ("ko", f"대표번호 {head}{last} 연락처를 홈페이지 하단에 넣어줘"),
            ("ko", f"수신자부담 전화 080-{_n(rng, 3)}-{last} 안내 멘트 작성"),
            ("en", f"Our toll-free line is +1 800 {_n(rng, 3)} {last}, call any time."),
        )
    )


_HARD: tuple[tuple[str, _Maker, int], ...] = (
    ("ean13", _ean13, 14),
    ("tracking", _tracking, 14),
    ("isbn", _isbn, 12),
    ("public_key", _public_key, 12),
    ("impossible_date", _impossible_rrn, 16),
    ("crn_lookalike", _crn_lookalike, 16),
    ("not_luhn", _not_luhn, 10),
    ("bad_checksum_13_digits", _bad_rrn_checksum_old, 6),
    ("company_phone", _company_phone, 12),
)


def hard_negatives(rng: random.Random) -> list[Family]:
    """Look-alikes of every structured kind, placeholders, name and address look-alikes."""
    out: list[Family] = [(name, *make(rng)) for name, make, count in _HARD for _ in range(count)]
    out.extend(("placeholder", language, text) for language, text in _PLACEHOLDERS)
    out.extend(("marking_concept", language, text) for language, text in _MARKING_CONCEPTS)
    out.extend(("name_lookalike", language, text) for language, text in NAME_LOOKALIKES)
    out.extend(("place_not_address", language, text) for language, text in ADDRESS_LOOKALIKES)
    return out
