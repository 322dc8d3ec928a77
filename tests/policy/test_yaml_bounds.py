"""Policy YAML is bounded while it is composed: size, depth, aliases, expansion, time."""

from __future__ import annotations

import time

import pytest

from gateway.policy.source import PolicyTooLarge, read_source
from gateway.policy.yaml_bounds import YamlLimits


def alias_bomb(levels: int = 9, width: int = 9) -> bytes:
    """The classic "billion laughs": each level lists the previous one ``width`` times."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        refs = ", ".join([f"*l{level - 1}"] * width)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return ("\n".join(lines) + "\n").encode()


def test_the_alias_bomb_is_refused_at_once() -> None:
    bomb = alias_bomb()
    assert len(bomb) < 600
    started = time.monotonic()
    with pytest.raises(PolicyTooLarge, match=r"<upload>: aliases expand .* more than 200000"):
        read_source(bomb, "<upload>")
    assert time.monotonic() - started < 1.0


def test_a_few_aliases_stay_allowed() -> None:
    source = read_source(b"groups: &g [a, b]\nalso: *g\n", "p.yaml")
    assert source.data["also"] == ["a", "b"]


@pytest.mark.parametrize(
    ("document", "limits", "message"),
    [
        (b"a: " + b"x" * 200, YamlLimits(max_bytes=100), "203 bytes is more than the 100 bytes"),
        # the deadline is far off: on a loaded machine 2 s could pass before the depth check
        (
            b"a: " + b"[" * 5000 + b"]" * 5000,
            YamlLimits(max_seconds=60),
            "nested deeper than 32 levels",
        ),
        (b"a: [[[[1]]]]", YamlLimits(max_depth=4), "nested deeper than 4 levels"),
        (b"a: &a 1\nb: [*a, *a, *a]", YamlLimits(max_aliases=2), "more than 2 aliases"),
        (b"a: [1, 2, 3, 4, 5]", YamlLimits(max_nodes=5), "more than 5 nodes"),
        (b"a: [1, 2, 3]", YamlLimits(max_seconds=0.0), "parsing took longer than 0 s"),
        (alias_bomb(3, 4), YamlLimits(max_depth=3), "nested deeper than 3 levels"),
    ],
)
def test_each_bound(document: bytes, limits: YamlLimits, message: str) -> None:
    with pytest.raises(PolicyTooLarge, match=message):
        read_source(document, "p.yaml", limits)


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    with pytest.raises(PolicyTooLarge, match="contains it"):
        read_source(b"a: &a [1, *a]\n", "p.yaml")


def test_the_policy_file_and_stored_versions_have_the_same_bounds(tmp_path) -> None:
    from gateway.detect import SUPPORTED_ENTITIES
    from gateway.policy.loader import load_policy
    from gateway.rollout.store import StoredVersion
    from gateway.rollout.versions import compile_stored

    path = tmp_path / "policy.yaml"
    path.write_bytes(alias_bomb())
    started = time.monotonic()
    with pytest.raises(PolicyTooLarge, match=r"policy\.yaml: aliases expand"):
        load_policy(path, SUPPORTED_ENTITIES)
    # A version read from Redis (signed by a replica, or written by whoever owns Redis).
    stored = StoredVersion("0" * 16, "bomb", alias_bomb().decode(), "x", 0.0, "upload")
    with pytest.raises(PolicyTooLarge, match="aliases expand"):
        compile_stored(stored, path)
    assert time.monotonic() - started < 1.0
