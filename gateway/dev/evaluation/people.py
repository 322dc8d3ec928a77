"""Korean names (PERSON) and addresses (KR_ADDRESS) for the corpus, with their look-alikes.

Names are a common surname plus a given name popular in the last decades; addresses are
real road and district names with made-up building and lot numbers, in the forms people
paste (province spelled out or short, with or without the province, with 동/호/층 details).
The hard negatives are what a name or address recognizer trips on: everyday words that
start with a surname syllable, titles without a name, brands, and places that are not
somebody's address.
"""

from __future__ import annotations

import random

from gateway.dev.evaluation.templates import Language

__all__ = [
    "ADDRESS_LOOKALIKES",
    "NAME_LOOKALIKES",
    "kr_address",
    "person_name",
]

# Weighted roughly by frequency: 김, 이, 박 make up almost half of all Koreans.
_SURNAMES = (
    "김" * 6
    + "이" * 5
    + "박" * 3
    + "최정강조윤장임한오서신권황안송류홍전고문양손배백허남심노하곽성차주우구민진나지엄채원"
    + "천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉사부"
)
_COMPOUND_SURNAMES = ("남궁", "선우", "제갈", "황보")
_GIVEN_NAME_WORDS = (
    "민준 서준 도윤 예준 시우 하준 지호 주원 지후 준우 준서 건우 현우 우진 선우 연우 유준 "
    "정우 승우 승현 시윤 준혁 은우 지환 승민 지우 유찬 윤우 민성 준영 서연 서윤 지유 하은 "
    "하윤 민서 윤서 채원 지민 수아 지아 은서 예은 수빈 다은 소율 예린 민지 현정 영희 철수 "
    "성민 정훈 영수 미경 은정 지훈 동현 상훈 혜진 수진 지영 성호 경민 재원 태희 보람 슬기"
)
_GIVEN_NAMES = _GIVEN_NAME_WORDS.split()


def person_name(rng: random.Random) -> str:
    """A surname (one compound in twenty) and a two-syllable given name."""
    compound = rng.random() < 0.05
    surname = rng.choice(_COMPOUND_SURNAMES) if compound else rng.choice(_SURNAMES)
    return surname + rng.choice(_GIVEN_NAMES)


#: (province spellings, 시/군/구, roads, 동 for lot-number addresses)
_PLACES: tuple[tuple[tuple[str, ...], str, tuple[str, ...], str], ...] = (
    (("서울특별시", "서울시", "서울"), "강남구", ("테헤란로", "강남대로", "선릉로"), "역삼동"),
    (("서울특별시", "서울"), "마포구", ("월드컵북로", "양화로", "와우산로"), "서교동"),
    (("서울특별시", "서울"), "종로구", ("세종대로", "율곡로"), "청진동"),
    (("부산광역시", "부산"), "해운대구", ("센텀중앙로", "해운대로"), "우동"),
    (("대구광역시", "대구"), "수성구", ("달구벌대로", "동대구로"), "범어동"),
    (("인천광역시", "인천"), "연수구", ("컨벤시아대로", "송도과학로"), "송도동"),
    (("광주광역시", "광주"), "서구", ("상무중앙로", "내방로"), "치평동"),
    (("대전광역시", "대전"), "유성구", ("대학로", "엑스포로"), "봉명동"),
    (("경기도", "경기"), "성남시 분당구", ("판교역로", "정자일로", "불정로"), "정자동"),
    (("경기도", "경기"), "수원시 영통구", ("광교중앙로", "월드컵로"), "이의동"),
    (("강원특별자치도", "강원도"), "춘천시", ("중앙로", "공지로"), "효자동"),
    (("제주특별자치도", "제주도"), "제주시", ("연동로", "노연로"), "연동"),
)


def _number(rng: random.Random) -> str:
    main = str(rng.randint(1, 999))
    return f"{main}-{rng.randint(1, 40)}" if rng.random() < 0.25 else main


def _detail(rng: random.Random) -> str:
    return rng.choice(
        (
            "",
            "",
            f", {rng.randint(2, 20)}층",
            f" {rng.randint(101, 115)}동 {rng.randint(1, 25)}0{rng.randint(1, 4)}호",
        )
    )


