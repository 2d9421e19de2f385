from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.domain.config import ConfigError, Settings, load_settings, parse_settings

from .domain import MINIMAL

ROOT = Path(__file__).resolve().parents[1]


def problems(data: dict, env: dict | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(data, env or {})
    return caught.value.problems


def _documented_keys(model: type[BaseModel], prefix: str) -> list[tuple[str, str]]:
    """(dotted path, key) for every field, descending into nested sections."""
    out = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        out.append((f"{prefix}{name}", name))
        for kind in typing.get_args(field.annotation) or (field.annotation,):
            inner = typing.get_args(kind) or (kind,)
            for candidate in inner:
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    out.extend(_documented_keys(candidate, f"{prefix}{name}."))
    return out


def test_example_config_is_valid_and_documents_every_key() -> None:
    settings = load_settings(ROOT / "config.example.toml", environ={})
    assert settings.guilds[0].rules and settings.guilds[0].resources
    text = (ROOT / "config.example.toml").read_text()
    for path, key in _documented_keys(Settings, ""):
        table = path.replace(".", r"\.")
        # A key, or a table, may be documented commented out (an opt-in section like [guilds.hours]).
        pattern = rf"^(# )?{key} =|^(# )?\[\[?{table}(\]|\.)"
        assert re.search(pattern, text, re.MULTILINE), f"{path} is not in config.example.toml"


def test_minimal_config_has_working_defaults() -> None:
    settings = parse_settings(MINIMAL, {})
    guild = settings.guilds[0]
    assert guild.timezone == "UTC" and guild.features.support and not guild.features.distress_watch
    assert settings.database_url == "sqlite+aiosqlite:///data/tend.db"
    assert settings.bot.api_base_url == "https://discord.com/api/v10"
    assert settings.token is None


def test_token_and_database_url_come_from_the_environment() -> None:
    settings = parse_settings(MINIMAL, {"DISCORD_TOKEN": "abc", "DATABASE_URL": "postgresql://x@h/db"})
    assert settings.token == "abc"
    assert settings.database_url == "postgresql://x@h/db"


def test_token_in_the_file_is_rejected() -> None:
    assert problems({**MINIMAL, "bot": {"token": "secret"}}) == [
        "bot.token: is not a known key (check its spelling and the section it is in)"
    ]


def test_wrong_type_missing_guild_id_and_unknown_key_come_as_one_list() -> None:
    guild = {k: v for k, v in MINIMAL["guilds"][0].items() if k != "id"}
    data = {"bot": {"auto_migrate": "sometimes", "colour": "red"}, "guilds": [guild]}
    assert problems(data) == [
        "bot.auto_migrate: 'sometimes' is not a valid bool",
        "bot.colour: is not a known key (check its spelling and the section it is in)",
        "guilds[0].id: is required but missing",
    ]


def test_ids_are_checked_for_what_they_are() -> None:
    guild = {**MINIMAL["guilds"][0], "channels": {"queue": 12, "support": "444444444444444444"}}
    assert problems({"guilds": [guild]}) == ["guilds[0].channels.queue: 12 is not a channel id"]


def test_duplicates_time_zone_and_text_limits() -> None:
    guild = {
        **MINIMAL["guilds"][0],
        "timezone": "Mars/Olympus",
        "rules": [
            {"id": "respect", "title": "Respect", "text": "x"},
            {"id": "respect", "title": "Again", "text": "y" * 5000},
        ],
    }
    found = problems({"guilds": [guild, guild]})
    assert (
        "guilds[0].timezone: 'Mars/Olympus' is not a time zone name (try e.g. 'Europe/Berlin' or 'UTC')"
        in found
    )
    assert "guilds[0].rules[1].text: is 5000 characters; Discord allows at most 4096 here" in found


def test_shard_ids_must_fit_shard_count() -> None:
    assert problems({**MINIMAL, "bot": {"shard_count": 2, "shard_ids": [0, 2]}}) == [
        "bot: shard_ids [2] are not below shard_count 2"
    ]


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[bot\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad)


def test_prompt_and_message_overrides_are_checked_with_their_key_path() -> None:
    guild = {
        **MINIMAL["guilds"][0],
        "prompts": {
            "first_reply": {"intro": ""},
            "report.rule.nope": {"title": "t", "intro": "i", "next_action": "n"},
        },
        "messages": {"support_welcom": "hi"},
    }
    found = problems({"guilds": [guild]})
    assert "guilds[0].prompts.first_reply.intro: must not be empty" in found
    assert any(p.startswith('guilds[0].prompts."report.rule.nope"') for p in found)
    assert "guilds[0].messages.support_welcom: unknown message (did you mean support_welcome?)" in found


def test_valid_overrides_reach_the_library() -> None:
    from bot.domain.guidance import PromptLibrary

    guild = {**MINIMAL["guilds"][0], "prompts": {"first_reply": {"intro": "Listen first."}}}
    config = parse_settings({"guilds": [guild]}, {}).guilds[0]
    library = PromptLibrary.for_guild(config.prompts, config.messages)
    assert library.prompt("first_reply").intro == "Listen first."
    assert library.prompt("first_reply").next_action  # the rest still comes from the defaults


def test_the_appeals_server_must_be_another_configured_server() -> None:
    guild = MINIMAL["guilds"][0]
    other = {**guild, "id": 1 << 45}
    for target in (1 << 50, guild["id"]):
        data = {"guilds": [{**guild, "appeals": {"appeals_server": target}}, other]}
        with pytest.raises(ConfigError) as caught:
            parse_settings(data, {})
        assert "guilds[0].appeals.appeals_server" in str(caught.value) and "another server" in str(
            caught.value
        )
    settings = parse_settings({"guilds": [{**guild, "appeals": {"appeals_server": other["id"]}}, other]}, {})
    assert [g.id for g in settings.appealed_from(other["id"])] == [guild["id"]]
    assert settings.appealed_from(guild["id"]) == []
