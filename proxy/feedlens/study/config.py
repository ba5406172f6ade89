"""The study server's configuration: a YAML file (--config) and FEEDLENS_STUDY_* environment
variables, the environment winning. The admin token is never written by the server; give it
in the file, in FEEDLENS_STUDY_ADMIN_TOKEN or as a file of its own (admin_token_file)."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

import yaml

ENV_PREFIX = "FEEDLENS_STUDY_"
MIN_TOKEN = 24  # characters: an admin token shorter than this is refused


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 2 * 1024 * 1024        # one upload as sent (gzip)
    max_inflated_bytes: int = 32 * 1024 * 1024   # the same upload unpacked (no gzip bombs)
    max_records: int = 5000                      # records in one upload
    uploads_per_minute: float = 60.0             # per participant, sustained
    upload_burst: int = 20                       # per participant, at once


@dataclass(frozen=True)
class ServerConfig:
    dsn: str = "postgresql:///feedlens_study"
    host: str = "127.0.0.1"
    port: int = 8790
    admin_token: str = ""
    admin_token_file: str = ""
    public_url: str = ""          # the origin browsers see, for the Origin check (default: host:port)
    expire_interval: float = 3600.0  # seconds between retention runs
    pool_min: int = 1
    pool_max: int = 10
    limits: Limits = Limits()

    @property
    def origin(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def token(self) -> str:
        token = self.admin_token
        if not token and self.admin_token_file:
            try:
                token = Path(self.admin_token_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"admin_token_file: {exc}") from None
        if len(token) < MIN_TOKEN:
            raise ConfigError(f"an admin token of at least {MIN_TOKEN} characters is needed "
                              f"({ENV_PREFIX}ADMIN_TOKEN, admin_token or admin_token_file)")
        return token


def load(path: str | None = None, environ=None) -> ServerConfig:
    environ = os.environ if environ is None else environ
    values: dict = {}
    if path:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: a mapping of settings is expected")
        values.update(data)
    for field in fields(ServerConfig):
        name = ENV_PREFIX + field.name.upper()
        if name in environ:
            values[field.name] = environ[name]
    return _build(values)


def _build(values: dict) -> ServerConfig:
    known = {field.name: field for field in fields(ServerConfig)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"unknown settings: {', '.join(unknown)}")
    limits = values.pop("limits", None) or {}
    if not isinstance(limits, dict):
        raise ConfigError("limits: a mapping is expected")
    config = ServerConfig()
    try:
        typed = {name: type(getattr(config, name))(value) for name, value in values.items()}
        limit_values = {name: type(getattr(Limits(), name))(value) for name, value in limits.items()}
        return replace(config, limits=replace(Limits(), **limit_values), **typed)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"a setting has the wrong type: {exc}") from None