def kr_address(rng: random.Random) -> str:
    """A road-name (two in three) or lot-number address; the province is left out sometimes."""
    provinces, district, roads, dong = rng.choice(_PLACES)
    head = district if rng.random() < 0.2 else f"{rng.choice(provinces)} {district}"
    if rng.random() < 2 / 3:
        road = rng.choice(roads)
        if rng.random() < 0.2:
            road += f"{rng.randint(1, 30)}길"
        tail = f"{road} {_number(rng)}{_detail(rng)}"
        if rng.random() < 0.2:
            tail += f" ({dong})"
        return f"{head} {tail}"
    return f"{head} {dong} {_number(rng)}{'번지' if rng.random() < 0.3 else ''}"


#: Everyday words that start with a surname syllable, titles without a name, brands.
NAME_LOOKALIKES: tuple[tuple[Language, str], ...] = (
    ("ko", "이번 주에 정리한 자료 공유드려요"),
    ("ko", "정말 고마워요. 다음 주에 또 봬요"),
    ("ko", "한국어 번역 좀 자연스럽게 다듬어줘"),
    ("ko", "유지보수 계약 갱신 조건을 표로 정리해줘"),
    ("ko", "전문가 의견을 세 줄로 요약해줘"),
    ("ko", "이사회 결과를 요약해줘"),
    ("ko", "최고의 선택이었다는 후기가 많아요"),
    ("ko", "안정적인 서비스 운영 방안을 제안해줘"),
    ("ko", "사장님께 보고드릴 자료를 만들어줘"),
    ("ko", "고객님 안녕하세요, 문의하신 내용 답변드립니다"),
    ("ko", "부장님 회의는 몇 시에 시작하나요?"),
    ("ko", "마음씨가 고운 주인공이 나오는 동화를 써줘"),
    ("ko", "연결 문자열을 환경 변수로 옮기는 방법"),
    ("ko", "조건문을 switch 문으로 바꿔줘"),
    ("ko", "신세계 백화점 강남점 영업시간 알려줘"),
    ("ko", "유튜브 채널 기획안 초안을 써줘"),
    ("ko", "성공적인 출시를 위한 체크리스트"),
    ("ko", "황금연휴 여행 계획을 세워줘"),
    ("ko", "남부지방에 비 소식이 있어요"),
    ("ko", "강하게 말하지 말고 부드럽게 바꿔줘"),
    ("ko", "고정값을 바꾸면 어떻게 되는지 설명해줘"),
    ("ko", "서비스 기획서 검토해줘"),
    ("ko", "인사평가 기준을 정리해줘"),
    ("ko", "조직도를 그려줘"),
    ("ko", "이메일 제목을 추천해줘"),
    ("ko", "박람회 참가 신청서 작성해줘"),
    ("ko", "장기적인 전략을 세워줘"),
    ("ko", "한정판 굿즈 출시 공지문 써줘"),
    ("ko", "강연회 일정 안내문 작성"),
    ("ko", "구독자 늘리는 방법 알려줘"),
)

#: Places that locate nobody: stations, landmarks, regions, a road without a number.
ADDRESS_LOOKALIKES: tuple[tuple[Language, str], ...] = (
    ("ko", "강남역 근처에서 점심 먹을 곳 추천해줘"),
    ("ko", "서울특별시청 앞 광장에서 행사가 열려요"),
    ("ko", "테헤란로를 따라 스타트업이 많이 모여 있다"),
    ("ko", "판교 테크노밸리 분위기 어때?"),
    ("ko", "부산 해운대 바다 사진 설명을 써줘"),
    ("ko", "제주도 여행 일정 3박 4일로 짜줘"),
    ("ko", "경기도 성남시에서 열린 컨퍼런스 후기 요약해줘"),
    ("ko", "2호선 강남역 3번 출구에서 만나요"),
    ("ko", "서울에서 부산까지 KTX로 2시간 30분 걸려요"),
    ("ko", "세종대로 사거리 교통 상황이 어때?"),
    ("ko", "강남구청 민원실 운영 시간 알려줘"),
    ("ko", "12층 회의실로 오세요"),
    ("ko", "대전 유성구 맛집 리스트 만들어줘"),
    ("ko", "인천공항 제2터미널 가는 길"),
    ("ko", "광화문 광장 집회 기사 요약해줘"),
    ("en", "We are opening an office in Seoul's Gangnam district next year."),
)
