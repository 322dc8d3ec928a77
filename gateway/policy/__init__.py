"""Policies: schema, compilation and the decision."""

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
