"""The prompt library and distress signals, tested as plain data and functions (no Discord, no mocks)."""

from __future__ import annotations

import re

import pytest

from bot.domain.guidance import (
    DISTRESS_CATEGORIES,
    LEARNING_TOPICS,
    MESSAGE_KEYS,
    MESSAGE_PLACEHOLDERS,
    RULE_CATEGORIES,
    SITUATIONS,
    MissingPlaceholder,
    Prompt,
    PromptLibrary,
    load_defaults,
    load_signals,
    match_distress,
    override_problems,
    render_prompt_text,
    signal_problems,
)
from bot.domain.guidance.catalogue import placeholders

# Fill values for every placeholder any message can use.
SAMPLE_VALUES = {
    "until": "<t:1800000000:f>",
    "back": "<t:1800000000:F>",
    "reason": "Spamming links",
    "member": "<@123456789012345678>",
    "moderator": "<@223456789012345678>",
    "server": "The Cosy Corner",
    "thread": "<#123456789012345678>",
    "minutes": "5",
    "reference": "R-0042",
}
# Phrases that would make a member or moderator feel brushed off or handled.
PLATITUDES = ("stay positive", "happens for a reason", "cheer up", "look on the bright side", "calm down")


@pytest.fixture(scope="module")
def library() -> PromptLibrary:
    return PromptLibrary.for_guild()


# -- defaults ---------------------------------------------------------------------------


def test_defaults_hold_every_situation_topic_and_message():
    defaults = load_defaults()
    assert set(defaults.prompts) == set(SITUATIONS)
    assert {f"report.{c}" for c in RULE_CATEGORIES} <= set(SITUATIONS)
    assert {f"distress.{c}" for c in DISTRESS_CATEGORIES} <= set(SITUATIONS)
    for situation in ("first_reply", "report.reporter", "report.reported_member", "listening"):
        assert situation in SITUATIONS
    for situation in ("closing", "checkin", "handoff", "moderator_break"):
        assert situation in SITUATIONS
    assert set(defaults.learning) == set(LEARNING_TOPICS)
    assert set(defaults.messages) == set(MESSAGE_KEYS)
    assert load_defaults() is defaults  # read once


@pytest.mark.parametrize("situation", SITUATIONS)
def test_every_prompt_is_complete_and_fits(situation: str):
    prompt = load_defaults().prompts[situation]
    assert len(prompt.title) <= 100
    assert 2 <= len(prompt.phrasings) <= 4
    assert 2 <= len(prompt.avoid) <= 4
    assert prompt.question.strip().endswith("?")
    assert prompt.next_action.strip()
    for text in (prompt.intro, prompt.question, prompt.next_action, *prompt.phrasings, *prompt.avoid):
        assert text.strip() and len(text) <= 1024
        assert "{" not in text and "}" not in text  # prompts are never formatted
    # Intro is one or two sentences.
    assert 1 <= len(re.findall(r"[.!?](\s|$)", prompt.intro)) <= 2
    rendered = render_prompt_text(prompt)
    assert len(rendered) <= 4000
    # Every moderator prompt ends in an action.
    assert rendered.rstrip().endswith(prompt.next_action)


@pytest.mark.parametrize("key", MESSAGE_KEYS)
def test_every_message_fits_and_fills_only_its_placeholders(key: str):
    text = load_defaults().messages[key]
    assert text.strip() and len(text) <= 1800
    assert set(placeholders(text)) <= MESSAGE_PLACEHOLDERS[key]
    filled = str(PromptLibrary.for_guild().message(key, **SAMPLE_VALUES))
    assert "{" not in filled and "}" not in filled


def test_messages_say_what_the_brief_asks():
    messages = load_defaults().messages
    assert {"{member}", "{server}"} <= set(re.findall(r"\{\w+\}", messages["support_welcome"]))
    assert "Manage Threads" in messages["support_privacy"]
    for key in MESSAGE_KEYS:
        if key.startswith("outcome.") or key.startswith("report_"):
            assert "{reference}" in messages[key], key
    assert "{thread}" in messages["support_received"]
    assert "{minutes}" in messages["support_cooldown"]
    assert "{server}" in messages["checkin_dm"]
    # Never promise a specific outcome in the receipt.
    assert "can't promise" in messages["report_receipt"]


def test_no_platitudes_anywhere_we_speak():
    defaults = load_defaults()
    spoken = [*defaults.messages.values()]
    for prompt in defaults.prompts.values():
        spoken += [prompt.intro, prompt.question, prompt.next_action, *prompt.phrasings]
    for text in spoken:
        for platitude in PLATITUDES:
            assert platitude not in text.lower(), text


