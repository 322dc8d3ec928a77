"""Wiring the ICAP server from settings, for ``app.build_app``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from gateway.audit import AuditStore
from gateway.audit.build import AuditKeys
from gateway.exchange import Stage
from gateway.forward import Forward
from gateway.icap.adapter import IcapAdapter
from gateway.icap.server import IcapServer, istag_for
from gateway.icap.transactions import REQMOD_ONLY, IcapIdentify, IcapUpstream, Waiting
from gateway.icap.webapps import WebAppGate
from gateway.labels import LabelScan
from gateway.pipeline import Pipeline
from gateway.policy import CompiledPolicy
from gateway.policy.messages import Language
from gateway.providers.catalog import Provider
from gateway.proxy.destinations import Destinations
from gateway.proxy.judge import ConnectionJudge
from gateway.settings import Settings
from gateway.telemetry import Telemetry

__all__ = ["build_icap"]

log = logging.getLogger("haetae.icap")


def build_icap(
    settings: Settings,
    stages: Sequence[Stage],
    forward: Forward,
    audit: AuditStore,
    current_policy: Callable[[], CompiledPolicy],
    providers: Callable[[], Mapping[str, Provider]],
    audit_keys: AuditKeys | None,
    labels: LabelScan | None,
    telemetry: Telemetry,
) -> IcapServer:
    """The ICAP server over the pipeline's own ``stages``, audit and answer inspection.

    ``forward`` is the reverse proxy's: its answer inspection and limits are
    kept, its upstream swapped for the proxy's RESPMOD.
    """
    config = settings.icap
    if settings.listen.workers > 1 and config.answer_wait_seconds > 0:
        log.warning(
            "icap with listen.workers %d: a RESPMOD meets its REQMOD only in the same "
            "process; answers reaching another worker pass unjudged and their requests "
            "complete as icap_answer_not_seen (run ICAP replicas with one worker)",
            settings.listen.workers,
        )
    waiting = Waiting(config.max_waiting)
    identify, *rest = stages
    assert identify.name == "identify", "the ICAP front wraps the identify stage"
    answers = forward.with_upstream(IcapUpstream(waiting, config.answer_wait_seconds))
    pipeline = Pipeline(
        [IcapIdentify(identify), *rest],
        answers,
        audit,
        current_policy,
        audit_keys=audit_keys,
        labels=labels,
        unanswered=REQMOD_ONLY if config.answer_wait_seconds <= 0 else None,
    )

    def istag() -> str:
        return istag_for(current_policy().version)

    by_name = {stage.name: stage for stage in stages}
    # requests to AI web apps: the forward proxy's judge, the proxy's word for the user
    judge = ConnectionJudge(
        (IcapIdentify(identify), by_name["admit"], by_name["decide"]),
        current_policy,
        audit,
        audit_keys,
        labels,
    )

    def default_language() -> Language:
        return current_policy().document.default_language

    adapter = IcapAdapter(
        telemetry.wrap_requests(pipeline.handle),
        Destinations(providers),
        waiting,
        config,
        settings.identity.trusted_headers,
        answers.reads_answer,
        istag,
        WebAppGate(judge, default_language),
        default_language,
    )
    return IcapServer(config, adapter, istag)
