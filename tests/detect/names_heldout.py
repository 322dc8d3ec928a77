"""Held-out texts for PERSON, written by hand for this purpose.

Not generated from the evaluation corpus' name lists (``gateway/dev/evaluation/people.py``)
nor from the census lists the English recognizer reads: the Korean names are other
people's (surname and given-name pairs chosen to be outside the corpus list), the English
ones are written as they appear in mail and chat. Each positive is (text, name); negatives
are texts with no personal name, chosen to look like one (common nouns that start with a
surname syllable, capitalised headings, places and organisations).
"""

from __future__ import annotations

KOREAN_POSITIVES: tuple[tuple[str, str], ...] = (
    ("최찬준 님이 회의록을 올렸어요", "최찬준"),
    ("어제 최찬준이 보고서를 냈다", "최찬준"),
    ("허민이 보고서를 제출했다", "허민이"),
    ("이 건은 권태호에게 넘겨 주세요", "권태호"),
    ("송다빈이 발표를 맡았습니다", "송다빈"),
    ("오늘 회의에는 문가영도 참석합니다", "문가영"),
    ("배성우 과장님이 승인했습니다", "배성우"),
    ("조아라씨에게 연락 부탁드립니다", "조아라"),
    ("담당자: 윤혜린", "윤혜린"),
    ("성함은 임채민입니다", "임채민"),
    ("남궁혁 팀장에게 보고", "남궁혁"),
    ("황보영재 대리가 처리했어요", "황보영재"),
    ("제출자 고은비 (검토 완료)", "고은비"),
    ("어제 서지훈을 만났는데 일정이 바뀌었대요", "서지훈"),
    ("한승연이 내일 휴가예요", "한승연"),
    ("강동원은 다음 주에 복귀합니다", "강동원"),
    ("신유진 선생님께 드릴 자료", "신유진"),
    ("류현진이 계약서를 보냈어요", "류현진"),
    ("안소희가 작성한 초안을 다듬어줘", "안소희"),
    ("홍석천 대표에게 메일 보내줘", "홍석천"),
)

KOREAN_NEGATIVES: tuple[str, ...] = (
    "한정판 제품 재입고 알림을 보내줘",
    "정기 구독 고객님께 보낼 안내문",
    "구매 고객님께 쿠폰을 드립니다",
    "최소한 세 가지는 확인해 주세요",
    "최대한 빨리 답변 부탁해요",
    "이번주 일정표를 정리해줘",
    "장기간 보관할 문서 목록",
    "조건부 승인 절차를 설명해줘",
    "전문가 의견을 세 줄로 요약",
    "이사회 안건을 정리해줘",
    "정기권 환불 규정이 궁금해요",
    "구매자 후기 요약해줘",
    "한국어 문장을 자연스럽게 다듬어줘",
    "유지비가 얼마나 드나요",
    "안건이 많아서 회의가 길어졌다",
    "이번달 매출 보고서",
    "최근 신청 내역 조회",
    "강남역 근처 회의실 예약",
    "신제품 출시 일정 공유",
    "정보보호 교육 자료 만들어줘",
)

ENGLISH_POSITIVES: tuple[tuple[str, str], ...] = (
    ("Write to John Smith about the renewal.", "John Smith"),
    ("Dear Ms. Garcia, thank you for your patience.", "Garcia"),
    ("Please forward this to Emily Johnson by Friday.", "Emily Johnson"),
    ("Dr. Patel will review the results tomorrow.", "Patel"),
    ("The contract was signed by Michael Brown last week.", "Michael Brown"),
    ("Can you summarise the email from Sarah O'Connor?", "Sarah O'Connor"),
    ("Mr. Thompson asked for the invoice.", "Thompson"),
    ("Our new hire, David Martinez, starts Monday.", "David Martinez"),
    ("Loop in Jennifer Lee on the thread.", "Jennifer Lee"),
    ("Attn: Karen Anderson, Accounts Payable", "Karen Anderson"),
    ("Kevin Murphy said the build is broken.", "Kevin Murphy"),
    ("Draft a reply to Prof. Nakamura about the grant.", "Nakamura"),
    ("Regards, Laura Mitchell", "Laura Mitchell"),
    ("John F. Kennedy gave the speech in 1962.", "John F. Kennedy"),
    ("Ask Jessica Taylor whether the slides are ready.", "Jessica Taylor"),
    ("Mrs. Clark called twice this morning.", "Clark"),
    ("Send the draft to Daniel Rodriguez-Lopez.", "Daniel Rodriguez-Lopez"),
    ("Thanks to Brian Walker for the review.", "Brian Walker"),
    ("John Smith님께 회신해 주세요", "John Smith"),
    ("Meeting notes: Amanda Scott presented the roadmap.", "Amanda Scott"),
)

ENGLISH_NEGATIVES: tuple[str, ...] = (
    "Meet me at Virginia Beach next summer.",
    "The Jordan River flows south.",
    "Open an account at Chase Bank.",
    "Will Power is a good book title.",
    "See the Project Manager Guide for details.",
    "The United States and New York City are covered.",
    "Apple Inc and Microsoft Corp reported earnings.",
    "Golden Gate Bridge traffic is heavy.",
    "Please Review The Attached Document.",
    "Quarterly Revenue Summary",
    "Happy New Year to everyone!",
    "Our office is on Washington Street.",
    "Read the Harvard Business Review article.",
    "Install Visual Studio Code first.",
    "The Grand Canyon is in Arizona.",
    "We use Google Cloud and Amazon Web Services.",
    "Customer Success Team meeting at noon.",
    "Release Notes for Version Two",
    "The Boston Globe ran the story.",
    "Long Island Rail Road delays today.",
)