def test_crisis_guidance_keeps_moderators_peers():
    crisis = load_defaults().prompts["distress.crisis"]
    text = render_prompt_text(crisis).lower()
    assert "safe" in text or "suicide" in text  # asks directly about safety
    assert "another moderator" in crisis.next_action
    assert "crisis" in crisis.next_action
    assert any("diagnos" in item.lower() for item in crisis.avoid)


def test_reflection_questions_and_learning(library: PromptLibrary):
    assert 5 <= len(load_defaults().reflection_questions) <= 7
    assert [key for key, _ in library.learning_topics()] == list(LEARNING_TOPICS)
    for key, title in library.learning_topics():
        topic = library.learning(key)
        assert topic is not None and topic.title == title and len(title) <= 100
        assert 2 <= len(topic.try_this) <= 3
        assert all("http" not in ref for ref in topic.read_more)
    assert library.learning("astrology") is None


# -- the library --------------------------------------------------------------------------


def test_prompt_falls_back_instead_of_failing(library: PromptLibrary):
    assert library.prompt("first_reply") == load_defaults().prompts["first_reply"]
    assert library.prompt("no.such.thing") == library.prompt("listening")
    assert library.prompt("report.nonsense") == library.prompt("report.general")
    assert library.distress_prompt("grief") == library.prompt("distress.grief")
    assert library.distress_prompt("unknown") == library.prompt("listening")


def test_report_prompt_fallbacks(library: PromptLibrary):
    assert library.report_prompt("harassment") == library.prompt("report.harassment")
    assert library.report_prompt("made_up") == library.prompt("report.general")
    # A rule without its own prompt uses its category's.
    assert library.report_prompt("spam", rule_id="no-ads") == library.prompt("report.spam")


def test_partial_override_merges_over_the_default():
    library = PromptLibrary.for_guild(
        prompts={"first_reply": {"intro": "Go gently; they've had a long day."}}
    )
    default = load_defaults().prompts["first_reply"]
    prompt = library.prompt("first_reply")
    assert prompt.intro == "Go gently; they've had a long day."
    assert prompt.title == default.title and prompt.phrasings == default.phrasings
    # Other guilds are untouched.
    assert PromptLibrary.for_guild().prompt("first_reply") == default


def test_full_override_replaces_and_nested_tables_work():
    replacement = {
        "title": "Our way of saying hello",
        "intro": "Say hi.",
        "phrasings": ["Hi!", "Hello there."],
        "question": "How are you?",
        "avoid": ["Walls of text — keep it short."],
        "next_action": "Say hi now.",
    }
    # As TOML reads [prompts.report.spam].
    library = PromptLibrary.for_guild(prompts={"report": {"spam": replacement}})
    assert library.prompt("report.spam") == Prompt(**replacement)
    assert library.report_prompt("spam") == Prompt(**replacement)


def test_rule_prompt_lays_over_its_category():
    rule_prompt = {"title": "No slurs", "intro": "Slurs are removed on sight.", "next_action": "Delete it."}
    library = PromptLibrary.for_guild(prompts={"report.rule.no-slurs": rule_prompt})
    prompt = library.report_prompt("hate", rule_id="no-slurs")
    assert (prompt.title, prompt.intro, prompt.next_action) == (
        "No slurs",
        "Slurs are removed on sight.",
        "Delete it.",
    )
    assert prompt.phrasings == library.prompt("report.hate").phrasings
    assert library.report_prompt("hate", rule_id="other") == library.prompt("report.hate")
    assert library.prompt("report.rule.no-slurs").title == "No slurs"


def test_message_overrides_and_formatting():
    library = PromptLibrary.for_guild(messages={"survey_question": "Did you feel listened to?"})
    assert str(library.message("survey_question")) == "Did you feel listened to?"
    nested = PromptLibrary.for_guild(
        messages={"outcome": {"warning": "Closed {reference}: a warning was given."}}
    )
    assert (
        str(nested.message("outcome.warning", reference="R-1", member="ignored"))
        == "Closed R-1: a warning was given."
    )
    assert "R-7" in str(nested.message("report_receipt", reference="R-7"))
    with pytest.raises(MissingPlaceholder, match=r"\{reference\}"):
        nested.message("report_receipt")
    with pytest.raises(KeyError, match="no message called"):
        nested.message("report_reciept", reference="R-1")


def test_for_guild_refuses_overrides_that_would_break():
    with pytest.raises(ValueError, match="must not be empty"):
        PromptLibrary.for_guild(prompts={"first_reply": {"intro": "  "}})


def test_reflection_questions_are_deterministic_with_a_seed(library: PromptLibrary):
    first = library.reflection_questions(count=3, seed=7)
    assert first == library.reflection_questions(count=3, seed=7)
    assert len(first) == 3 and len(set(first)) == 3
    assert len(library.reflection_questions(count=2, seed=7)) == 2
    assert set(first) <= set(load_defaults().reflection_questions)
    seen = {tuple(library.reflection_questions(count=3, seed=seed)) for seed in range(20)}
    assert len(seen) > 1  # seeds actually vary the choice


