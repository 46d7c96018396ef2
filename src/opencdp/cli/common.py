"""Shared CLI plumbing: settings from the context, JSON output, errors as exit status 1."""

from __future__ import annotations

import json
from typing import Any

import click

from opencdp.activate import DeadLetterNotFound, DestinationNotFound
from opencdp.admin import NotFound
from opencdp.cli.backend import CommandError
from opencdp.collect.replay import ReplayError
from opencdp.collect.sources import SourceError
from opencdp.config import ConfigError, Settings, load_settings
from opencdp.db import DatabaseLocked
from opencdp.predict.registry import PredictionNotFound
from opencdp.privacy.requests import RequestNotFound
from opencdp.privacy.retention import RetentionPolicyNotFound
from opencdp.profiles.computed import ComputedTraitNotFound
from opencdp.security.errors import Forbidden, TokenNotFound, UserNotFound
from opencdp.segments.service import SegmentNotFound
from opencdp.sources.databases import DatabaseSourceError
from opencdp.sources.mapping import MappingError
from opencdp.sources.readers import UnreadableFile

_USER_ERRORS = (
    CommandError, SourceError, ReplayError, NotFound, ConfigError, MappingError, UnreadableFile,
    DatabaseSourceError, SegmentNotFound, DestinationNotFound, DeadLetterNotFound,
    PredictionNotFound,
    ComputedTraitNotFound, ValueError, UserNotFound, TokenNotFound, Forbidden, RequestNotFound,
    RetentionPolicyNotFound,
)  # fmt: skip


def run_group() -> type[click.Group]:
    """A click group that turns expected failures into a message and exit status 1."""

    class Group(click.Group):
        def invoke(self, ctx: click.Context) -> Any:
            try:
                return super().invoke(ctx)
            except DatabaseLocked as exc:
                raise click.ClickException(
                    "the database is locked by another process and no server answers on this "
                    f"data directory ({exc})"
                ) from None
            except _USER_ERRORS as exc:
                raise click.ClickException(str(exc)) from None

    return Group


def settings_from(ctx: click.Context, **overrides: Any) -> Settings:
    """Settings for this command; a command-level `--data-dir` beats the global one."""
    data_dir = overrides.pop("data_dir", None) or (ctx.find_root().obj or {}).get("data_dir")
    return load_settings(data_dir=data_dir, **overrides)


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="Data directory (same as the global option).",
)


def emit(data: Any, as_json: bool, text: str | None = None) -> None:
    if as_json or text is None:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(text)
