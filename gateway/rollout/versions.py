"""Compiling policies that did not come from this replica's own file.

An upload and a version stored by another replica are compiled the same way
as the policy file, with two extra guards: both may name files only inside
the policy directory (``references.py``), and a stored version must
hash to the version it was stored under here too; otherwise this replica's
dictionary or included files differ from the uploader's and it would enforce
something else under the same name.
"""

from __future__ import annotations

from pathlib import Path

from gateway.detect import SUPPORTED_ENTITIES
from gateway.errors import ConfigError
from gateway.policy.evaluate import CompiledPolicy
from gateway.policy.loader import parse_policy
from gateway.rollout.references import check_file_references
from gateway.rollout.store import StoredVersion

__all__ = ["PolicyTestsFailed", "compile_candidate", "compile_stored", "require_passing_tests"]


class PolicyTestsFailed(ConfigError):
    """The policy's own ``tests:`` do not pass: it may be stored by no one, activated nowhere."""


def compile_candidate(
    raw: bytes, policy_file: Path, source: str = "<upload>", *, confined: bool = True
) -> CompiledPolicy:
    """Validate and compile; blocking. Relative files resolve next to ``policy_file``.

    ``confined`` (anything but the operator's own file): file references must
    stay inside the policy file's directory.
    """
    base_dir = policy_file.parent
    if confined:
        check_file_references(raw, base_dir, source)
    return parse_policy(raw, SUPPORTED_ENTITIES, source=source, base_dir=base_dir)


def compile_stored(stored: StoredVersion, policy_file: Path) -> CompiledPolicy:
    """A stored version, compiled here and checked to be the same version; blocking.

    Checked like an upload whatever its claimed ``origin``: a version from
    another replica's policy file may name files only inside the policy
    directory here (this replica's own file is read from disk, not from here).
    """
    compiled = compile_candidate(
        stored.yaml.encode("utf-8"), policy_file, f"<stored {stored.version}>", confined=True
    )
    if compiled.version != stored.version:
        raise ConfigError(
            f"stored policy {stored.version} compiles to version {compiled.version} on this "
            "replica: the dictionary or included files next to its policy file differ"
        )
    return compiled


def require_passing_tests(policy: CompiledPolicy, source: str = "<upload>") -> None:
    """Run the policy's own ``tests:``; raise ``PolicyTestsFailed`` naming each failure.

    Blocking (a case with ``text`` runs the detector). A policy without tests
    has nothing that fails here; ``haetae policy test`` is where that is an error.
    """
    from gateway.policy.cases import run_cases

    failed = [case for case in run_cases(policy, SUPPORTED_ENTITIES) if not case.passed]
    if not failed:
        return
    lines = [f"{source}: {len(failed)} of the policy's own tests fail:"]
    for case in failed:
        lines.append(f"  {case.name}: " + "; ".join(case.problems))
    raise PolicyTestsFailed("\n".join(lines))
