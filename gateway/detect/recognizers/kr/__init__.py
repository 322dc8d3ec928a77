"""Korea-specific recognizers."""

from gateway.detect.recognizers.kr.rrn import KrRrnRecognizer

__all__ = ["KrRrnRecognizer"]
