"""The transcript file: reads like Discord, and carries nothing but text."""

from __future__ import annotations

import html
import re
from zoneinfo import ZoneInfo

import pytest

from bot.domain.records.html import CSP, Names, render_history, render_transcript
from bot.domain.records.markdown import Rendering, render_markdown

from .transcripts import ATTACKS, MEMBER, MOD, at, sample, sample_page

BERLIN = ZoneInfo("Europe/Berlin")


def md(text: str) -> str:
    return render_markdown(
        text, Rendering(zone=BERLIN, user_name=lambda i: {MEMBER: "river"}.get(i, "someone"))
    )


def test_hostile_text_is_shown_as_text() -> None:
    page = sample_page()
    for name, attack in ATTACKS.items():
        if name != "style":  # its address becomes a link (checked below), the rest stays text
            assert html.escape(attack, quote=True) in page, attack
    assert "&lt;style&gt;body{background:url(" in page
    # The only tags are Tend's: no script, no event handler, no style or link Tend didn't write.
    tags = {t.lower() for t in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", page)}
    assert tags <= {
        "html", "head", "meta", "title", "style", "body", "main", "section", "header", "h1", "h2",
        "div", "span", "time", "strong", "em", "u", "s", "blockquote", "pre", "code", "a", "br",
        "details", "summary", "ul", "li", "footer", "p",
    }  # fmt: skip
    assert page.count("<style>") == 1 and "<script" not in page.lower()
    # Escaped text holds no "<": every tag found is a real one, and none has an event handler.
    for tag in re.findall(r"<[a-zA-Z][^>]*>", page):
        assert not re.search(r"\son[a-z]+\s*=", tag), tag
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(h.startswith("https://") for h in hrefs), hrefs


def test_the_page_forbids_every_fetch_and_script() -> None:
    page = sample_page()
    head = page[: page.index("</head>")]
    # The policy comes first in <head>, before anything it governs.
    assert head.index("Content-Security-Policy") < head.index("<title>") < head.index("<style>")
    assert f'content="{CSP}"' in head
    assert "default-src 'none'" in CSP and "script-src" not in CSP and "style-src 'unsafe-inline'" in CSP
    assert not re.search(
        r"(src|url\()\s*=?\s*[\"']?https?:", page.split("</head>", 1)[1].replace("&quot;", "")
    )


def test_it_reads_like_discord() -> None:
    page = sample_page()
    # Names, initials avatars, Tend marked as a bot, times in the server's zone (CET is UTC+1).
    assert 'class="name">river<' in page and 'class="name">Ash (mod)<' in page
    assert ">R</div>" in page and ">A(</div>" not in page and ">AM</div>" in page
    assert '<span class="tag">BOT</span>' in page
    assert "2026-03-14 18:02" in page and "times in Europe/Berlin" in page
    # Quotes, bold, italics, code, spoilers, links, mentions by name; the member's language.
    assert "<blockquote>What you wrote<br>It&#x27;s been a hard week.</blockquote>" in page
    assert "<strong>a lot</strong>" in page and "<em>What&#x27;s been hardest?</em>" in page
    assert "<pre><code>/report member:@them rule:respect</code></pre>" in page
    assert '<span class="spoiler">we&#x27;ll follow up tomorrow</span>' in page
    assert '<a href="https://example.org/conduct"' in page
    assert '<span class="mention">@river</span>' in page
    assert "Member's language: German (de)" in page
    # Edits keep the earlier version; deletions are shown as such; attachments by name.
    assert "(edited)" in page and "someone kept posting ths" in page
    assert "deleted 2026-03-14 18:08" in page and "File: screenshot.png" in page
    # The timeline, in order.
    order = ["river opened the case", "Ash (mod) claimed it", "Ash (mod) closed it (Talked it through)"]
    positions = [page.index(line) for line in order]
    assert positions == sorted(positions)


def test_markdown_details() -> None:
    assert md("a *b* c") == "a <em>b</em> c"
    assert md("2*3*4") == "2*3*4"  # no italics inside a word
    assert md("`<b>`") == "<code>&lt;b&gt;</code>"
    assert md("```py\nx = '<i>'\n```") == '<pre data-lang="py"><code>x = &#x27;&lt;i&gt;&#x27;</code></pre>'
    assert md("see https://x.org/a). ok") == (
        'see <a href="https://x.org/a" rel="noopener noreferrer nofollow" target="_blank">https://x.org/a</a>). ok'
    )
    assert "href" not in md("[x](data:text/html,<script>alert(1)</script>)")
    assert "href" not in md("[x](javascript:alert(1))") and "href" not in md("<javascript:alert(1)>")
    assert md("<@&5> @here <#9> <:wave:123>") == (
        '<span class="mention">@role</span> <span class="mention">@here</span> '
        '<span class="mention">#channel</span> <span class="emoji">:wave:</span>'
    )
    assert md("**\x00 0 \x00**") == "<strong> 0 </strong>"  # a forged placeholder is just text
    assert md("<t:0:d>") == '<span class="chip">1970-01-01</span>'


def test_a_hidden_reporter_is_never_named() -> None:
    transcript = sample()
    page = render_transcript(
        transcript,
        server="Haven",
        zone=BERLIN,
        generated_at=at(30),
        names=Names({MEMBER: "river"}, hidden={MEMBER}),
    )
    assert "river" not in page and "the reporter" in page


def test_a_history_holds_each_case() -> None:
    first, second = sample(), sample()
    page = render_history("river", [first, second], server="Haven", zone=BERLIN, generated_at=at(40))
    assert page.count('<section class="case"') == 2 and "Earlier cases of river" in page
    empty = render_history("river", [], server="Haven", zone=BERLIN, generated_at=at(40))
    assert "No earlier cases" in empty


__all__ = ["MOD"]


def test_a_record_too_big_for_one_file_is_cut_saying_so() -> None:
    import dataclasses

    from bot.domain.records import Said
    from bot.domain.records.html import PAGE_BUDGET

    from .transcripts import THREAD

    # The most a case keeps: 5,000 messages of 4,000 characters, full of unmatched markers (a
    # pattern that once made formatting quadratic in a line's length).
    slow = ("*a _b " * 700)[:4000]
    many = tuple(Said(i, THREAD, MEMBER, "river", False, at(i / 60), slow) for i in range(5000))
    page = render_transcript(
        dataclasses.replace(sample(), messages=many), server="Haven", zone=BERLIN, generated_at=at(99)
    )
    assert len(page) < PAGE_BUDGET + 200_000 and "doesn&#x27;t fit in one file" not in page
    assert "doesn't fit in one file" in page and "Timeline" in page


def test_every_kinds_reference_is_understood_as_on_its_card() -> None:
    from bot.domain.errors import InvalidInput
    from bot.domain.records.service import parse_reference

    assert parse_reference("support-0001") == ("support", 1)
    assert parse_reference(" R-0003 ") == ("report", 3)
    assert parse_reference("d-12") == ("distress", 12)
    assert parse_reference("A-0004") == ("appeal", 4)  # appeals have transcripts too
    with pytest.raises(InvalidInput):
        parse_reference("x-0001")
