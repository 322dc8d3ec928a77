"""Hand-written phone numbers without ``+`` and their look-alikes (issue 16).

Written for this purpose, not drawn from the evaluation corpus' templates: foreign numbers
dialled with an access code (``00``, Korean carriers' ``001``/``002``/``005``/``00700``,
NANP's ``011``) or written in their own country's national form, in Korean and English
sentences, and the digit runs that prompts hold beside them (dates, amounts, order numbers,
versions, ISBNs, coordinates, times). ``POSITIVES`` are (text, number); ``NEGATIVES`` hold
no phone number. ``tests/detect/test_phones_heldout.py`` holds the finder to them; docs/
detection.md gives the numbers measured before and after.
"""

from __future__ import annotations

__all__ = ["NEGATIVES", "POSITIVES"]

POSITIVES: tuple[tuple[str, str], ...] = (
    # United States and Canada: national (NXX) NXX-XXXX, or dialled from Korea / Europe.
    ("Reach the NY desk at (212) 555-0199 before noon.", "(212) 555-0199"),
    ("뉴욕 지사 번호 (646) 872-3310으로 걸어주세요", "(646) 872-3310"),
    ("Our Seattle rep is at 206-384-7721.", "206-384-7721"),
    ("샌프란시스코 사무실은 415.902.6618입니다", "415.902.6618"),
    ("From Seoul dial 001-1-212-555-0187 for the US lawyer.", "001-1-212-555-0187"),
    ("미국 본사 00700-1-650-253-0000로 국제전화 부탁", "00700-1-650-253-0000"),
    ("토론토 파트너 002-1-416-555-0142", "002-1-416-555-0142"),
    ("Canada office: 00 1 604 555 0177", "00 1 604 555 0177"),
    # United Kingdom.
    ("런던 사무실 020 7946 0958로 연락 바랍니다", "020 7946 0958"),
    ("Manchester branch: 0161 496 0731", "0161 496 0731"),
    ("Please ring 0044 20 7946 0321 from abroad.", "0044 20 7946 0321"),
    ("영국 담당자 00 44 7911 123456에게 회신", "00 44 7911 123456"),
    ("From the US he dials 011 44 20 7946 0112.", "011 44 20 7946 0112"),
    # Japan.
    ("東京本社 03-1234-5678 に電話してください", "03-1234-5678"),
    ("오사카 거래처 06-6123-4567 담당 야마다", "06-6123-4567"),
    ("Tanaka-san's number is 090-2345-6789.", "090-2345-6789"),
    ("일본 지사 001-81-3-5412-7788", "001-81-3-5412-7788"),
    ("Call Tokyo on 00 81 3 5412 7789 after 9am JST.", "00 81 3 5412 7789"),
    # China.
    ("王经理 138 0013 8000 负责华东区", "138 0013 8000"),
    ("상하이 공급업체 139 1234 5678 리 부장", "139 1234 5678"),
    ("Beijing office landline 010 6552 9988.", "010 6552 9988"),
    ("중국 공장 0086 21 6888 1234", "0086 21 6888 1234"),
    ("Supplier in Shenzhen: 00 86 755 8888 1234", "00 86 755 8888 1234"),
    # Germany.
    ("Berlin: 0049 30 901820 for the notary.", "0049 30 901820"),
    ("독일 법인 00 49 89 1234567로 확인 바람", "00 49 89 1234567"),
    ("Munich mobile 00 49 1512 3456789", "00 49 1512 3456789"),
    # France.
    ("Paris: 01 42 68 53 00, demander Claire.", "01 42 68 53 00"),
    ("프랑스 담당 06 12 34 56 78 마리", "06 12 34 56 78"),
    ("리옹 지사 0033 4 72 10 30 30", "0033 4 72 10 30 30"),
    # India.
    ("Mumbai vendor: 022 2345 6789", "022 2345 6789"),
    ("인도 개발팀장 0091 98765 43210", "0091 98765 43210"),
    ("Bangalore lead at 00 91 80 4123 4567", "00 91 80 4123 4567"),
    # Singapore.
    ("싱가포르 법인 0065 6123 4567", "0065 6123 4567"),
    ("SG team hotline 00 65 9123 4567", "00 65 9123 4567"),
    # Australia.
    ("호주 지사 번호는 0061 2 9374 4000입니다", "0061 2 9374 4000"),
    ("Sydney office: 00 61 2 9374 4001.", "00 61 2 9374 4001"),
    ("Melbourne mobile 001-61-412-345-678", "001-61-412-345-678"),
    # Vietnam.
    ("베트남 공장장 휴대폰 0084 912 345 678", "0084 912 345 678"),
    ("Hanoi plant: 00 84 24 3826 4567", "00 84 24 3826 4567"),
    ("호치민 협력사 00700-84-28-3823-4567", "00700-84-28-3823-4567"),
    # Taiwan.
    ("타이베이 파트너 00886 2 2123 4567", "00886 2 2123 4567"),
    ("Taipei buyer: 00 886 912 345 678", "00 886 912 345 678"),
    # Hong Kong.
    ("홍콩 은행 담당 00852 2123 4567", "00852 2123 4567"),
    ("HK desk 00 852 5123 4567", "00 852 5123 4567"),
    # Brazil.
    ("São Paulo office 0055 11 2345 6789", "0055 11 2345 6789"),
    ("브라질 대리점 00 55 11 96123 4567", "00 55 11 96123 4567"),
    # Mexico.
    ("멕시코 공장 0052 55 1234 5678", "0052 55 1234 5678"),
    ("Monterrey contact 00 52 81 8123 4567", "00 52 81 8123 4567"),
    # Spain and Italy.
    ("Madrid: 0034 612 34 56 78", "0034 612 34 56 78"),
    ("스페인 에이전트 00 34 91 123 45 67", "00 34 91 123 45 67"),
    ("Milan showroom 0039 02 1234 5678", "0039 02 1234 5678"),
    ("이탈리아 디자이너 00 39 312 345 6789", "00 39 312 345 6789"),
    # Thailand and the Philippines.
    ("방콕 호텔 0066 2 123 4567", "0066 2 123 4567"),
    ("Bangkok driver 00 66 81 234 5678", "00 66 81 234 5678"),
    ("Manila BPO lead: 0063 917 123 4567", "0063 917 123 4567"),
    ("필리핀 콜센터 매니저 00 63 2 8123 4567", "00 63 2 8123 4567"),
    # United Arab Emirates and the Netherlands.
    ("두바이 바이어 00971 50 123 4567", "00971 50 123 4567"),
    ("Dubai office 00 971 4 234 5678", "00 971 4 234 5678"),
    ("Amsterdam: 0031 20 123 4567", "0031 20 123 4567"),
    ("네덜란드 물류 담당 00 31 6 1234 5678", "00 31 6 1234 5678"),
    # Indonesia.
    ("자카르타 지사 0062 21 8350 1234", "0062 21 8350 1234"),
    ("Jakarta rep 00 62 812 3456 7890", "00 62 812 3456 7890"),
)

