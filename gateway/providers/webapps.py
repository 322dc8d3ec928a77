"""AI web applications: chat sites no dialect can read, kept as data (``webapps.yaml``).

The forward proxy recognises their hosts so that a browser going to one of them
gets a decision (a block page, or a logged relay) instead of passing unseen.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.errors import ConfigError
from gateway.providers.catalog import PROVIDER_ID_PATTERN, host_allowed
from gateway.providers.endpoints import Endpoint
from gateway.validation import describe_validation_error

__all__ = [
    "WEB_APP_API",
    "WEB_APP_ENDPOINT",
    "WebApp",
    "check_web_apps",
    "load_web_apps",
    "web_app_for",
]

#: the ``api`` of a connection to a web app: the forward proxy judges the connection,
#: since no request inside it can be read
WEB_APP_API = "web_app"
#: the route of such a connection: nothing in it is read
WEB_APP_ENDPOINT = Endpoint("read_only", None, WEB_APP_API)


class WebApp(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=PROVIDER_ID_PATTERN)
    name: str
    operator: str
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    hosts: list[str] = Field(min_length=1)
    source: str = Field(pattern=r"^https://")


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")
    web_apps: list[WebApp]


@cache
def load_web_apps() -> tuple[WebApp, ...]:
    """The shipped table, parsed once per process."""
    text = resources.files("gateway.providers").joinpath("webapps.yaml").read_text("utf-8")
    try:
        return tuple(_Table.model_validate(yaml.safe_load(text)).web_apps)
    except ValidationError as exc:
        raise ConfigError(f"webapps.yaml:\n{describe_validation_error(exc)}") from None


def web_app_for(host: str) -> WebApp | None:
    """The web application served from ``host``, if it is one."""
    for app in load_web_apps():
        if host_allowed(host, app.hosts):
            return app
    return None


def check_web_apps(value: bool | list[str]) -> bool | list[str]:
    """A policy's ``web_app`` test: ``true``/``false``, or ids from the table."""
    if isinstance(value, bool):
        return value
    known = {app.id for app in load_web_apps()}
    for name in value:
        if name not in known:
            raise ValueError(
                f"'{name}' is not a web app in webapps.yaml (known: {', '.join(sorted(known))})"
            )
    return value
