"""Policies: schema, compilation and the decision."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.lazy import lazy_exports

if TYPE_CHECKING:
    from gateway.policy.evaluate import CompiledPolicy, Decision, PolicyInput, compile_policy
    from gateway.policy.loader import load_policy, parse_policy
    from gateway.policy.messages import refusal_message, warning_message
    from gateway.policy.schema import PolicyDocument

__all__ = [
    "CompiledPolicy",
    "Decision",
    "PolicyDocument",
    "PolicyInput",
    "compile_policy",
    "load_policy",
    "parse_policy",
    "refusal_message",
    "warning_message",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "CompiledPolicy": "gateway.policy.evaluate",
        "Decision": "gateway.policy.evaluate",
        "PolicyInput": "gateway.policy.evaluate",
        "compile_policy": "gateway.policy.evaluate",
        "load_policy": "gateway.policy.loader",
        "parse_policy": "gateway.policy.loader",
        "refusal_message": "gateway.policy.messages",
        "warning_message": "gateway.policy.messages",
        "PolicyDocument": "gateway.policy.schema",
    },
)
