"""Korea-specific recognizers. ``FACTORIES`` maps each entity to its recognizer class."""

from gateway.detect.recognizers.kr.rrn import KrRrnRecognizer

__all__ = ["FACTORIES", "KrRrnRecognizer"]

FACTORIES = {
    "KR_RRN": KrRrnRecognizer,
}
