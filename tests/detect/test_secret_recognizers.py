"""Secret recognizers: one positive per kind, documentation placeholders negative.

Test tokens are random and built from two pieces so that repository secret scanners do not
flag this file.
"""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine
from gateway.detect.recognizers.secrets.tokens import looks_like_placeholder

AWS_ACCESS = "AKIA" + "JZDE8GXD6NCF10EP"
AWS_TEMP = "ASIA" + "F91DHODZDOC9IS0J"
AWS_SECRET = "pNxnyVmihA+2O76UMFxF" + "kM+R5Kjp1vRt/1fjORS+"
OPENAI_PROJ = (
    "sk-proj-"
    + "6ilI8ihN5KXSc7Tvo_hBKqFYY_kv5ZJr3J1TWDtkwtDDb-xHKas1VOqg6YYZYn9Zhy"
    + "iA4uoRgnatmUdjAWtGSU8po-799NksnRH9ucAUsdMlHUvTCQCyEZDz"
)
OPENAI_LEGACY = "sk-" + "HFwUbbYrEqmSM9wCZ7UwT3BlbkFJ9xfogoEmvnEN5N1aE6Pw"
OPENAI_SVC = (
    "sk-svcacct-" + "kpXz9w3QlY7Zkuvqdt7s8Stqcbnr3yBdGBLEPH1qhT61qtc4xatws8phP9nhFyJfm5di4P"
)
ANTHROPIC = (
    "sk-ant-api03-"
    + "zJ59FHz5r1pY4OjE2jBMptUsGr7CmY-uCu3ZR1zTOlUcR64cXQLioDnkHIfxIq2HZt_"
    + "PlJhx2jIclHkCiHp6bR1IqfEouAA"
)
ANTHROPIC_ADMIN = (
    "sk-ant-admin01-"
    + "HgxzNNAL5wIScGebcy8F5n3_YNBDRzrZSgqbjG3uhkWKFLf6xuI5aHUQPFeNBTxaQWk8"
    + "JzFalHlsZfYcMMDktXP_tKsf2AA"
)
GITHUB = "ghp_" + "USZGi6HWGK10Zb0RLZ5TR9SPofbciO46Sm9V"
GITHUB_FINE = (
    "github_pat_"
    + "JdObOIRpFqaDZeV7G5IfQH_"
    + "eVVEqZe2qpUWnoVPDF2yeE6RsXcNOPmeMjvqPVStNKiaEdFrRgSnRFsTHsD"
)
GOOGLE = "AIza" + "77pzNk8cL6j5IXAAjlsHUqJoUD_-Ydua-5Z"
SLACK = "xoxb-" + "42656515055-613044516691-x7BWr2drgd1QsO7jprBGumXx"
PEM_BODY = (
    "2dZAkg05rK+gqv81RKMGHZEM9YpvujA/C5Q52ryFlwRlOEVHzc0X0AWIRh/JUqBl\n"
    "IFXZ53Ncqe28+ajY75FnCttn6kfaqDeMqG3omjMyXHCabM6JOF8EFd0Nhcy/1kGD\n"
    "2VD/eR1UYzaLiA/zNyD7CHLn/xC+1hsYgBds1ghxY5OokvQyx7eNWVQ4vnakJkS1"
)
PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----"
OPENSSH = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    f"{PEM_BODY}\n-----END OPENSSH PRIVATE KEY-----"
)


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(
        [e for e in DetectionEngine.supported_entities if e.startswith("SECRET_")]
    )