# -- override validation ------------------------------------------------------------------


def test_valid_overrides_have_no_problems():
    assert (
        override_problems(
            {
                "first_reply": {"intro": "Hello."},
                "report": {"rule": {"be-kind": {"title": "t", "intro": "i", "next_action": "n"}}},
            },
            {
                "support_welcome": "Hi {member}, welcome to {server}.",
                "outcome": {"timeout": "Done: {reference}."},
            },
            rule_ids=["be-kind"],
        )
        == []
    )


def test_unknown_situation():
    (problem,) = override_problems({"report.unknown": {"intro": "x"}}, {}, rule_ids=[])
    assert problem.startswith('prompts."report.unknown": unknown situation (')
    assert "first_reply" in problem and "report.harassment" in problem
    assert "report.rule.<rule id>" in problem


def test_empty_and_over_long_text():
    problems = override_problems(
        {"first_reply": {"intro": "", "title": "x" * 140, "phrasings": ["fine", " "]}}, {}, rule_ids=[]
    )
    assert "prompts.first_reply.intro: must not be empty" in problems
    assert "prompts.first_reply.title: is 140 characters; Discord allows at most 100 here" in problems
    assert "prompts.first_reply.phrasings[1]: must not be empty" in problems


def test_wrong_types_and_unknown_fields():
    problems = override_problems(
        {"first_reply": {"intr": "x", "avoid": "one thing", "question": 3}}, {}, rule_ids=[]
    )
    assert any(p.startswith("prompts.first_reply.intr: unknown field (did you mean intro?") for p in problems)
    assert any(p.startswith("prompts.first_reply.avoid: must be a list of text") for p in problems)
    assert "prompts.first_reply.question: must be text" in problems


def test_rendered_length_is_checked_as_a_whole():
    long_lines = ["x" * 1000] * 5
    (problem,) = override_problems({"listening": {"phrasings": long_lines}}, {}, rule_ids=[])
    assert problem.startswith("prompts.listening: is ") and "at most 4000" in problem


def test_unknown_message_key_gets_a_suggestion():
    (problem,) = override_problems({}, {"support_welcom": "Hi"}, rule_ids=[])
    assert problem == "messages.support_welcom: unknown message (did you mean support_welcome?)"
    (problem,) = override_problems({}, {"zzz": "Hi"}, rule_ids=[])
    assert problem.startswith("messages.zzz: unknown message (known: support_welcome,")


def test_bad_placeholder():
    (problem,) = override_problems({}, {"report_receipt": "Thanks {name}, ref {reference}"}, rule_ids=[])
    assert (
        problem
        == "messages.report_receipt: uses {name}, which this message cannot fill (it can use {reference})"
    )
    (problem,) = override_problems({}, {"survey_thanks": "Thanks {member}"}, rule_ids=[])
    assert "it takes no placeholders" in problem
    (problem,) = override_problems({}, {"survey_thanks": "Thanks :}"}, rule_ids=[])
    assert problem.startswith("messages.survey_thanks: has a { or } without its partner")
    (problem,) = override_problems({}, {"support_welcome": "x" * 1801}, rule_ids=[])
    assert problem.startswith("messages.support_welcome: is 1801 characters")


def test_rule_prompts_need_a_known_rule_and_the_basics():
    (problem,) = override_problems(
        {"report.rule.nope": {"title": "t", "intro": "i", "next_action": "n"}}, {}, ["be-kind"]
    )
    assert problem.startswith('prompts."report.rule.nope": there is no rule with id "nope"')
    assert "be-kind" in problem
    (problem,) = override_problems({"report.rule.be-kind": {"title": "Be kind"}}, {}, ["be-kind"])
    assert problem.endswith("(missing: intro, next_action)")


# -- distress signals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I want to die.", "crisis"),
        ("honestly i just want to kill myself", "crisis"),
        ("There's no reason to live anymore", "crisis"),
        ("I can't go on like this", "crisis"),
        ("I can't go on.", "crisis"),
        ("everyone would be better off without me", "crisis"),
        ("I've been self-harming again", "crisis"),
        ("I'm so overwhelmed with everything right now", "overwhelmed"),
        ("i can't cope with any of this", "overwhelmed"),
        ("I'm completely burnt out", "overwhelmed"),
        ("My dad passed away on Sunday", "grief"),
        ("I lost my grandma last week", "grief"),
        ("Nobody cares about me here", "isolation"),
        ("i feel so alone lately", "isolation"),
        ("I have no friends", "isolation"),
        ("I HATE ALL OF YOU", "hostility"),
        ("screw all of you, seriously", "hostility"),
    ],
)
def test_distress_true_positives(text: str, category: str):
    found = match_distress(text)
    assert found is not None, text
    assert found.category == category
    assert found.phrase


