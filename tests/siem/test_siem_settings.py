"""The siem settings operators write: the short form per kind, transport in the
address, and mistakes refused with a message that says what to write instead."""

from __future__ import annotations

import pytest

from gateway.errors import ConfigError
from gateway.settings import Settings, SplunkHecSinkSettings, SyslogSinkSettings, load_settings
from gateway.siem.setup import build_delivery


def siem(**values: object) -> Settings:
    return Settings.model_validate({"siem": values})


def test_the_short_form_names_one_sink_per_kind_and_the_address_says_tls() -> None:
    settings = siem(
        syslog={"address": "tls://siem.corp.example:6514", "format": "cef"},
        splunk_hec={"url": "https://splunk.corp.example:8088/services/collector/event"},
    )
    syslog, splunk = settings.siem.sinks
    assert isinstance(syslog, SyslogSinkSettings) and isinstance(splunk, SplunkHecSinkSettings)
    assert (syslog.name, syslog.address, syslog.tls) == ("syslog", "siem.corp.example:6514", True)
    assert siem(syslog={"address": "tcp://h:514"}).siem.sinks[0].tls is False  # type: ignore[union-attr]


def test_environment_variables_reach_the_short_form() -> None:
    settings = load_settings(environ={"HAETAE_SIEM__SYSLOG__ADDRESS": "tcp://10.0.0.5:514"})
    assert settings.siem.sinks[0].address == "10.0.0.5:514"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"syslog": {"address": "udp://h:514"}}, "use tcp:// or tls://"),
        ({"syslog": {"address": "h"}}, "expected tcp://host:port"),
        ({"webhook": {"url": "http://hooks.corp.example/x"}}, "must be an https:// URL"),
        (
            {"sinks": [{"kind": "syslog", "name": "a", "address": "h:1"}] * 2},
            "its own name",
        ),
    ],
)
def test_mistakes_are_refused_with_what_to_write(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(overrides={"siem": values})


def test_a_missing_secret_or_an_unknown_decision_stops_start_up_by_name() -> None:
    settings = siem(webhook={"url": "https://hooks.corp.example/x"}).siem
    with pytest.raises(ConfigError, match="HAETAE_WEBHOOK_SECRET"):
        build_delivery(settings, store=None, environ={})  # type: ignore[arg-type]
    filtered = siem(syslog={"address": "h:514", "decisions": ["blocked"]}).siem
    with pytest.raises(ConfigError, match="unknown decisions \\['blocked'\\]"):
        build_delivery(filtered, store=None, environ={})  # type: ignore[arg-type]
