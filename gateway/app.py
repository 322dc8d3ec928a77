"""Builds the ASGI application from settings. Thin on purpose: wiring only."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from gateway.admin import AdminAuth, build_admin_app, load_admin_tokens
from gateway.admin.audit import audit_router
from gateway.admin.audit_review import audit_review_router
from gateway.admin.auth import log_admin_roles
from gateway.admin.company import company_router
from gateway.admin.evidence import evidence_router
from gateway.admin.journal import AdminJournal
from gateway.admin.keys import keys_router
from gateway.admin.policies import policies_router
from gateway.admin.settings_reload import SettingsReloader, settings_router
from gateway.admin.usage import usage_router
from gateway.admin.verify_jobs import store_verify_jobs, verify_job_router
from gateway.admin_listener import AdminListener, admin_path
from gateway.answers.inspect import AnswerInspection
from gateway.attachments import AttachmentLimits, AttachmentReader
from gateway.attachments.cache import SharedStore
from gateway.audit import AuditStore
from gateway.audit.setup import configured_keys, configured_store, verify_keys
from gateway.audit.timezone import resolve_zone
from gateway.audit.witness import open_witness
from gateway.body import ReadBody
from gateway.console.local_admins import read_local_admins
from gateway.detect.processes import ScanProcesses
from gateway.detect.recognizers.kr.person import preload_name_model
from gateway.errors import ConfigError
from gateway.extraction import Extract
from gateway.extras import require
from gateway.forward import Forward
from gateway.identity import Admit, Identify
from gateway.inline_files import AttachmentScan, upload_document_reader
from gateway.inspection import Decide, Detect
from gateway.keys import load_company_index, load_edit_key
from gateway.labels import LabelScan
from gateway.limits import Limits, build_limits, load_prices
from gateway.pipeline import Pipeline
from gateway.policy import CompiledPolicy
from gateway.policy.active import PolicyHolder, ProviderBuilder
from gateway.providers.catalog import Provider
from gateway.providers.models import model_catalog
from gateway.providers.upload_reader import use_document_reader
from gateway.responses import send_json
from gateway.rollout import Rollout, build_rollout
from gateway.rollout.company_reload import CompanyReloader, build_company_reloader
from gateway.rollout.redis_connect import RedisAccess, redis_access
from gateway.rollout.replicas import ReplicaBeacon, ReplicaBoard
from gateway.rollout.startup import starting_policy
from gateway.routing import Route
from gateway.settings import AttachmentSettings, Settings
from gateway.siem.runner import SiemRunner
from gateway.siem.setup import build_delivery
from gateway.telemetry import Telemetry, build_telemetry
from gateway.transform import Transform
from gateway.types import ASGIApp, Receive, Scope, Send
from gateway.upstream import Upstream, build_upstream
from gateway.upstream.events import StreamLimits

if TYPE_CHECKING:
    from gateway.icap.server import IcapServer
    from gateway.proxy.listener import ProxyListener

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
    #: audit records to the SIEM, from this process (siem.deliver_in_gateway)
    siem: SiemRunner | None = None
    #: the forward proxy (``proxy.listen``), started and stopped with the app
    proxy: ProxyListener | None = None
    pac: ASGIApp | None = None  # GET /proxy.pac, when the proxy is on
    #: the ICAP server (``icap.listen``), started and stopped with the app
    icap: IcapServer | None = None
    scans: ScanProcesses | None = None  # worker processes for large scans, if any
    attachments: AttachmentReader | None = None
    #: reloads the reloadable settings on SIGHUP (and for the admin API)
    reloader: SettingsReloader | None = None
    limits: Limits | None = None  # its counters are closed with the app
    console: ASGIApp | None = None  # /console/, when console.enabled
    #: publishes this process's health for the console's overview (through Redis, if any)
    beacon: ReplicaBeacon | None = None
    #: admin.listen: /admin/ and /console/ there, and not on this listener
    admin_listener: AdminListener | None = None
    #: reloads the company index after registrations, here and when another replica says so
    company: CompanyReloader | None = None
    #: closed at shutdown, after the listeners (clients of shared stores)
    on_shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
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

    def start_scan_workers(self) -> None:
        """Start the scan worker processes now rather than on the first large request."""
        if self.scans is not None:
            self.scans.start(self.rollout.holder.active.engine)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path = scope["path"]
            if self.admin_listener is not None and admin_path(path):
                await send_json(send, 404, b'{"error":{"message":"not found"}}')
            elif path == "/healthz":
                await send_json(send, 200, b'{"status":"ok"}')
            elif path == "/readyz":
                await self._ready(send)
            elif path.startswith("/admin/"):
                await self.admin(scope, receive, send)
            elif self.console is not None and (path == "/console" or path.startswith("/console/")):
                await self.console(scope, receive, send)
            elif path == "/metrics" and self.telemetry.prometheus is not None:
                await self.telemetry.prometheus(scope, receive, send)
            elif path == "/proxy.pac" and self.pac is not None:
                await self.pac(scope, receive, send)
            else:
                await self._handle(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _ready(self, send: Send) -> None:
        ready, body = self.readiness()
        await send_json(send, 200 if ready else 503, orjson.dumps(body))

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """What /readyz answers (and the console's overview shows): ready, and why."""
        ready = self.audit.healthy and self.rollout.serving_safely
        body = {
            "status": "ready" if ready else "not ready",
            # while they start, large requests are scanned on a thread: served all the same
            "scan_workers": self.scans.state if self.scans is not None else "off",
            "audit": "ok" if self.audit.healthy else (self.audit.last_error or "failing"),
            "audit_spool": self.audit.spool_depth,  # records waiting for the store
            # reported, not required: a failing witness does not stop the gateway
            "audit_witness": self.audit.witness_status(),
            **self.rollout.status(),
        }
        if self.attachments is not None:  # images are uninspectable without OCR: say so
            body["ocr"] = self.attachments.ocr_problem or "ok"
        if self.company is not None:  # the generation served, and a failed reload
            body["company_index"] = self.company.status()
        return ready, body

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
                if self.company is not None:
                    self.company.start()
                if self.beacon is not None:
                    self.beacon.start()
                failure = await self._start_listeners()
                if failure is not None:
                    await send({"type": "lifespan.startup.failed", "message": failure})
                    return
                # Presidio and spaCy leave ~100k long-lived objects; a full GC pass
                # over them takes ~70 ms and shows up as p99 latency. Freezing them
                # keeps the collector to what requests allocate.
                gc.collect()
                gc.freeze()
                if self.siem is not None:
                    self.siem.start()
                if self.reloader is not None:
                    self.reloader.listen_for_sighup(self.audit)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.siem is not None:
                    await self.siem.stop()
                if self.proxy is not None:
                    await self.proxy.stop()
                if self.admin_listener is not None:
                    await self.admin_listener.stop()
                for close in self.on_shutdown:
                    await close()
                if self.icap is not None:
                    await self.icap.stop()
                if self.beacon is not None:
                    await self.beacon.stop()
                if self.company is not None:
                    await self.company.stop()
                await self.rollout.stop()
                if self.limits is not None:
                    await self.limits.aclose()
                await self.upstream.aclose()
                if self.scans is not None:
                    self.scans.close()
                if self.attachments is not None:
                    await self.attachments.aclose()
                await asyncio.to_thread(self.audit.close)
                await asyncio.to_thread(self.telemetry.shutdown)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _start_listeners(self) -> str | None:
        """Start the forward proxy, ICAP and the admin listener, if on; why one could not bind."""
        for setting, listener in (("proxy.listen", self.proxy), ("icap.listen", self.icap)):
            if listener is not None:
                try:
                    await listener.start()
                except OSError as exc:
                    return f"{setting} {listener.settings.listen}: {exc.strerror}"
        if self.admin_listener is not None:
            try:
                await self.admin_listener.start()
            except OSError as exc:
                return f"admin.listen: {exc.strerror}"
        return None


def build_app(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    environ: Mapping[str, str] | None = None,
    telemetry: Telemetry | None = None,
    reload_settings: Callable[[], Settings] | None = None,
) -> Gateway:
    """Everything expensive (catalog, policy, detector) is built here, once.

    ``reload_settings`` reads the settings again (the same file and flags), for a
    reload on SIGHUP or ``POST /admin/v1/settings/reload``.
    """
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
    # Every request reads the model facts (model.operator, …): read the catalog now,
    # not on the first request (~30 ms of YAML on the event loop).
    model_catalog()
    holder = PolicyHolder.from_policy(
        policy,
        start.source,
        settings.detection.language,
        providers=providers,
        company=load_company_index(settings.company, environ),
        phone_regions=settings.detection.phone_regions,
    )
    rollout = build_rollout(settings, holder, redis)
    company = build_company_reloader(settings, holder, redis, environ)
    audit = configured_store(settings.audit)
    edit_key = load_edit_key(settings.detection, environ)
    env = os.environ if environ is None else environ
    upstream = build_upstream(settings.forward, settings.timeouts, transport)
    if telemetry is None:
        telemetry = build_telemetry(settings.telemetry, env)
    telemetry.watch_rollout(getattr(rollout.store, "rejections", None))
    scans = ScanProcesses(settings.detection.scan_processes)  # started on first need
    labels = LabelScan(holder.engine_for)  # Detect's and the refusals' (gateway/labels.py)
    identify, admit, decide = Identify(settings.identity), Admit(settings.identity), Decide()
    target = redis.target if redis is not None else None
    limits = build_limits(
        settings.limits,
        target.url if target else None,
        target.options if target else None,
        target.display if target else "redis",
    )
    prices = load_prices(settings.prices.file, _overrides(settings))
    audit_keys = configured_keys(settings.audit, edit_key, env)
    recorded = telemetry.wrap_audit(audit)
    shared_files = attachment_store(settings.attachments, redis)
    reader = attachment_reader(settings.attachments, edit_key, shared_files)
    use_document_reader(upload_document_reader(reader))  # uploaded documents and images
    stages = telemetry.wrap_stages(
        identify,
        Route(holder.providers_for),  # after the pipeline picked the request's policy
        admit,
        ReadBody(settings.limits.max_body_bytes),
        Extract(
            settings.detection.offload_threshold_chars,
            settings.limits.max_json_depth,
            settings.limits.max_segments,
            settings.limits.max_json_values,
            processes=scans,
            max_scan_chars=settings.detection.max_scan_chars,
            reader=reader,
        ),
        Detect(
            holder.engine_for,
            settings.detection.offload_threshold_chars,
            labels,
            max_scan_chars=settings.detection.max_scan_chars,
            scan_timeout=settings.detection.scan_timeout_seconds,
            max_concurrent_scans=settings.detection.max_concurrent_scans,
            max_queued_scan_chars=settings.detection.max_queued_scan_chars,
            processes=scans,
            files=AttachmentScan(edit_key, settings.attachments.cache_entries, shared_files),
        ),
        decide,
        limits,
        Transform(edit_key, processes=scans),
    )
    forward = Forward(
        telemetry.wrap_upstream(upstream),
        StreamLimits(settings.forward.max_event_bytes, settings.forward.stream_idle_timeout),
        AnswerInspection(
            holder.answer_engine_for,
            edit_key,
            settings.detection.offload_threshold_chars,
            settings.detection.max_scan_chars,
            settings.forward.max_event_bytes,
        ),
    )
    pipeline = Pipeline(
        stages=stages,
        forward=forward,
        audit=recorded,
        current_policy=holder.current,
        audit_keys=audit_keys,
        labels=labels,
        limits=limits,
        prices=prices,
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
    zone = resolve_zone(settings.audit.timezone)
    public_keys = verify_keys(settings.audit)
    witness = open_witness(settings.audit.witness, settings.audit.url)
    review = audit_review_router(audit, public_keys=public_keys, witness=witness, zone=zone)
    verify_jobs = store_verify_jobs(audit, public_keys=public_keys, witness=witness)
    reloader = SettingsReloader(reload_settings, settings, admin_auth, env)
    journal = AdminJournal(audit)
    local_admins = (
        read_local_admins(settings.console.local_admins_file, settings.console.local_admins)
        if settings.console.enabled
        else {}
    )
    admin = build_admin_app(
        routers=[
            policies_router(rollout, audit),
            audit_router(audit, zone),
            review,
            verify_job_router(verify_jobs),
            settings_router(reloader),
            usage_router(audit, zone),
            evidence_router(audit, zone, settings.audit.evidence_public_key_file is not None),
            keys_router(
                settings.identity, identify.keys, admin_auth, settings.console, local_admins
            ),
            company_router(company, settings.company.max_upload_bytes),
        ],
        auth=admin_auth,
        journal=journal,
    )
    log.info(
        "policy %s (version %s): %d rules, scanning %s",
        policy.name,
        policy.version,
        len(policy.rules),
        scanned_summary(policy.scanned_entities),
    )
    siem = None
    if settings.siem.deliver_in_gateway:
        siem = SiemRunner(build_delivery(settings.siem, audit, env), settings.siem.poll_seconds)
    gateway = Gateway(
        pipeline,
        audit,
        upstream,
        rollout,
        admin,
        telemetry,
        siem,
        scans=scans,
        attachments=reader,
        limits=limits,
    )
    gateway.reloader = reloader

    async def stop_verifying() -> None:
        verify_jobs.stop()

    gateway.on_shutdown.append(stop_verifying)
    gateway.company = company
    board = rollout.store if isinstance(rollout.store, ReplicaBoard) else None
    gateway.beacon = ReplicaBeacon(board, lambda: gateway.readiness()[1])
    if settings.console.enabled:
        gateway.console = console_app(
            settings, gateway, admin_auth, journal, env, redis, local_admins
        )
    if settings.admin.listen is not None:
        gateway.admin_listener = AdminListener(settings.admin.listen, admin, gateway.console)
    if settings.proxy.listen is not None:
        # Imported here: the proxy brings uvicorn's protocol and TLS, which the
        # gateway without it never loads.
        from gateway.proxy.build import ConnectionJudge, build_proxy

        # Connections to AI web apps are judged by the pipeline's own stages and audit.
        judge = ConnectionJudge(
            (identify, admit, decide), holder.current, recorded, audit_keys, labels
        )
        gateway.proxy, gateway.pac = build_proxy(
            settings,
            gateway,
            lambda: holder.active.providers,
            lambda: holder.current().document.default_language,
            judge,
        )
    if settings.icap.listen is not None:
        from gateway.icap.build import build_icap  # only an ICAP deployment loads it

        gateway.icap = build_icap(
            settings,
            stages,
            forward,
            recorded,
            holder.current,
            lambda: holder.active.providers,
            audit_keys,
            labels,
            telemetry,
        )
    return gateway


def _overrides(settings: Settings) -> dict[str, dict[str, dict[str, object]]]:
    """``prices.overrides`` as plain mappings, for the price table's own validation."""
    return {
        provider: {model: entry.model_dump(exclude_none=True) for model, entry in models.items()}
        for provider, models in settings.prices.overrides.items()
    }


def scanned_summary(entities: Iterable[str]) -> str:
    """The scanned entity types for the start-up line: secret formats counted, not listed."""
    names = sorted(entities)
    secrets = [name for name in names if name.startswith("SECRET_")]
    shown = [name for name in names if not name.startswith("SECRET_")]
    if len(secrets) > 3:
        shown.append(f"{len(secrets)} secret formats")
    else:
        shown.extend(secrets)
    return ", ".join(shown) or "nothing"


def console_app(
    settings: Settings,
    gateway: Gateway,
    tokens: AdminAuth,
    journal: AdminJournal,
    env: Mapping[str, str],
    redis: RedisAccess | None,
    admins: Mapping[str, str],
) -> ASGIApp:
    """The web console over this gateway's admin API (docs/console.md).

    ``admins``: the break-glass administrators (``console.local_admins`` and its file).
    """
    from gateway.console import build_console
    from gateway.console.oidc import OidcClient

    sessions = None
    session_key = env.get(settings.console.session_key_env, "").encode()
    if redis is not None and session_key:
        if len(session_key) < 32:
            raise ConfigError(f"{settings.console.session_key_env} must be at least 32 bytes")
        from gateway.console.redis_sessions import RedisSessions

        shared = RedisSessions(
            redis.target.url,
            session_key,
            idle=settings.console.idle_minutes * 60,
            max_age=settings.console.max_hours * 3600,
            prefix=f"{settings.rollout.key_prefix}console:session:",
            options=redis.target.options,
        )
        gateway.on_shutdown.append(shared.aclose)
        sessions = shared
        log.info("console sessions are shared through Redis")
    elif redis is not None or settings.listen.workers > 1:
        log.warning(
            "console sessions are kept per process: with several workers or replicas, set "
            "%s (32+ bytes, the same everywhere) to share them through Redis",
            settings.console.session_key_env,
        )

    oidc = None
    if settings.console.oidc is not None:
        secret = env.get(settings.console.oidc.client_secret_env)
        oidc = OidcClient(settings.console.oidc, secret)
    return build_console(
        settings.console.model_copy(update={"local_admins": dict(admins)}),
        admin=gateway.admin,
        tokens=tokens,
        journal=journal,
        health=lambda: gateway.readiness()[1],
        replicas=gateway.beacon.report if gateway.beacon is not None else None,
        review_zone=settings.audit.timezone,
        oidc=oidc,
        sessions=sessions,
    )


def attachment_store(config: AttachmentSettings, redis: RedisAccess | None) -> SharedStore | None:
    """Where replicas share reads and findings of files: Redis, when there is one."""
    if redis is None or not config.cache_redis:
        return None
    from gateway.attachments.redis_cache import RedisCacheStore

    return RedisCacheStore(
        redis.target.url, config.cache_redis_prefix, config.cache_ttl_seconds, redis.target.options
    )


def attachment_reader(
    config: AttachmentSettings, key: bytes, shared: SharedStore | None
) -> AttachmentReader:
    """The reader of attached files, its cache shared through ``shared`` when there is one.

    The cache is keyed (and its shared entries sealed) with the pseudonym key, so
    replicas that share that key share reads.
    """
    # the settings name every limit the reader keeps, field for field
    limits = AttachmentLimits(
        **{item.name: getattr(config, item.name) for item in dataclasses.fields(AttachmentLimits)}
    )
    reader = AttachmentReader(
        limits, key, workers=config.workers, cache_entries=config.cache_entries, shared=shared
    )
    if reader.ocr_problem is None:
        log.info(
            "attachments: OCR in %s; reads cached%s",
            limits.ocr_languages,
            " in Redis too" if shared is not None else "",
        )
    return reader
