"""Document classification markings. ``FACTORIES`` maps each entity to its recognizer class."""

from gateway.detect.recognizers.markings.confidential import ConfidentialMarkerRecognizer

__all__ = ["FACTORIES", "ConfidentialMarkerRecognizer"]

FACTORIES = {
    "CONFIDENTIAL_MARKER": ConfidentialMarkerRecognizer,
}
