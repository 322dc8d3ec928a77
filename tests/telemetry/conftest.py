"""Fixtures: one traced gateway in front of a fake provider, shared by the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from telemetry_stack import Traced, build_traced_app

from gateway.dev.testing import FakeUpstream, ServerThread


@pytest.fixture(scope="session")
def traced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Traced]:
    fake = FakeUpstream()
    audit_db = tmp_path_factory.mktemp("telemetry") / "audit.db"
    with ServerThread(fake) as upstream:
        app, spans, metrics = build_traced_app(upstream.base_url, audit_db)
        with ServerThread(app, lifespan="on") as gateway:
            yield Traced(gateway, app, fake, spans, metrics)


@pytest.fixture
def stack(traced: Traced) -> Traced:
    traced.fake.reset()
    return traced
