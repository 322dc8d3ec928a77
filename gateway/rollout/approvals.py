"""Four eyes: a policy version is activated only after someone other than its author
approved that exact version.

An approval names the version's content hash, so it cannot be carried over to
an edited policy, and it is kept in the policy store beside the versions
(signed in Redis like everything there). The author is the principal who first
stored the version (``StoredVersion.uploaded_by``); uploading the same text
again does not make a second person its author.

Only an admin's ``activate`` needs an approval. A rollback returns to a version
that was active before (approved then, or the operator's file); a hot reload of
the operator's own policy file is the operator's act, recorded as ``reload``.
``admin.four_eyes: false`` lifts the rule for a one-person setup, and every
activation record says which way it was.
"""

from __future__ import annotations

import time

from gateway.rollout.store import Approval, PolicyStore, StoredVersion

__all__ = ["FourEyes", "NotApproved", "SelfApproval"]


class NotApproved(RuntimeError):
    """Four eyes: no one but the version's author has approved this exact version."""


class SelfApproval(RuntimeError):
    """The author of a version tried to approve it."""


class FourEyes:
    """Approvals of versions in ``store``; ``required`` is ``admin.four_eyes``."""

    def __init__(self, store: PolicyStore, *, required: bool) -> None:
        self._store = store
        self.required = required

    @staticmethod
    def refuse_author(stored: StoredVersion, by: str) -> None:
        if stored.uploaded_by == by:
            raise SelfApproval(
                f"{by} uploaded version {stored.version} and cannot also approve it (four eyes)"
            )

    async def approve(self, stored: StoredVersion, by: str, role: str) -> Approval:
        self.refuse_author(stored, by)
        approval = Approval(version=stored.version, by=by, role=role, at=time.time())
        await self._store.add_approval(approval)
        return approval

    async def by_others(self, version: str) -> list[Approval]:
        """Approvals of ``version`` by anyone but its author: what four eyes counts."""
        stored = await self._store.get_version(version)
        author = None if stored is None else stored.uploaded_by
        return [a for a in await self._store.approvals(version) if a.by != author]

    async def require(self, version: str) -> None:
        """Raise ``NotApproved`` unless four eyes is off or someone else approved."""
        if self.required and not await self.by_others(version):
            raise NotApproved(
                f"version {version} needs an approval by someone other than its author before "
                f"it is activated (POST /admin/v1/policies/{version}/approve; admin.four_eyes)"
            )
