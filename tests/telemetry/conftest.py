"""One traced gateway in front of a fake provider, shared by the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.telemetry import Traced, traced_stack


@pytest.fixture(scope="session")
def traced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Traced]:
    with traced_stack(tmp_path_factory.mktemp("telemetry")) as built:
        yield built


@pytest.fixture
def stack(traced: Traced) -> Traced:
    traced.fake.reset()
    return traced