def _found(engine: DetectionEngine, text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in engine.scan(text)]


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        (f"export AWS_ACCESS_KEY_ID={AWS_ACCESS}", "SECRET_AWS_ACCESS_KEY", AWS_ACCESS),
        (f"키는 {AWS_ACCESS}입니다", "SECRET_AWS_ACCESS_KEY", AWS_ACCESS),
        (f"임시 자격증명 {AWS_TEMP} 사용", "SECRET_AWS_ACCESS_KEY", AWS_TEMP),
        (f"aws_secret_access_key = {AWS_SECRET}", "SECRET_AWS_SECRET_KEY", AWS_SECRET),
        (f'"SecretAccessKey": "{AWS_SECRET}",', "SECRET_AWS_SECRET_KEY", AWS_SECRET),
        (f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n", "SECRET_AWS_SECRET_KEY", AWS_SECRET),
        (f"OPENAI_API_KEY={OPENAI_PROJ}", "SECRET_OPENAI_KEY", OPENAI_PROJ),
        (f"제 키 {OPENAI_LEGACY}로 호출", "SECRET_OPENAI_KEY", OPENAI_LEGACY),
        (f"key: '{OPENAI_SVC}'", "SECRET_OPENAI_KEY", OPENAI_SVC),
        (f"ANTHROPIC_API_KEY={ANTHROPIC}", "SECRET_ANTHROPIC_KEY", ANTHROPIC),
        (f"admin {ANTHROPIC_ADMIN}", "SECRET_ANTHROPIC_KEY", ANTHROPIC_ADMIN),
        (f"git clone https://{GITHUB}@github.com/o/r", "SECRET_GITHUB_TOKEN", GITHUB),
        (f"토큰={GITHUB_FINE}", "SECRET_GITHUB_TOKEN", GITHUB_FINE),
        (f"?key={GOOGLE}&alt=json", "SECRET_GOOGLE_API_KEY", GOOGLE),
        (f"SLACK_BOT_TOKEN={SLACK}", "SECRET_SLACK_TOKEN", SLACK),
        (f"이 키로 접속해\n{PEM}\n감사", "SECRET_PRIVATE_KEY", PEM),
        (OPENSSH, "SECRET_PRIVATE_KEY", OPENSSH),
    ],
)
def test_secret_found(engine: DetectionEngine, text: str, entity: str, value: str) -> None:
    assert _found(engine, text) == [(entity, value)]
    assert all(f.score >= 0.9 for f in engine.scan(text))


@pytest.mark.parametrize(
    ("value", "score"),
    [(OPENAI_LEGACY, 1.0), (OPENAI_PROJ, 0.9), (ANTHROPIC, 1.0), (PEM, 1.0), (GITHUB, 1.0)],
)
def test_secret_scores(engine: DetectionEngine, value: str, score: float) -> None:
    assert [f.score for f in engine.scan(value)] == [score]


def test_truncated_private_key_keeps_body() -> None:
    text = f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n(잘림)"
    [finding] = DetectionEngine(["SECRET_PRIVATE_KEY"]).scan(text)
    assert text[finding.start : finding.end].endswith(PEM_BODY[-64:])
    assert finding.score == 1.0


def test_private_key_header_alone_is_weaker() -> None:
    text = "What does -----BEGIN RSA PRIVATE KEY----- mean?"
    [finding] = DetectionEngine(["SECRET_PRIVATE_KEY"]).scan(text)
    assert text[finding.start : finding.end] == "-----BEGIN RSA PRIVATE KEY-----"
    assert finding.score == 0.6


@pytest.mark.parametrize(
    "text",
    [
        # Published documentation values and placeholders.
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "OPENAI_API_KEY=sk-...",
        "OPENAI_API_KEY=YOUR_API_KEY",
        "api_key = 'sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'",
        "sk-proj-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "sk-your-OpenAI-api-key-goes-here-Replace-Me-Before-Running",
        "ANTHROPIC_API_KEY=sk-ant-api03-...",
        "SLACK_TOKEN=xoxb-your-token",
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        # Look-alikes.
        AWS_ACCESS.lower(),
        f"{AWS_ACCESS}Z",  # 21 characters
        GITHUB[:20],
        f"aws_secret_access_key = {AWS_SECRET}x",  # 41 characters
        "task-management-system-Version-Two-Final-Release-Candidate-Build",
        "sk-learn-compatible-estimator-pipeline-with-grid-search-and-cv",
        "-----BEGIN PUBLIC KEY-----",
        "AIza 짧은 키",
    ],
)
def test_secret_not_found(engine: DetectionEngine, text: str) -> None:
    assert engine.scan(text) == []


def test_anthropic_key_is_not_an_openai_key(engine: DetectionEngine) -> None:
    assert {f.entity_type for f in engine.scan(ANTHROPIC)} == {"SECRET_ANTHROPIC_KEY"}


@pytest.mark.parametrize(
    ("token", "placeholder"),
    [
        ("AKIAIOSFODNN7EXAMPLE", True),
        ("sk-your-key-here", True),
        ("xoxb-1234-5678-abcdefgh", True),
        ("sk-aaaaabcd", True),
        (OPENAI_PROJ, False),
        (ANTHROPIC, False),
        (GITHUB, False),
    ],
)
def test_placeholder_heuristic(token: str, placeholder: bool) -> None:
    assert looks_like_placeholder(token) is placeholder
