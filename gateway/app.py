"""Builds the ASGI application from settings. Thin on purpose: wiring only."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
import orjson

from gateway.admin import AdminAuth, build_admin_app, load_admin_tokens
from gateway.admin.audit import audit_router
from gateway.admin.auth import log_admin_roles
from gateway.admin.journal import AdminJournal
from gateway.admin.policies import policies_router
from gateway.audit import AuditStore
from gateway.audit.setup import configured_keys, configured_store
from gateway.body import ReadBody
from gateway.detect.recognizers.kr.person import preload_name_model
from gateway.extras import require
from gateway.forward import Forward
from gateway.identity import Admit, Identify
from gateway.inspection import Decide, Detect, Extract, Transform
from gateway.keys import load_edit_key
from gateway.labels import LabelScan
from gateway.pipeline import Pipeline
from gateway.policy import CompiledPolicy
from gateway.policy.active import PolicyHolder, ProviderBuilder
from gateway.providers.catalog import Provider
from gateway.responses import send_json
from gateway.rollout import Rollout, build_rollout
from gateway.rollout.redis_connect import redis_access
from gateway.rollout.startup import starting_policy
from gateway.routing import Route
from gateway.settings import Settings
from gateway.telemetry import Telemetry, build_telemetry
from gateway.types import ASGIApp, Receive, Scope, Send
from gateway.upstream import Upstream, build_upstream
from gateway.upstream.events import StreamLimits

__all__ = ["Gateway", "build_app"]

log = logging.getLogger("haetae")


@dataclass(slots=True)
class Gateway:
    """The ASGI application: health endpoints, lifespan, and the pipeline."""

    pipeline: Pipeline
    audit: AuditStore
    upstream: Upstream
    rollout: Rollout
    admin: ASGIApp
    telemetry: Telemetry = field(default_factory=Telemetry)
    _handle: ASGIApp = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._handle = self.telemetry.wrap_requests(self.pipeline.handle)

    @property
    def policy(self) -> CompiledPolicy:
        """The active policy right now (it can change while serving)."""
        return self.rollout.holder.current()

    @property
    def providers(self) -> Mapping[str, Provider]:
        """The active policy's providers (its own ``providers:`` included)."""
        return self.rollout.holder.active.providers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path = scope["path"]
            if path == "/healthz":
                await send_json(send, 200, b'{"status":"ok"}')
            elif path == "/readyz":
                await self._ready(send)
            elif path.startswith("/admin/"):
                await self.admin(scope, receive, send)
            elif path == "/metrics" and self.telemetry.prometheus is not None:
                await self.telemetry.prometheus(scope, receive, send)
            else:
                await self._handle(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _ready(self, send: Send) -> None:
        ready = self.audit.healthy and self.rollout.serving_safely
        body = {
            "status": "ready" if ready else "not ready",
            "audit": "ok" if self.audit.healthy else (self.audit.last_error or "failing"),
            "audit_spool": self.audit.spool_depth,  # records waiting for the store
            **self.rollout.status(),
        }
        await send_json(send, 200 if ready else 503, orjson.dumps(body))

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.audit.start()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await self.rollout.start()  # joins the shared policy before serving
                # Presidio and spaCy leave ~100k long-lived objects; a full GC pass
                # over them takes ~70 ms and shows up as p99 latency. Freezing them
                # keeps the collector to what requests allocate.
                gc.collect()
                gc.freeze()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.rollout.stop()
                await self.upstream.aclose()
                await asyncio.to_thread(self.audit.close)
                await asyncio.to_thread(self.telemetry.shutdown)
                await send({"type": "lifespan.shutdown.complete"})
                return


def build_app(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    environ: Mapping[str, str] | None = None,
    telemetry: Telemetry | None = None,
) -> Gateway:
    """Everything expensive (catalog, policy, detector) is built here, once."""
    providers = ProviderBuilder(settings.providers, environ)
    # Redis's address, credentials and the keys that sign what travels through it.
    redis = redis_access(settings.rollout, os.environ if environ is None else environ)
    start = starting_policy(settings, providers, redis)  # the file's, or Redis's if it is bad
    policy = start.policy
    for provider_id in providers.unused_settings(policy):
        log.warning(
            "providers.%s is configured, but neither the catalog nor policy %s has it: it is "
            "used once an active policy declares it",
            provider_id,
            policy.name,
        )
    if settings.detection.preload_name_model:
        require("ko-names", "detection.preload_name_model")
        preload_name_model()
    holder = PolicyHolder.from_policy(
        policy, start.source, settings.detection.language, providers=providers
    )
    rollout = build_rollout(settings, holder, redis)
    audit = configured_store(settings.audit)
    edit_key = load_edit_key(settings.detection, environ)
    env = os.environ if environ is None else environ
    upstream = build_upstream(settings.forward, settings.timeouts, transport)
    if telemetry is None:
        telemetry = build_telemetry(settings.telemetry, env)
    telemetry.watch_rollout(getattr(rollout.store, "rejections", None))
    labels = LabelScan(holder.engine_for)  # Detect's and the refusals' (gateway/labels.py)
    pipeline = Pipeline(
        stages=telemetry.wrap_stages(
            Identify(settings.identity),
            Route(holder.providers_for),  # after the pipeline picked the request's policy
            Admit(settings.identity),
            ReadBody(settings.limits.max_body_bytes),
            Extract(
                settings.detection.offload_threshold_chars,
                settings.limits.max_json_depth,
                settings.limits.max_segments,
                settings.limits.max_json_values,
            ),
            Detect(
                holder.engine_for,
                settings.detection.offload_threshold_chars,
                labels,
                max_scan_chars=settings.detection.max_scan_chars,
                scan_timeout=settings.detection.scan_timeout_seconds,
                max_concurrent_scans=settings.detection.max_concurrent_scans,
            ),
            Decide(),
            Transform(edit_key),
        ),
        forward=Forward(
            telemetry.wrap_upstream(upstream),
            StreamLimits(settings.forward.max_event_bytes, settings.forward.stream_idle_timeout),
        ),
        audit=telemetry.wrap_audit(audit),
        current_policy=holder.current,
        audit_keys=configured_keys(settings.audit, edit_key, env),
        labels=labels,
    )
    admin_auth = AdminAuth(
        load_admin_tokens(
            env=settings.admin.token_env,
            file=settings.admin.token_file,
            environ=env,
        ),
        roles=settings.admin.roles,
        default_role=settings.admin.default_role,
    )
    log_admin_roles(admin_auth, settings.admin)
    admin = build_admin_app(
        routers=[policies_router(rollout, audit), audit_router(audit)],
        auth=admin_auth,
        journal=AdminJournal(audit),
    )
    log.info(
        "policy %s (version %s): %d rules, scanning %s",
        policy.name,
        policy.version,
        len(policy.rules),
        ", ".join(sorted(policy.scanned_entities)) or "nothing",
    )
    return Gateway(pipeline, audit, upstream, rollout, admin, telemetry)
