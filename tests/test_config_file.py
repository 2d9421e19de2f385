"""config.toml edited as a document: setup's answers go in, the owner's words stay."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.config import ConfigError, load_settings
from bot.domain.config_file import ConfigDocument, GuildAnswers, example_config_text

HAVEN = GuildAnswers(
    id=(1 << 40) + 1,
    name="Haven",
    moderator_roles=(1 << 41,),
    queue=1 << 42,
    support=1 << 43,
    timezone="Europe/Berlin",
    features=("support", "reports", "followups"),
    anonymous_reports=False,
    member_checkins=True,
)
GROVE = GuildAnswers(
    id=(1 << 44) + 7, name="Grove", moderator_roles=(1 << 45,), queue=1 << 46, support=1 << 47
)


def written(tmp_path: Path, *answers: GuildAnswers, start: str | None = None) -> Path:
    path = tmp_path / "config.toml"
    if start is not None:
        path.write_text(start)
    document = ConfigDocument.read(path, example_config_text())
    for answer in answers:
        document.set_guild(answer)
    document.write(path)
    return path


def test_a_new_file_is_the_example_with_the_answers_and_every_comment(tmp_path: Path) -> None:
    path = written(tmp_path, HAVEN)
    text = path.read_text()
    example_comments = [line for line in example_config_text().splitlines() if line.startswith("#")]
    assert all(line in text for line in example_comments)
    settings = load_settings(path, {})
    [guild] = settings.guilds
    assert (guild.id, guild.name, guild.moderator_roles) == (HAVEN.id, "Haven", [1 << 41])
    assert (guild.channels.queue, guild.channels.support, guild.channels.escalation) == (
        1 << 42,
        1 << 43,
        None,
    )
    assert guild.timezone == "Europe/Berlin" and guild.features.enabled() == [
        "support",
        "reports",
        "followups",
    ]
    assert guild.reports.anonymous is False and guild.followups.member_checkins is True
    assert [r.id for r in guild.rules] == ["respect", "inclusion", "privacy"]  # the example's, to edit
    assert "111111111111111111" not in text


def test_adding_a_server_keeps_the_owners_edits_and_comments(tmp_path: Path) -> None:
    path = written(tmp_path, HAVEN)
    edited = path.read_text().replace(
        'title = "Treat people with respect"', '# Our own words, agreed in June.\ntitle = "Be kind"'
    )
    path.write_text(edited)
    written(tmp_path, GROVE, start=edited)
    text = path.read_text()
    assert '# Our own words, agreed in June.\ntitle = "Be kind"' in text
    assert text.count("# Where case cards appear for moderators.") == 2  # the new server's table is commented
    settings = load_settings(path, {})
    assert [g.name for g in settings.guilds] == ["Haven", "Grove"]
    assert settings.guilds[0].rules[0].title == "Be kind"
    assert settings.guilds[1].features.enabled() == [
        "support",
        "reports",
        "listening",
        "followups",
        "learning",
    ]


def test_rerunning_for_a_server_changes_its_answers_in_place(tmp_path: Path) -> None:
    path = written(tmp_path, HAVEN, GROVE)
    document = ConfigDocument.read(path, example_config_text())
    assert document.answers_for(HAVEN.id) == HAVEN
    escalated = GuildAnswers(**{**HAVEN.__dict__, "escalation": 1 << 48, "escalation_role": 1 << 49})
    document.set_guild(escalated)
    document.write(path)
    settings = load_settings(path, {})
    assert [g.id for g in settings.guilds] == [HAVEN.id, GROVE.id]
    assert settings.guilds[0].channels.escalation == 1 << 48
    assert settings.guilds[0].reports.escalation_role == 1 << 49
    document = ConfigDocument.read(path, example_config_text())
    document.set_guild(HAVEN)  # no escalation channel any more: the key goes
    assert document.answers_for(HAVEN.id) == GuildAnswers(**{**HAVEN.__dict__, "escalation_role": 1 << 49})


def test_a_minimal_file_gets_the_sections_it_lacks(tmp_path: Path) -> None:
    minimal = (
        "# mine\n[[guilds]]\nid = 1099511627777\nmoderator_roles = [2199023255552]\n"
        "[guilds.channels]\nqueue = 4398046511104\nsupport = 8796093022208\n"
    )
    path = written(tmp_path, HAVEN, start=minimal)
    assert path.read_text().startswith("# mine\n")
    assert load_settings(path, {}).guilds[0].followups.member_checkins is True


def test_a_file_that_is_not_toml_is_named_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[[guilds]\nid = \n")
    with pytest.raises(ConfigError) as info:
        ConfigDocument.read(path, example_config_text())
    assert info.value.problems[0].startswith(f"{path}: not valid TOML")
    assert path.read_text() == "[[guilds]\nid = \n"


def test_new_keys_go_under_their_commented_example_not_under_the_next_sections_comment(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.toml"
    document = ConfigDocument.read(path, example_config_text())
    document.set_guild(GuildAnswers(**{**HAVEN.__dict__, "escalation": 1 << 48, "escalation_role": 1 << 49}))
    document.set_bot("gateway_url", "wss://gateway.example/")
    document.set_bot("shoe_size", 9)  # no example: after the section's last key
    text = document.text()
    assert '# gateway_url = "wss://gateway.discord.gg/"\ngateway_url = "wss://gateway.example/"\n' in text
    assert "# escalation = 555555555555555555\nescalation = 281474976710656\n" in text
    assert "# escalation_role = 777777777777777777\nescalation_role = 562949953421312\n" in text
    assert 'health_host = "127.0.0.1"\nshoe_size = 9\n' in text
    assert "# One [[guilds]] table per server Tend serves.\n[[guilds]]\n" in text
