"""What a Korean name is made of: surnames, and the syllables given names use by position.

Nearly every Korean word of three syllables starts with a syllable that is also a surname
(이번주, 한정판, 최소한), so a name needs more than its first syllable. Given names are
drawn from a far smaller set of syllables, and the set differs by position: 판, 번, 권 and
매 almost never end a given name, 슬 and 빛 almost never start one. A bare three-syllable
word counts as *name-shaped* only when its second syllable is a common first syllable of
given names and its third a common second syllable.

Sources. Surnames: Statistics Korea's 2015 census count of surnames (성씨·본관), the
surnames held by about 99 % of people, with the two-syllable ones (남궁, 황보, 제갈, 선우,
독고, 사공, 서문). Given-name syllables: compiled by hand from the Supreme Court's yearly
lists of the most registered names of newborns (대법원 전자가족관계등록시스템, 2008-2023)
and from the common names of earlier generations (영수, 순자, 정훈, 미경 …); these are
published rankings of names, not of syllables, so the sets are a judgement, checked against
the held-out texts in ``tests/detect/data/names_heldout.py`` (not against the lists the
evaluation corpus draws from).
"""

from __future__ import annotations

__all__ = [
    "COMPOUND_SURNAMES",
    "FIRST_SYLLABLES",
    "NOT_NAMES",
    "SECOND_SYLLABLES",
    "SINGLE_SURNAMES",
    "name_shaped",
]

COMPOUND_SURNAMES: tuple[str, ...] = ("황보", "남궁", "제갈", "선우", "독고", "사공", "서문")
SINGLE_SURNAMES = (
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진"
    "나지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예"
    "경봉사부"
)

#: First syllables of given names (민준, 서연, 영수, 순자 …).
FIRST_SYLLABLES = frozenset(
    "가강건경계광교구국규근금기길나남다단대덕도동두라래명목무문미민범병보봉빛사상새서석선"
    "설성세소솔송수순숙슬승시신아안애양연영예오옥온완용우운원월유윤율은의이인일자재정제조"
    "종주준중지진차찬창채천철청초춘충태택하한해향현형혜호홍화환효훈휘희"
)
#: Second syllables of given names (민준, 서연, 영수, 순자 …).
SECOND_SYLLABLES = frozenset(
    "가건결경곤광교구국권규균근기길나남녀늘담덕도동라람래량련렬령례록룡률름리린립명모무문"
    "미민배범별보복봉비빈빛상서석선섭성세솔송수숙순슬승식신실아안애언연열엽영예오옥온완우욱유"
    "운웅원월위윤율은을음의이익인일임자재정조종주준중지진찬창채천철초춘충태택필하학한해헌혁"
    "현협형혜호화환황효후훈휘흠희"
)

# Name-shaped words that are everyday nouns: titles, kinship, and nouns that precede
# 고객/회원 or stand alone where a name would (정기 고객, 구매 고객님, 한정판).
_NOT_NAME_WORDS = (
    "고객 선생 사장 부장 원장 이사 사모 기사 주임 신부 어머 하느 부처 도련 반장 차장 국장 공주 "
    "왕자 선배 후배 조교 고모 이모 소장 기장 선장 방장 장모 장인 장군 주인 박사 석사 사원 "
    "마음 이번 정말 한국 전화 서울 김치 박스 최근 신청 조회 강남 안내 문의 유지 장소 임시 "
    "오늘 정보 주소 배정 변경 선택 정정 신규 이용 사용 방문 전체 기본 기존 연락 정상 유형 진행 "
    "진료 신분 성별 연령 나이 주민 여부 현재 이전 이후 이상 이하 명단 명의 추가 수정 지정 "
    "지역 소속 성함 성명 이름 우편 우선 원본 원래 인적 인증 제출 제공 제외 주요 주의 기록 기타 "
    "기간 공개 공유 구분 국적 남성 여성 여자 남자 마감 모두 반송 발송 배송 선정 설정 성공 소개 "
    "송금 신고 신원 안전 양식 여권 예약 예정 오류 요청 위치 유효 인원 입력 전달 전송 정산 정리 "
    "제목 조건 조정 주문 지급 진단 차량 채용 처리 추천 표시 한도 함께 현금 홍보 문자 안녕 "
    "정기 구매 구독 한정 판매 우수 우대 단골 일반 장기 단기 최종 최초 최고 최소 최대 전문 "
    "구입 결제 가입 탈퇴 해지 등록 신입 기업 개인 법인 공공 국내 해외 지방 도시 시민 국민 "
    "한정판 정기권 구매자 최소한 최대한 장기간 조건부 이번주 이번달 전문가 이사회 유지비 "
    "배송지 문자열 조건문 반복문 주석문 정규식 고객님 회원님 선생님 사장님 부장님 과장님"
)
NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())


def name_shaped(word: str) -> bool:
    """True when ``word`` is a surname and a given name of two common syllables."""
    for surname in COMPOUND_SURNAMES:
        if word.startswith(surname):
            given = word[len(surname) :]
            break
    else:
        given = word[1:] if word[:1] and word[0] in SINGLE_SURNAMES else ""
    return (
        len(given) == 2
        and given[0] in FIRST_SYLLABLES
        and given[1] in SECOND_SYLLABLES
        and word not in NOT_NAMES
    )
