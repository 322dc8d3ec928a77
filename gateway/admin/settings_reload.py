"""Reloading the settings a running gateway can change safely, on SIGHUP or from the admin API.

What can change without a restart is what is read per call: the admin tokens
(the token file and variable) with their roles, and the log level. Everything
else (listeners, the audit store, providers, detection …) is built once at
start-up; a reload names the sections that differ and need a restart, rather
than half-applying them. The settings are read and validated whole before
anything is applied: an invalid file changes nothing.

Every reload is an admin record (``settings.reload``): from the API, by the
token that asked; from a signal, as ``SIGHUP`` on this host (the sender of a
signal is not known, only that it could signal the gateway's process).
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import signal
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import ValidationError

from gateway.admin.auth import AdminAuth, load_admin_tokens
from gateway.admin.journal import AdminCall, BilingualHTTPException, requires
from gateway.audit.admin_event import admin_record
from gateway.audit.store import AuditStore
from gateway.errors import ConfigError
from gateway.settings import Settings

__all__ = ["ReloadResult", "SettingsReloader", "settings_router"]

log = logging.getLogger("haetae")

#: the parts a reload applies; every other section that differs needs a restart
_APPLIED = ("admin", "log_level")


@dataclass(frozen=True, slots=True)
class ReloadResult:
    applied: list[str]
    needs_restart: list[str]

    def details(self) -> dict[str, Any]:
        return {"applied": self.applied, "needs_restart": self.needs_restart}


class SettingsReloader:
    """Reads the settings again with ``load`` and applies what can change while serving."""

    def __init__(
        self,
        load: Callable[[], Settings] | None,
        current: Settings,
        auth: AdminAuth,
        environ: Mapping[str, str],
    ) -> None:
        self._load = load
        self._current = current
        self._auth = auth
        self._environ = environ

    def reload(self) -> ReloadResult:
        """Blocking (reads files); raises ConfigError, with nothing applied, if they are invalid."""
        if self._load is None:
            raise ConfigError("this gateway was not started from settings it can read again")
        try:
            new = self._load()
        except ValidationError as exc:
            raise ConfigError(f"the settings are invalid: {exc.errors()[0]['msg']}") from None
        admin = new.admin
        tokens = load_admin_tokens(
            env=admin.token_env, file=admin.token_file, environ=self._environ
        )
        applied = []
        if self._auth.replace(tokens, admin.roles, admin.default_role):
            applied.append("admin.tokens")
        if new.log_level != self._current.log_level:
            logging.getLogger("haetae").setLevel(new.log_level.upper())
            applied.append("log_level")
        needs_restart = sorted(
            name
            for name in Settings.model_fields
            if name not in _APPLIED and getattr(new, name) != getattr(self._current, name)
        )
        if new.admin.four_eyes != self._current.admin.four_eyes:
            needs_restart.append("admin.four_eyes")
        self._current = self._current.model_copy(
            update={"log_level": new.log_level, "admin": new.admin}
        )
        return ReloadResult(applied, needs_restart)

    def listen_for_sighup(self, store: AuditStore) -> None:
        """Reload on SIGHUP, on the running loop (where the main thread can take signals)."""
        loop = asyncio.get_running_loop()
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            # not the main thread (tests, embedded servers): the admin API still reloads
            loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(self._on_sighup(store)))

    async def _on_sighup(self, store: AuditStore) -> None:
        outcome, status, error, details = "ok", 200, None, {}
        try:
            result = await asyncio.to_thread(self.reload)
            details = result.details()
            log.warning(
                "settings reloaded on SIGHUP: applied %s; needing a restart: %s",
                ", ".join(result.applied) or "nothing",
                ", ".join(result.needs_restart) or "nothing",
            )
        except ConfigError as exc:
            outcome, status, error = "refused", 400, "ConfigError"
            log.error("settings not reloaded on SIGHUP, nothing changed: %s", exc)
        store.append(
            admin_record(
                actor="SIGHUP",
                role="local",  # whoever may signal the gateway's process
                action="settings.reload",
                outcome=outcome,  # type: ignore[arg-type]
                method="SIGNAL",
                path="SIGHUP",
                status=status,
                error=error,
                extra={"host": socket.gethostname(), "process_user": getpass.getuser(), **details},
            )
        )
        try:
            await store.flush()
        except Exception as exc:  # the reload happened; say that its record may be missing
            log.error("the record of a settings reload was not stored: %s", type(exc).__name__)


def settings_router(reloader: SettingsReloader) -> APIRouter:
    router = APIRouter()

    @router.post("/settings/reload")
    async def reload(
        call: Annotated[AdminCall, requires("settings.reload")],
    ) -> dict[str, Any]:
        async with call.recorded():
            try:
                result = await asyncio.to_thread(reloader.reload)
            except ConfigError as exc:
                raise BilingualHTTPException(
                    400,
                    f"settings not reloaded, nothing changed: {exc}",
                    "설정을 다시 읽지 못했습니다. 아무것도 바뀌지 않았습니다.",
                ) from None
            call.details.update(result.details())
            return result.details()

    return router