NEGATIVES: tuple[str, ...] = (
    # Dates and times.
    "회의는 2025-03-14 14:30에 시작합니다",
    "Deadline 2024.12.31 23:59 KST",
    "납기일 2025 03 14, 검수일 2025 03 21",
    "Timestamp 2025-03-14T09:15:30.123Z",
    "작성일: 14.03.2025",
    "Shift 09:00-18:00, break 12:00-13:00",
    # Amounts.
    "총액 1 234 567,89 EUR입니다",
    "Budget: 12 500 000 KRW",
    "매출 3.450.000.000원 달성",
    "Price USD 1,299.00 per seat",
    "수량 100 200 300 400개",
    "Revenue 2 345 678 901 yen",
    # Order, invoice, tracking and account numbers.
    "주문번호 300-452-1187 배송 조회",
    "Order 212-555-0199 shipped today",
    "invoice 020 7946 0958 is overdue",
    "송장번호 6012 3456 7890 확인",
    "Tracking no. 1Z 999 AA1 01 2345 6784",
    "계좌 110-234-567890 으로 입금",
    "Account 123-456-789012 closed",
    "티켓 번호 2024-0115-0042",
    "Case 00-123-456 escalated",
    "serial 030 1234 5678 on the label",
    "모델 8801 234 5678 단종",
    "SKU 400 638 133 393",
    # Versions and build numbers.
    "version 10.0.19045.3930",
    "릴리스 2.14.3.4567 배포",
    "Build 1.2.345.6789 passed",
    "kernel 5.15.0-91-generic",
    "Chrome 120.0.6099.129",
    "v2.10.3.4567",
    # ISBN, EAN and other codes.
    "ISBN 978-89-5115-123-4",
    "ISBN-10 0-306-40615-2",
    "ISBN 978 0 306 40615 7",
    "바코드 880 1234 567890",
    "EAN 4 006381 333931",
    "GTIN 0 12345 67890 5",
    "사업자등록번호 123-45-67890",
    "주민번호 900101-1234568",
    "법인등록번호 110111-0123458",
    # Coordinates.
    "좌표 37.5665 126.9780",
    "Location: 51.5074 -0.1278",
    "lat 35.6762 lon 139.6503",
    "GPS 40.7128, -74.0060",
    # Tables and lists of numbers.
    "점수 85 92 78 88 90",
    "Rows: 12 345 678",
    "1 2 3 4 5 6 7 8 9 10",
    "Sizes 250 500 750 1000 ml",
    "page 12-34-56",
    "Steps 3-5-7-9-11-13",
    "Ports 8080 8443 9090",
    # Numbers that look like phones but are not: fake ranges, wrong shapes, others.
    "555-555-5555",
    "123-456-7890",
    "000-000-0000",
    "999 999 9999",
    "(000) 000-0000",
    "0000 0000 0000",
    "1234-5678-9012-3456",
    "IP 192.168.0.1, mask 255.255.255.0",
    "MAC 00 1A 2B 3C 4D 5E",
    "UUID 123e4567-e89b-12d3-a456-426614174000",
    "Zip 10001-2345",
    "우편번호 06236",
)
