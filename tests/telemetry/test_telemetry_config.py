"""Exporters from the standard OTEL_* variables: off unless asked, clear errors otherwise."""

from __future__ import annotations

import pytest

from gateway.errors import ConfigError
from gateway.settings import TelemetrySettings, load_settings
from gateway.telemetry import build_telemetry, choose_exporters
from gateway.telemetry.config import ExporterChoice

ENDPOINT = "http://collector.internal:4318"


@pytest.mark.parametrize(
    ("environ", "traces", "metrics"),
    [
        ({}, (), ()),
        ({"OTEL_SERVICE_NAME": "egress"}, (), ()),  # a name alone turns nothing on
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT}, ("otlp",), ("otlp",)),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": ENDPOINT}, ("otlp",), ()),
        ({"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": ENDPOINT}, (), ("otlp",)),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT, "OTEL_TRACES_EXPORTER": "none"}, (), ("otlp",)),
        ({"OTEL_TRACES_EXPORTER": "console"}, ("console",), ()),
        ({"OTEL_TRACES_EXPORTER": "otlp, console"}, ("otlp", "console"), ()),
        ({"OTEL_METRICS_EXPORTER": "prometheus"}, (), ("prometheus",)),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT, "OTEL_SDK_DISABLED": "true"}, (), ()),
    ],
)
def test_exporters_follow_the_standard_variables(
    environ: dict[str, str], traces: tuple[str, ...], metrics: tuple[str, ...]
) -> None:
    choice = choose_exporters(environ)
    assert (choice.traces, choice.metrics) == (traces, metrics)


def test_the_service_name_defaults_to_haetae() -> None:
    assert choose_exporters({}).service_name == "haetae"
    assert choose_exporters({"OTEL_SERVICE_NAME": "egress-kr"}).service_name == "egress-kr"


def test_the_prometheus_setting_adds_the_scrape_endpoint() -> None:
    choice = choose_exporters({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT}, prometheus=True)
    assert choice == ExporterChoice(("otlp",), ("otlp", "prometheus"), "haetae")
    assert choice.prometheus


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER: unknown exporter 'zipkin'"),
        ({"OTEL_METRICS_EXPORTER": "none,otlp"}, "'none' cannot be combined"),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "OTEL_EXPORTER_OTLP_PROTOCOL='grpc': Haetae exports OTLP over http/protobuf only",
        ),
    ],
)
def test_unsupported_choices_stop_start_up_with_a_clear_message(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        choose_exporters(environ)


def test_a_signal_specific_protocol_wins_over_the_general_one() -> None:
    environ = {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf",
    }
    assert choose_exporters(environ).traces == ("otlp",)


def test_configured_exporters_build_without_touching_the_network() -> None:
    environ = {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp,prometheus"}
    telemetry = build_telemetry(TelemetrySettings(), environ)
    try:
        assert telemetry.tracer is not None and telemetry.metrics is not None
        assert telemetry.prometheus is not None
    finally:
        telemetry.shutdown()


def test_settings_name_log_format_and_telemetry() -> None:
    settings = load_settings(
        environ={"HAETAE_LOG_FORMAT": "json", "HAETAE_TELEMETRY__PROMETHEUS": "true"}
    )
    assert settings.log_format == "json"
    assert settings.telemetry.prometheus and not settings.telemetry.propagate_upstream
    with pytest.raises(ConfigError, match="log_format"):
        load_settings(environ={"HAETAE_LOG_FORMAT": "xml"})
