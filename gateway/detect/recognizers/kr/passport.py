"""Korean passport number (여권번호): ``M12345678`` (before 2020) or ``M123A4567``."""

from __future__ import annotations

import re
from typing import ClassVar

from presidio_analyzer import Pattern

from gateway.detect.recognizers.base import (
    NOT_ALNUM_AFTER,
    NOT_ALNUM_BEFORE,
    GatedPatternRecognizer,
)

__all__ = ["KrPassportRecognizer"]

# Leading passport-type letter; M (ordinary, multiple journeys) is by far the most common.
_TYPE = r"[MSRODGmsrodg]"

# Cheap prefilter (no per-pattern timeout bookkeeping) that every match must pass.
_GATE = re.compile(r"[MSRODGmsrodg][0-9]{3}")


class KrPassportRecognizer(GatedPatternRecognizer):
    """Find passport numbers; the shapes alone are weak, a context word makes them count.

    ``M12345678`` is also a model, part or ticket number, so the old form scores 0.2 and
    reaches 0.55 only with context. The newer ``M123A4567`` is rarer and starts at 0.3.
    """

    ENTITY: ClassVar[str] = "KR_PASSPORT"
    GATE = _GATE
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "KR passport (current)",
            NOT_ALNUM_BEFORE + _TYPE + r"[0-9]{3}[A-Za-z][0-9]{4}" + NOT_ALNUM_AFTER,
            0.3,
        ),
        Pattern(
            "KR passport (before 2020)",
            NOT_ALNUM_BEFORE + _TYPE + r"[0-9]{8}" + NOT_ALNUM_AFTER,
            0.2,
        ),
    ]
    CONTEXT: ClassVar[list[str]] = ["여권", "passport", "pp no", "pp#", "pp. no"]
