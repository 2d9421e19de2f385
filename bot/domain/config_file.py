"""config.toml as a document: read it, change what ``tend setup`` asks about, write it back.

tomlkit keeps everything else as the owner left it: comments, order, spacing, and every key
setup doesn't ask about. A new file starts from ``config.example.toml``, so it carries the
example's comments; a server added later gets the example's commented server table too.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import ParseError
from tomlkit.items import AoT, Table
from tomlkit.toml_document import TOMLDocument

from bot.domain.config import FEATURES, ConfigError, Features

EXAMPLE_NAME = "config.example.toml"
# The example's stand-in server id: a document whose only server has it is still the template.
EXAMPLE_GUILD_ID = 111111111111111111


def example_config_text() -> str:
    """The commented example: beside the package in a checkout, in ``<prefix>/share/tend`` when installed."""
    for folder in (Path(__file__).resolve().parents[2], Path(sys.prefix) / "share" / "tend"):
        candidate = folder / EXAMPLE_NAME
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    raise ConfigError([f"{EXAMPLE_NAME} is missing from this installation; reinstall Tend"])


@dataclass(frozen=True)
class GuildAnswers:
    """What ``tend setup`` asks about one server; the rest of its table is the owner's."""

    id: int
    name: str
    moderator_roles: tuple[int, ...]
    queue: int
    support: int
    escalation: int | None = None
    escalation_role: int | None = None
    timezone: str = "UTC"
    features: tuple[str, ...] = tuple(Features().enabled())
    anonymous_reports: bool = True
    member_checkins: bool = False


class ConfigDocument:
    """One config file's TOML, edited in place."""

    def __init__(self, document: TOMLDocument, template: str):
        self._doc = document
        self._template = template

    @classmethod
    def read(cls, path: Path, template: str) -> ConfigDocument:
        """The file at ``path``, or the template when there is no file yet."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = template
        except OSError as exc:
            raise ConfigError([f"{path}: cannot be read ({exc.strerror})"]) from None
        try:
            return cls(tomlkit.parse(text), template)
        except ParseError as exc:
            raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None

    # -- reading ----------------------------------------------------------------------

    def plain(self) -> dict[str, Any]:
        """The document as plain Python values, as ``tomllib`` would read it."""
        return self._doc.unwrap()

    def bot_value(self, key: str) -> Any:
        return self.plain().get("bot", {}).get(key)

    def guild_ids(self) -> list[int]:
        return [g["id"] for g in self._real_guilds() if isinstance(g.get("id"), int)]

    def answers_for(self, guild_id: int) -> GuildAnswers | None:
        """What the file says today about ``guild_id`` (setup's defaults on a re-run), if it's there."""
        table = next((g for g in self._real_guilds() if g.get("id") == guild_id), None)
        if table is None:
            return None
        channels = table.get("channels", {})
        features = {**Features().model_dump(), **table.get("features", {})}
        reports, followups = table.get("reports", {}), table.get("followups", {})
        return GuildAnswers(
            id=guild_id,
            name=str(table.get("name") or ""),
            moderator_roles=tuple(r for r in table.get("moderator_roles", []) if isinstance(r, int)),
            queue=channels.get("queue", 0),
            support=channels.get("support", 0),
            escalation=channels.get("escalation"),
            escalation_role=reports.get("escalation_role"),
            timezone=str(table.get("timezone", "UTC")),
            features=tuple(name for name in FEATURES if features.get(name)),
            anonymous_reports=bool(reports.get("anonymous", True)),
            member_checkins=bool(followups.get("member_checkins", False)),
        )

    def _real_guilds(self) -> list[dict[str, Any]]:
        guilds = self.plain().get("guilds", [])
        return [g for g in guilds if isinstance(g, dict) and g.get("id") != EXAMPLE_GUILD_ID]

    # -- changing ---------------------------------------------------------------------

    def set_guild(self, answers: GuildAnswers) -> None:
        """Write ``answers`` into the server's table: its own if it has one, else the example's
        stand-in, else a new table made from the example's (comments and all)."""
        table = self._guild_table(answers.id)
        _put(table, "id", answers.id)
        _put(table, "name", answers.name)
        _put(table, "moderator_roles", list(answers.moderator_roles))
        _put(table, "timezone", answers.timezone)
        channels = _section(table, "channels")
        _put(channels, "queue", answers.queue)
        _put(channels, "support", answers.support)
        _set_or_drop(channels, "escalation", answers.escalation)
        features = _section(table, "features")
        for name in FEATURES:
            _put(features, name, name in answers.features)
        reports = _section(table, "reports")
        _put(reports, "anonymous", answers.anonymous_reports)
        if answers.escalation_role is not None:
            _put(reports, "escalation_role", answers.escalation_role)
        _put(_section(table, "followups"), "member_checkins", answers.member_checkins)

    def set_bot(self, key: str, value: Any) -> None:
        _put(_section(self._doc, "bot"), key, value)

    def _guild_table(self, guild_id: int) -> Table:
        guilds = self._doc.get("guilds")
        if not isinstance(guilds, AoT):
            guilds = tomlkit.aot()
            self._doc["guilds"] = guilds
        for table in guilds:
            if table.get("id") == guild_id:
                return table
        for table in guilds:
            if table.get("id") == EXAMPLE_GUILD_ID:
                return table
        fresh = tomlkit.parse(self._template)["guilds"][0]
        fresh.trivia.indent = "\n"  # a blank line before the new [[guilds]]
        guilds.append(fresh)
        return guilds[-1]

    # -- writing ----------------------------------------------------------------------

    def text(self) -> str:
        return tomlkit.dumps(self._doc)

    def write(self, path: Path) -> None:
        """Replace ``path`` in one step, so an interrupted write never leaves half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(self.text())
            os.chmod(temporary, mode)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise


def _put(table: Any, key: str, value: Any) -> None:
    """``table[key] = value``; a new key goes where a person would write it: under its
    commented-out example (``# key = ...``), else after the table's last key, not after
    comments that introduce what follows."""
    if key in table:
        table[key] = value
        return
    container = getattr(table, "value", table)  # a table's body, or the document itself
    body = getattr(container, "body", None)
    at = None
    if body is not None:
        example = f"# {key} ="
        at = next(
            (
                i + 1
                for i, (k, item) in enumerate(body)
                if k is None and item.as_string().lstrip().startswith(example)
            ),
            None,
        )
        if at is None:
            plain = [
                i for i, (k, item) in enumerate(body) if k is not None and not isinstance(item, Table | AoT)
            ]
            at = plain[-1] + 1 if plain else None
    if at is None or at >= len(body or ()):
        table[key] = value
        return
    try:
        container._insert_at(at, key, value)  # tomlkit has no public "insert here"
    except (AttributeError, TypeError, ValueError):
        table[key] = value


def _section(container: Any, key: str) -> Any:
    """``container[key]`` as a table, made (at the end of ``container``) when it isn't there."""
    if key not in container:
        container[key] = tomlkit.table()
    return container[key]


def _set_or_drop(table: Any, key: str, value: Any) -> None:
    if value is None:
        table.pop(key, None)
    else:
        _put(table, key, value)