@pytest.mark.parametrize(
    "text",
    [
        "this boss fight is killing me",
        "I'm dying of laughter",
        "I could kill for a pizza",
        "lmao I'm killing myself laughing",
        "I want to die of embarrassment",
        "I'm willing to die on this hill",
        "I can't go on the raid tonight, sorry",
        "I hurt myself playing football",
        "I'm so overwhelmed by all the kind messages!",
        "my character died in the boss fight",
        "I'm alone in the lobby, anyone want to join?",
        "I don't want to die in this dungeon again",
        "",
        "!!!",
    ],
)
def test_distress_true_negatives(text: str):
    assert match_distress(text) is None


@pytest.mark.parametrize(
    "text", ["I'm so overwhelmed", "I’m so overwhelmed", "Im so overwhelmed", "I`m SO overwhelmed!!"]
)
def test_apostrophe_variants_read_the_same(text: str):
    found = match_distress(text)
    assert found is not None and found.category == "overwhelmed"


def test_crisis_wins_when_several_categories_match():
    found = match_distress("I hate everyone and I want to die")
    assert found is not None and found.category == "crisis"


def test_owner_signals_extend_the_defaults():
    signals = load_signals(
        {"isolation": {"phrases": ["I'm always on my own"], "exclude_patterns": [r"\bfeel so alone in\b"]}}
    )
    found = match_distress("honestly im always on my own", signals)
    assert found is not None and found.category == "isolation"
    assert match_distress("I feel so alone in this queue", signals) is None
    assert match_distress("I want to die", signals) is not None  # defaults still apply


def test_signal_problems():
    assert (
        signal_problems({"crisis": {"phrases": ["i give up on everything"], "patterns": [r"\bno way out\b"]}})
        == []
    )
    problems = signal_problems(
        {
            "crisis": {"patterns": ["(unclosed", r"\bcan't\b", r"(x)?"], "phrases": ["ok"]},
            "grif": {"phrases": ["x"]},
            "hostility": {"phrase": ["x"], "patterns": "not a list"},
        }
    )
    assert any(
        p.startswith("crisis.patterns[0]: '(unclosed' is not a valid regular expression (") for p in problems
    )
    assert any(p.startswith("crisis.patterns[1]:") and "apostrophe" in p for p in problems)
    assert any(p.startswith("crisis.patterns[2]:") and "empty text" in p for p in problems)
    assert any(p.startswith("crisis.phrases[0]:") and "too short" in p for p in problems)
    assert any(p.startswith("grif: unknown distress category (did you mean grief?") for p in problems)
    assert any(p.startswith("hostility.phrase: unknown key (did you mean phrases?") for p in problems)
    assert any(p.startswith("hostility.patterns: must be a list of text") for p in problems)
    with pytest.raises(ValueError, match="not a valid regular expression"):
        load_signals({"crisis": {"patterns": ["(unclosed"]}})


def test_the_one_pass_screen_finds_exactly_what_the_category_rules_find() -> None:
    """The combined pattern only skips messages: every message is matched the same with it as
    without it (a screen matching everything sends every message down the exact path)."""
    import tomllib
    from importlib import resources

    from bot.domain.guidance.signals import DistressSignals, default_signals

    screened = default_signals()
    assert screened.anything is not None
    exact = DistressSignals(screened.categories, anything=re.compile(""))
    tables = tomllib.loads(
        resources.files("bot.domain.guidance").joinpath("signals.toml").read_text(encoding="utf-8")
    )["signals"]
    phrases = [p for table in tables.values() for p in table.get("phrases", [])]
    samples = [
        *phrases,
        *(f"honestly, {p}!!" for p in phrases),
        "this boss is killing me lol",
        "I'm dying of laughter",
        "I can't go on like this anymore.",
        "I'm so alone",
        "my grandma passed away last week",
        "gg everyone, see you at the raid tonight",
        "",
    ]
    for text in samples:
        assert screened.match(text) == exact.match(text), text


def test_every_prompt_reads_at_a_glance(library: PromptLibrary) -> None:
    """A moderator first sees about 80 words: one phrasing, the question, the next action."""
    from bot.domain.guidance import SITUATIONS, brief_prompt_text

    for situation in SITUATIONS:
        prompt = library.prompt(situation)
        brief = brief_prompt_text(prompt)
        assert len(brief.split()) <= 80, situation
        assert prompt.phrasings[0] in brief and prompt.question in brief and prompt.next_action in brief
        assert not any(line in brief for line in prompt.avoid), situation
