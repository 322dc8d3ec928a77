"""Which exporters the standard ``OTEL_*`` variables ask for; none unless asked.

The OpenTelemetry specification defaults ``OTEL_TRACES_EXPORTER`` to ``otlp``,
which would make every gateway try to reach ``localhost:4318``. Haetae reads the
variables the same way but treats "nothing set" as "off": tracing starts when
an exporter is named or an OTLP endpoint is given. Endpoint, headers, timeout,
compression and the export interval are read by the exporters themselves from
the same standard variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gateway.errors import ConfigError

__all__ = ["ExporterChoice", "choose_exporters"]

_TRACE_EXPORTERS = frozenset({"otlp", "console"})
_METRIC_EXPORTERS = frozenset({"otlp", "console", "prometheus"})
_PROTOCOL = "http/protobuf"  # the only OTLP exporter installed with Haetae


@dataclass(frozen=True, slots=True)
class ExporterChoice:
    traces: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    service_name: str = "haetae"

    @property
    def prometheus(self) -> bool:
        return "prometheus" in self.metrics


def _names(
    environ: Mapping[str, str], variable: str, endpoint_variable: str, known: frozenset[str]
) -> tuple[str, ...]:
    raw = environ.get(variable, "").strip().lower()
    if not raw:
        endpoint = environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get(endpoint_variable)
        return ("otlp",) if endpoint else ()
    names = tuple(dict.fromkeys(name.strip() for name in raw.split(",") if name.strip()))
    if "none" in names:
        if len(names) > 1:
            raise ConfigError(f"{variable}: 'none' cannot be combined with other exporters")
        return ()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ConfigError(
            f"{variable}: unknown exporter {unknown[0]!r}; Haetae supports "
            f"{', '.join(sorted(known))} or none"
        )
    return names


def _check_protocol(environ: Mapping[str, str], signal: str) -> None:
    for variable in (f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        protocol = environ.get(variable, "").strip().lower()
        if protocol:
            if protocol != _PROTOCOL:
                raise ConfigError(
                    f"{variable}={protocol!r}: Haetae exports OTLP over {_PROTOCOL} only; "
                    "point it at the collector's HTTP port (usually 4318)"
                )
            return


def choose_exporters(environ: Mapping[str, str], *, prometheus: bool = False) -> ExporterChoice:
    """Read the standard variables; ``prometheus`` adds the scrape endpoint (a setting)."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return ExporterChoice(metrics=("prometheus",) if prometheus else ())
    traces = _names(
        environ, "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", _TRACE_EXPORTERS
    )
    metrics = _names(
        environ, "OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", _METRIC_EXPORTERS
    )
    if prometheus and "prometheus" not in metrics:
        metrics += ("prometheus",)
    if "otlp" in traces:
        _check_protocol(environ, "TRACES")
    if "otlp" in metrics:
        _check_protocol(environ, "METRICS")
    service = environ.get("OTEL_SERVICE_NAME", "").strip() or "haetae"
    return ExporterChoice(traces, metrics, service)
