"""Operations settings and metric labels, without Discord: env overrides, label shapes, outcomes."""

from __future__ import annotations

import pytest
from discord import app_commands

from bot.domain.config import ConfigError, parse_settings
from bot.domain.errors import NotAllowed
from bot.runtime.metrics import BotMetrics, custom_id_shape, interaction_label, outcome_of, route_template

MINIMAL = {
    "guilds": [
        {
            "id": 111111111111111111,
            "moderator_roles": [222222222222222222],
            "channels": {"queue": 333333333333333333, "support": 444444444444444444},
        }
    ]
}


def test_health_endpoint_is_off_by_default_and_the_environment_overrides_it() -> None:
    assert parse_settings(MINIMAL, {}).bot.health_port == 0
    from_file = parse_settings({**MINIMAL, "bot": {"health_port": 9000}}, {})
    assert (from_file.bot.health_host, from_file.bot.health_port) == ("127.0.0.1", 9000)
    env = {"TEND_HEALTH_PORT": "8080", "TEND_HEALTH_HOST": "0.0.0.0", "DATABASE_URL": "postgresql://x@h/db"}
    settings = parse_settings(from_file.model_dump(mode="json", exclude={"token"}), env)
    assert (settings.bot.health_host, settings.bot.health_port) == ("0.0.0.0", 8080)
    assert settings.database_url == "postgresql://x@h/db"


def test_a_bad_port_is_named() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(MINIMAL, {"TEND_HEALTH_PORT": "http"})
    assert caught.value.problems == [
        "TEND_HEALTH_PORT: 'http' is not a port number (0-65535; 0 switches it off)"
    ]
    with pytest.raises(ConfigError):
        parse_settings({**MINIMAL, "bot": {"health_port": 70000}}, {})


def test_labels_carry_no_ids_tokens_or_member_text() -> None:
    assert custom_id_shape("case:1234567890123:claim") == "case:#:claim"
    assert custom_id_shape("tend:support:I feel awful") == "tend:support:*"
    assert custom_id_shape("support:42:survey:yes") == "support:#:survey:yes"
    assert route_template("/api/v10/interactions/123/aW50ZXJhY3Rpb24/callback", "/api/v10") == (
        "/interactions/{id}/*/callback"
    )
    assert route_template("/api/v10/channels/9/messages/@me", "/api/v10") == "/channels/{id}/messages/@me"
    assert route_template("/gateway", "/api/v10") is None


def test_interaction_labels() -> None:
    sub = {"type": 2, "data": {"name": "tend", "type": 1, "options": [{"type": 1, "name": "doctor"}]}}
    assert interaction_label(sub) == ("command", "/tend doctor")
    menu = {"type": 2, "data": {"name": "Report message", "type": 3}}
    assert interaction_label(menu) == ("command", "Report message")
    assert interaction_label({"type": 4, "data": {"name": "conduct"}}) == ("autocomplete", "/conduct")
    assert interaction_label({"type": 3, "data": {"custom_id": "case:7:close"}}) == (
        "component",
        "case:#:close",
    )


def test_outcomes_and_unanswered_interactions() -> None:
    assert outcome_of(NotAllowed("no")) == "refused"
    assert outcome_of(app_commands.CommandInvokeError.__new__(app_commands.CommandInvokeError)) == "error"
    assert outcome_of(RuntimeError("bug")) == "error"
    now = [0.0]
    metrics = BotMetrics(clock=lambda: now[0])
    metrics.interaction_received({"id": "1", "type": 3, "data": {"custom_id": "gone:1"}})
    now[0] = 11.0
    metrics.prune()
    sample = metrics.interactions.labels(kind="component", name="gone:#", outcome="unanswered")
    assert sample._value.get() == 1.0
