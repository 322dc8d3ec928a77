import json
import random

import pytest

from gateway.detect.restore import StreamRestorer, json_string_fragment, restore_text
from gateway.detect.transforms import Pseudonymizer

EMAIL = "[[EMAIL_ADDRESS_3f9a2c1b0d]]"
RRN = "[[KR_RRN_0123456789]]"
FOREIGN = "[[EMAIL_ADDRESS_ffffffffff]]"  # looks like ours, belongs to another request
MAPPING = {EMAIL: "kim@example.co.kr", RRN: "900101-1234568"}


def stream(restorer: StreamRestorer, chunks: list[str]) -> str:
    return "".join(restorer.feed(chunk) for chunk in chunks) + restorer.flush()


def split_everywhere(text: str) -> list[list[str]]:
    return [[text[:i], text[i:]] for i in range(len(text) + 1)]


TEXTS = [
    f"Hello {EMAIL}, your id is {RRN}.",
    f"{EMAIL}{RRN}{EMAIL}",
    f"[[{EMAIL}]] [{RRN}] [[[ {FOREIGN} [[EMAIL_ADDRESS_3f9a",
    f"list [[1, 2]] and {FOREIGN} then {EMAIL}",
    "no placeholders at all [x] [[y]]",
    "",
]


@pytest.mark.parametrize("text", TEXTS)
def test_every_two_chunk_split_matches_restore_text(text: str) -> None:
    expected = restore_text(text, MAPPING)
    for chunks in split_everywhere(text):
        assert stream(StreamRestorer(MAPPING), chunks) == expected, chunks


@pytest.mark.parametrize("text", TEXTS)
def test_every_three_chunk_split_matches_restore_text(text: str) -> None:
    expected = restore_text(text, MAPPING)
    for i in range(len(text) + 1):
        for j in range(i, len(text) + 1):
            chunks = [text[:i], text[i:j], text[j:]]
            assert stream(StreamRestorer(MAPPING), chunks) == expected, chunks


def test_random_chunkings_match_restore_text() -> None:
    rng = random.Random(7)
    pieces = [EMAIL, RRN, FOREIGN, "[", "[[", "]", "]]", "a", " ", "EMAIL_", "한글", "😀"]
    for _ in range(500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        cuts = sorted(rng.sample(range(len(text) + 1), k=min(len(text) + 1, rng.randint(0, 6))))
        chunks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        assert stream(StreamRestorer(MAPPING), chunks) == restore_text(text, MAPPING)


def test_restore_text_replaces_only_own_placeholders() -> None:
    text = f"to {EMAIL} not {FOREIGN}, id {RRN}"
    assert restore_text(text, MAPPING) == (f"to kim@example.co.kr not {FOREIGN}, id 900101-1234568")


def test_foreign_placeholder_passes_through_when_split() -> None:
    text = f"a {FOREIGN} b"
    for chunks in split_everywhere(text):
        assert stream(StreamRestorer(MAPPING), chunks) == text


def test_chunks_of_size_one() -> None:
    text = f"x{EMAIL}y [[ {RRN}[{FOREIGN}"
    restorer = StreamRestorer(MAPPING)
    assert stream(restorer, list(text)) == restore_text(text, MAPPING)
    assert restorer.held == ""


def test_text_that_cannot_start_a_placeholder_is_not_held() -> None:
    restorer = StreamRestorer(MAPPING)
    for chunk in ["Hello world. ", "[x] ", "[[y", "]] [[EMAIL_X", "[[KR_RRN_9"]:
        assert restorer.feed(chunk) == chunk
        assert restorer.held == ""


def test_hold_back_is_minimal_and_bounded() -> None:
    restorer = StreamRestorer(MAPPING)
    assert restorer.feed("see [") == "see "
    assert restorer.held == "["
    assert restorer.feed("[EMAIL_ADDRESS_3f9a") == ""
    assert restorer.held == "[[EMAIL_ADDRESS_3f9a"
    assert restorer.feed("2c1b0d]] ok") == "kim@example.co.kr ok"
    assert restorer.held == ""
    assert restorer.feed(EMAIL[:-1]) == ""
    assert len(restorer.held) == len(EMAIL) - 1
    assert restorer.feed("!") == EMAIL[:-1] + "!"
    assert restorer.feed("[[KR_RRN_01") == ""
    assert restorer.flush() == "[[KR_RRN_01"
    assert restorer.held == ""


def test_empty_mapping_streams_unchanged() -> None:
    restorer = StreamRestorer({})
    assert restorer.feed(f"[{EMAIL}") == f"[{EMAIL}"
    assert restorer.flush() == ""
    assert restore_text(EMAIL, {}) == EMAIL


@pytest.mark.parametrize("key", ["plain", "[[a[b]]", "[[]]", "[[a]]x", "x[[a]]"])
def test_malformed_mapping_keys_rejected(key: str) -> None:
    with pytest.raises(ValueError):
        StreamRestorer({key: "v"})


NASTY = 'say "hi"\\ \n\t tab é 한 😀 \u2028 \x00'


def test_json_string_fragment_escapes() -> None:
    fragment = json_string_fragment(NASTY)
    assert fragment.isascii()
    for escaped in ['\\"', "\\\\", "\\n", "\\t", "\\u00e9", "\\ud83d\\ude00", "\\u2028", "\\u0000"]:
        assert escaped in fragment
    assert json.loads(f'"{fragment}"') == NASTY


def test_json_escape_mode_keeps_body_valid() -> None:
    mapping = {EMAIL: NASTY}
    body = json.dumps({"content": f"Dear {EMAIL}, bye", "other": FOREIGN})
    restored = restore_text(body, mapping, json_escape=True)
    assert json.loads(restored) == {"content": f"Dear {NASTY}, bye", "other": FOREIGN}
    for chunks in split_everywhere(body):
        assert stream(StreamRestorer(mapping, json_escape=True), chunks) == restored
    assert restore_text(body, mapping) != restored  # decoded mode inserts the raw value


def test_round_trip_with_pseudonymizer() -> None:
    from gateway.detect import Finding

    text = "Write to kim@example.co.kr about 900101-1234568."
    findings = [
        Finding("EMAIL_ADDRESS", 9, 26, 1.0, "t"),
        Finding("KR_RRN", 33, 47, 1.0, "t"),
    ]
    masked, mapping = Pseudonymizer(b"k" * 32).pseudonymize(text, findings)
    answer = f"Sure! I will email {masked[9:37]}... and mention {list(mapping)[1]}."
    restored = restore_text(answer, mapping)
    assert "kim@example.co.kr" in restored and "900101-1234568" in restored
    for chunks in split_everywhere(answer):
        assert stream(StreamRestorer(mapping), chunks) == restored
