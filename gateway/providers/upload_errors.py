"""Why an upload cannot be judged, said in English and Korean.

Every refusal of an upload (a malformed multipart body, a batch line the gateway
cannot read, a file it cannot read or edit) is an ``UploadProblem``: the Extract
and Transform stages answer it in the provider's error format, in the caller's
language, with ``code`` as the stable reason recorded. No message quotes the file.

    UninspectableContent (dialect.py)
    └── UploadProblem                 400 uninspectable_content
        ├── MalformedMultipart        400 uninspectable_content (multipart.py)
        ├── UneditableUpload          400 uneditable_content
        └── UninspectableAttachment   415 uninspectable_attachment (upload_reader.py)
"""

from __future__ import annotations

from gateway.providers.dialect import UninspectableContent

__all__ = ["UneditableUpload", "UploadProblem"]


class UploadProblem(UninspectableContent):
    """An upload the gateway cannot judge; ``message(language)`` says why."""

    code = "uninspectable_content"

    def __init__(self, english: str, korean: str) -> None:
        super().__init__(english)
        self.english = english
        self.korean = korean

    def message(self, language: str) -> str:
        return self.korean if language == "ko" else self.english


class UneditableUpload(UploadProblem):
    """The policy would edit a file that cannot be rewritten in place; names the file."""

    code = "uneditable_content"
