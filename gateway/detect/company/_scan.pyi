"""Types of the compiled prompt side (``_scan.c``)."""

from collections.abc import Sequence

def cut(data: bytes, lengths: Sequence[int], grouped: bool) -> tuple[bytes, int, bytes]: ...
def runs(sealed: bytes, words: int, lengths: Sequence[int]) -> bytes: ...
def entries(
    wanted: bytes,
    bits: bytes,
    shift: int,
    hashes: bytes,
    longest: int,
    directory: bytes,
    bucket_shift: int,
) -> bytes: ...
def spans(data: bytes) -> bytes: ...
def code_cut(text: str, keywords: tuple[bytes, ...]) -> tuple[bytes, int]: ...
