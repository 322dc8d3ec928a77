"""Prompt templates that carry one labelled value each.

``{v}`` marks the value and ``{/v}``, where present, where its label ends (a marking's
caveat). Korean templates glue particles to it (``{v}이고``, ``번호는{v}``)
because that is how people type, and ``\\b``-based patterns fail exactly there. Placeholders
are replaced literally (no ``str.format``), so code braces need no escaping.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "ENV_NAMES",
    "LABELS",
    "TEMPLATE_NAMES",
    "Language",
    "Template",
    "fill_particles",
    "josa",
    "templates_for",
]

Language = Literal["ko", "en"]
Template = tuple[Language, str]

#: entity → (Korean label, English label) for the generic templates.
LABELS: dict[str, tuple[str, str]] = {
    "KR_RRN": ("주민등록번호", "resident registration number"),
    "KR_FRN": ("외국인등록번호", "foreigner registration number"),
    "KR_PASSPORT": ("여권번호", "passport number"),
    "KR_DRIVER_LICENSE": ("운전면허번호", "driver's license number"),
    "KR_BRN": ("사업자등록번호", "business registration number"),
    "KR_CRN": ("법인등록번호", "corporate registration number"),
    "PHONE_NUMBER": ("전화번호", "phone number"),
    "EMAIL_ADDRESS": ("이메일 주소", "email address"),
    "CREDIT_CARD": ("카드번호", "card number"),
    "IBAN_CODE": ("IBAN", "IBAN"),
    "IP_ADDRESS": ("서버 IP", "server IP"),
    "US_SSN": ("사회보장번호(SSN)", "social security number"),
}

_PII_GENERIC: tuple[Template, ...] = (
    ("ko", "제 {label}{topic} {v}이고 내일까지 처리 부탁드려요."),
    ("ko", "고객 {label}: {v}\n위 고객의 가입 이력을 요약해줘."),
    ("ko", "{label}{topic}{v}입니다. 확인해 주세요."),
    ("ko", "아래 내용을 표로 정리해줘. 이름 김민수, {label} {v}, 부서 영업2팀"),
    ("ko", "{label}{subject} {v}인데 형식이 맞는지 봐줄래?"),
    ("en", "My {label_en} is {v}, can you check it?"),
    ("en", "Please verify {label_en} {v} before the meeting."),
    ("en", "Summarize this record: name=Jiwoo Han; {label_en}: {v}; status=active"),
)

#: secret entity → (Korean label, English label, environment variable name)
_SECRETS: dict[str, tuple[str, str, str]] = {
    "SECRET_AWS_ACCESS_KEY": ("AWS 액세스 키", "AWS access key", "AWS_ACCESS_KEY_ID"),
    "SECRET_GITHUB_TOKEN": ("깃허브 토큰", "GitHub token", "GITHUB_TOKEN"),
    "SECRET_OPENAI_KEY": ("OpenAI API 키", "OpenAI API key", "OPENAI_API_KEY"),
    "SECRET_ANTHROPIC_KEY": ("Claude API 키", "Anthropic API key", "ANTHROPIC_API_KEY"),
    "SECRET_GOOGLE_API_KEY": ("Gemini API 키", "Google API key", "GOOGLE_API_KEY"),
    "SECRET_SLACK_TOKEN": ("슬랙 봇 토큰", "Slack bot token", "SLACK_BOT_TOKEN"),
    "SECRET_STRIPE_KEY": ("스트라이프 시크릿 키", "Stripe secret key", "STRIPE_SECRET_KEY"),
    "SECRET_GITLAB_TOKEN": ("깃랩 토큰", "GitLab token", "GITLAB_TOKEN"),
    "SECRET_NPM_TOKEN": ("npm 토큰", "npm token", "NPM_TOKEN"),
    "SECRET_HF_TOKEN": ("허깅페이스 토큰", "Hugging Face token", "HF_TOKEN"),
}
ENV_NAMES = {entity: env for entity, (_, _, env) in _SECRETS.items()}

_SECRET_GENERIC: tuple[Template, ...] = (
    ("ko", "이 {label}{subject} 왜 401 에러가 나는지 봐줘: {v}"),
    ("ko", "{label}{topic} {v}입니다. 코드에 넣어줘."),
    ("ko", ".env 파일에 {env}={v} 넣었는데 안 읽혀요"),
    ("en", "export {env}={v}"),
    ("en", 'Why does this fail? client = Client(api_key="{v}")'),
    ("en", "Here is my {label_en}: {v} - please add it to the config."),
    ("ko", "headers = {'Authorization': 'Bearer {v}'} 이렇게 보내면 되나요?"),
)

#: Korean names written into other entities' templates; the corpus labels them PERSON too.
#: (English names there, "Jiwoo Han", stay unlabelled: no English name recognizer ships.)
TEMPLATE_NAMES: tuple[str, ...] = ("김민수", "이서연", "박지훈")

_SPECIFIC: dict[str, tuple[Template, ...]] = {
    # {을} {이} {은}: the particle that fits the value, filled by ``fill_particles``.
    "PERSON": (
        ("ko", "{v}님께 견적서를 보내 드렸습니다. 회신 메일 초안 써줘"),
        ("ko", "성명: {v}\n생년월일: 1990년 3월 2일\n위 정보로 신청서 작성해줘"),
        ("ko", "어제 {v}{을} 만났는데 계약 얘기를 했어"),
        ("ko", "{v}씨가 오늘 휴가라서 대신 연락드립니다"),
        ("ko", "담당자 {v}에게 일정 확인 메일을 써줘"),
        ("ko", "{v}{이} 작성한 보고서를 세 줄로 요약해줘"),
        ("ko", "{v} 고객님의 주문 내역을 정리해줘"),
        ("ko", "환자명: {v}, 진료과: 내과. 증상을 요약해줘"),
        ("ko", "이번 프로젝트는 {v}{이} 맡기로 했어요"),
        ("ko", "회의록: {v} 팀장님이 예산안을 설명함"),
        ("ko", "제 이름은 {v}입니다. 자기소개서 첨삭해줘"),
        ("ko", "{v}{은} 다음 주에 복귀합니다"),
        ("en", "Customer name: {v}, order #4411 - draft an apology."),
        ("en", "Please forward the invoice to {v} in accounting."),
        ("en", "Meeting with {v}님 at 3pm tomorrow, prepare an agenda."),
    ),
    "KR_ADDRESS": (
        ("ko", "배송지: {v}\n부재 시 경비실에 맡겨 주세요"),
        ("ko", "주소는 {v}입니다. 등본 주소랑 같은지 봐줘"),
        ("ko", "{v}에 있는 사무실로 와주세요"),
        ("en", "Ship the package to {v}, please."),
        ("ko", "거주지 {v} 기준으로 관할 구청을 알려줘"),
        ("ko", "본사는 {v}에 있습니다"),
        ("ko", "이사 갈 집이 {v}인데 주변 학교 알려줘"),
        ("en", "Our new office address is {v} - update the footer."),
    ),
    "KR_RRN": (
        ("ko", "주민번호는{v}이고 주소는 서울시 마포구입니다."),
        ("ko", "[회원가입] 성명: 이서연 / 주민등록번호: {v} / 연락처는 나중에"),
        ("en", "Jumin (RRN) {v} was entered twice in the form."),
    ),
    "KR_FRN": (
        ("ko", "외국인등록번호 {v}로 체류기간 연장 신청서를 작성해줘"),
        ("en", "Alien registration number {v} - please fill in the visa extension form."),
    ),
    "KR_PASSPORT": (
        ("ko", "여권번호 {v}, 만료일은 2031년 5월로 항공권 예약해줘"),
        ("en", "Passport No. {v} (Republic of Korea), please book the flight."),
    ),
    "KR_DRIVER_LICENSE": (
        ("ko", "운전면허번호 {v}로 렌터카 예약해줘"),
        ("en", "Korean driver license {v} for the rental car."),
    ),
    "KR_BRN": (
        ("ko", "사업자번호 {v}로 세금계산서 발행해줘"),
        ("en", "Business registration no. {v} for the invoice."),
    ),
    "KR_CRN": (
        ("ko", "법인등록번호 {v} 법인 등기부등본 요약해줘"),
        ("en", "Corporate registration number {v} belongs to our subsidiary."),
    ),
    "PHONE_NUMBER": (
        ("ko", "연락처는{v}입니다"),
        ("ko", "번호는{v}로 문자 주세요"),
        ("en", "Call me at {v} after 6pm."),
        ("ko", "고객센터 {v}에 전화했는데 연결이 안 돼요"),
    ),
    "KR_BANK_ACCOUNT": (
        ("ko", "{bank} {v}로 입금해 주세요"),
        ("ko", "환불 계좌: {bank} {v} (예금주 김민수)"),
        ("ko", "{bank} 계좌번호 {v}이고 예금주는 박지훈입니다"),
        ("en", "Please wire the deposit to {bank} account {v}."),
        ("ko", "급여 이체 계좌는 {bank} {v}입니다."),
        ("en", "Refund account: {v} ({bank}), holder Minji Cho"),
    ),
    "EMAIL_ADDRESS": (
        ("ko", "{v}로 회신 부탁드립니다"),
        ("en", "Send the draft to {v} and cc me."),
        ("ko", "메일 주소가 {v}인데 오타가 있나요?"),
    ),
    "CREDIT_CARD": (
        ("ko", "카드번호 {v} 유효기간 12/27로 결제해줘"),
        ("en", "Charge card {v}, exp 09/28."),
    ),
    "IBAN_CODE": (
        ("en", "Please transfer EUR 1,200 to IBAN {v} today."),
        ("ko", "해외 송금 IBAN {v}으로 보내주세요"),
    ),
    "IP_ADDRESS": (
        ("en", "ssh deploy@{v} -p 2222 fails with a timeout"),
        ("ko", "서버 {v}에 접속이 안 됩니다"),
        ("en", "Block {v} in the firewall."),
    ),
    "US_SSN": (
        ("en", "SSN: {v} - fill in the W-9 form"),
        ("en", "Employee social security number {v}, hired 2019."),
    ),
    "SECRET_AWS_SECRET_KEY": (
        ("en", "aws_secret_access_key = {v}"),
        ("en", 'AWS_SECRET_ACCESS_KEY="{v}"'),
        ("ko", "설정 파일에 aws_secret_access_key={v} 넣었는데 인증 실패해요"),
        ("en", "secret_access_key: {v}\nregion: ap-northeast-2"),
        ("en", "boto3.client('s3', SecretAccessKey='{v}')"),
        ("ko", "AWS_SECRET_ACCESS_KEY: {v}\n이 값을 깃허브 시크릿으로 옮겨줘"),
    ),
    "SECRET_PASSWORD": (
        ("en", 'password = "{v}"'),
        ("en", "DB_PASSWORD={v}\nDB_USER=app"),
        ("ko", "비밀번호: {v}\n위 계정으로 로그인이 안 돼요"),
        ("ko", "와이파이 비번은 {v} 이에요"),
        ("en", "login: admin / pw: {v}"),
        ("ko", "관리자 계정 패스워드 {v} 로 바꿨어요"),
        ("en", "The root password is {v} - rotate it after the demo."),
    ),
    "SECRET_PRIVATE_KEY": (
        ("ko", "이 키로 서버 접속이 안 돼요\n{v}\n뭐가 문제일까?"),
        ("en", "Here is my deploy key:\n{v}"),
        ("en", "```\n{v}\n```\nconvert this to PKCS8"),
        ("ko", "id_rsa 내용:\n{v}"),
    ),
    "SECRET_JWT": (
        ("en", "Authorization: Bearer {v}"),
        ("ko", "이 토큰 디코드해줘 {v}"),
        ("ko", "쿠키 값 session={v} 이 만료됐는지 확인해줘"),
        ("en", "Why is this JWT rejected? {v}"),
    ),
    # A key pasted alone: no vendor prefix, no key name before it.
    "GENERIC_SECRET": (
        ("ko", "이 값으로 호출하면 되나요? {v}"),
        ("en", "{v}"),
        ("en", "here you go: {v}"),
        ("ko", "스테이징에서는 {v} 로 바꿔서 테스트해 주세요"),
        ("en", "Paste this into the settings page: {v} and restart the worker."),
        ("ko", "내일까지 이걸로 써 주세요\n{v}"),
        ("en", 'client = Client("{v}")'),
        ("ko", "어제 받은 값이 {v}인데 만료됐는지 봐줘"),
    ),
    "SECRET_DB_URL": (
        ("en", "DATABASE_URL={v}"),
        ("ko", "연결 문자열 {v} 로 접속이 안 됩니다"),
        ("en", 'engine = create_engine("{v}")'),
        ("ko", "운영 DB 주소는 {v} 입니다"),
    ),
    # A label covers the whole marking: "{v} - do not distribute{/v}" is one marking with
    # its handling caveat, not two.
    "CONFIDENTIAL_MARKER": (
        ("ko", "{v} 문서입니다. 아래 2025년 사업계획 초안을 요약해줘."),
        ("ko", "[{v}] 인사 평가 결과를 표로 정리해줘"),
        ("en", "{v} - do not distribute{/v}. Summarize the Q3 board notes below."),
        ("en", "This memo is marked {v}. Rewrite it more politely."),
        ("ko", "※ 본 자료는 {v} 자료이므로 외부 공유를 금합니다. 핵심만 요약해줘."),
        ("ko", "보안등급: {v}\n작성: 전략기획팀\n아래 회의록을 세 줄로 정리해줘."),
        ("en", "Subject: [{v}] Q4 pricing proposal\nDraft a polite reply declining the discount."),
        ("en", "=== {v} ===\nRevenue by region, Q3: APAC 41%, EMEA 33%.\nMake a slide outline."),
        ("en", "Classification: {v}\nTranslate the following paragraph into Korean."),
        ("ko", "다음 메일을 요약해줘.\n\n안녕하세요, 일정 공유드립니다.\n\n{v}"),
    ),
}


def josa(word: str, with_final: str, without_final: str) -> str:
    """Pick the particle form that follows ``word`` (은/는, 이/가); non-Hangul counts as vowel."""
    last = word[-1] if word else ""
    if "가" <= last <= "힣" and (ord(last) - ord("가")) % 28:
        return with_final
    return without_final


def fill_particles(template: str, value: str) -> str:
    """Replace ``{을}``, ``{이}``, ``{은}`` with the particle form that follows ``value``."""
    for marker, with_final, without_final in (
        ("{을}", "을", "를"),
        ("{이}", "이", "가"),
        ("{은}", "은", "는"),
    ):
        if marker in template:
            template = template.replace(marker, josa(value, with_final, without_final))
    return template


def templates_for(entity: str) -> list[tuple[Language, str]]:
    """All templates of ``entity`` with every placeholder except ``{v}`` (and ``{bank}``) filled.

    ``{bank}`` depends on the generated account number, so the corpus fills it.
    """
    out: list[tuple[Language, str]] = list(_SPECIFIC.get(entity, ()))
    if entity in LABELS:
        ko, en = LABELS[entity]
        generic, env = _PII_GENERIC, ""
    elif entity in _SECRETS:
        ko, en, env = _SECRETS[entity]
        generic = _SECRET_GENERIC
    else:
        return out
    for language, text in generic:
        filled = (
            text.replace("{label}{topic}", ko + josa(ko, "은", "는"))
            .replace("{label}{subject}", ko + josa(ko, "이", "가"))
            .replace("{label}", ko)
            .replace("{label_en}", en)
            .replace("{env}", env)
        )
        out.append((language, filled))
    return out
