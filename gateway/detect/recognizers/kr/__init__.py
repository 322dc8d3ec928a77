"""Korea-specific recognizers. ``FACTORIES`` maps each entity to its recognizer class."""

from gateway.detect.recognizers.kr.address import KrAddressRecognizer
from gateway.detect.recognizers.kr.bank_account import KrBankAccountRecognizer
from gateway.detect.recognizers.kr.brn import KrBrnRecognizer
from gateway.detect.recognizers.kr.crn import KrCrnRecognizer
from gateway.detect.recognizers.kr.driver_license import KrDriverLicenseRecognizer
from gateway.detect.recognizers.kr.frn import KrFrnRecognizer
from gateway.detect.recognizers.kr.passport import KrPassportRecognizer
from gateway.detect.recognizers.kr.person import KrPersonRecognizer
from gateway.detect.recognizers.kr.phone import PhoneNumberRecognizer
from gateway.detect.recognizers.kr.rrn import KrRrnRecognizer

__all__ = [
    "FACTORIES",
    "KrBankAccountRecognizer",
    "KrBrnRecognizer",
    "KrCrnRecognizer",
    "KrDriverLicenseRecognizer",
    "KrFrnRecognizer",
    "KrPassportRecognizer",
    "KrRrnRecognizer",
    "PhoneNumberRecognizer",
]

FACTORIES = {
    "KR_RRN": KrRrnRecognizer,
    "KR_FRN": KrFrnRecognizer,
    "KR_PASSPORT": KrPassportRecognizer,
    "KR_DRIVER_LICENSE": KrDriverLicenseRecognizer,
    "KR_BRN": KrBrnRecognizer,
    "KR_CRN": KrCrnRecognizer,
    "PHONE_NUMBER": PhoneNumberRecognizer,
    "KR_BANK_ACCOUNT": KrBankAccountRecognizer,
    "KR_ADDRESS": KrAddressRecognizer,
    "PERSON": KrPersonRecognizer,
}
