"""Discord's markdown, rendered to HTML that can carry nothing but text.

Everything a person wrote is HTML-escaped first; formatting is then applied to the escaped
text only, so the tags added here are the only tags there are. Links are made only of
``http(s)://`` addresses (never ``javascript:``, ``data:`` ...), open nothing by themselves,
and show where they go. Mentions show a name, never ping anyone (it's a file).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

_CODE_BLOCK = re.compile(r"```(?:([A-Za-z0-9_+#.-]{1,20})\n)?(.*?)```", re.DOTALL)
_INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_MASKED_LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\((https?://[^\s()<>\"']{1,2000})\)")
# On escaped text: an address ends where an escaped <, >, " or ' begins.
_URL = re.compile(r"https?://(?:(?!&lt;|&gt;|&quot;|&#x27;)[^\s<>\"']){1,2000}")
_TRAILING = ".,:;!?)]}'"
_PLACEHOLDER = re.compile("\x00([0-9]+)\x00")

_USER = re.compile(r"&lt;@!?([0-9]{1,20})&gt;")
_ROLE = re.compile(r"&lt;@&amp;([0-9]{1,20})&gt;")
_CHANNEL = re.compile(r"&lt;#([0-9]{1,20})&gt;")
_EMOJI = re.compile(r"&lt;a?:([A-Za-z0-9_]{1,32}):[0-9]{1,20}&gt;")
_TIMESTAMP = re.compile(r"&lt;t:(-?[0-9]{1,13})(?::([tTdDfFR]))?&gt;")
_MASS = re.compile(r"@(everyone|here)\b")

_INLINE_STYLES = (
    (re.compile(r"\*\*(.+?)\*\*", re.DOTALL), "strong"),
    (re.compile(r"__(.+?)__", re.DOTALL), "u"),
    # An italic span can't hold its own marker: each try stops at the next one, so a line full
    # of unmatched markers costs linear time, not quadratic.
    (re.compile(r"(?<![\w*])\*(?![\s*])([^*]+?)(?<![\s*])\*(?![\w*])"), "em"),
    (re.compile(r"(?<![\w_])_(?![\s_])([^_]+?)(?<![\s_])_(?![\w_])"), "em"),
    (re.compile(r"~~(.+?)~~", re.DOTALL), "s"),
)
_SPOILER = re.compile(r"\|\|(.+?)\|\|", re.DOTALL)
_HEADING = re.compile(r"^(#{1,3}) (.+)$")
_SUBTEXT = re.compile(r"^-# (.+)$")
_BULLET = re.compile(r"^(\s*)[-*] (.+)$")


def escape(text: str) -> str:
    return html.escape(text, quote=True)


class Rendering:
    """What the renderer needs to know besides the text: names for ids, and the reader's zone."""

    def __init__(
        self,
        *,
        zone: ZoneInfo,
        user_name: Callable[[int], str],
        channel_names: Mapping[int, str] | None = None,
    ):
        self.zone = zone
        self.user_name = user_name
        self.channel_names = channel_names or {}


def _stash(stash: list[str], fragment: str) -> str:
    stash.append(fragment)
    return f"\x00{len(stash) - 1}\x00"


def _link(url: str, label: str | None = None) -> str:
    """An escaped http(s) address as a link that shows where it goes."""
    shown = label if label is not None else url
    title = f' title="{url}"' if label is not None else ""
    return f'<a href="{url}" rel="noopener noreferrer nofollow" target="_blank"{title}>{shown}</a>'


def _timestamp(seconds: str, style: str | None, zone: ZoneInfo) -> str:
    try:
        moment = datetime.fromtimestamp(int(seconds), UTC).astimezone(zone)
    except (OverflowError, OSError, ValueError):
        return escape(f"<t:{seconds}>")
    formats = {"t": "%H:%M", "T": "%H:%M:%S", "d": "%Y-%m-%d", "D": "%d %B %Y"}
    text = moment.strftime(formats.get(style or "", "%d %B %Y %H:%M"))
    return f'<span class="chip">{escape(text)}</span>'


def _inline(escaped: str, ctx: Rendering, stash: list[str]) -> str:
    """Formatting on one escaped stretch of text (no code in it)."""

    def masked(match: re.Match[str]) -> str:
        return _stash(stash, _link(match[2], match[1]))

    def bare(match: re.Match[str]) -> str:
        url = match[0]
        tail = ""
        while url and url[-1] in _TRAILING:
            url, tail = url[:-1], url[-1] + tail
        # An escaped "&gt;" or "&quot;" at the end belongs to the text around the address.
        for entity in ("&gt;", "&lt;", "&quot;", "&#x27;"):
            if url.endswith(entity):
                url, tail = url[: -len(entity)], entity + tail
        return _stash(stash, _link(url)) + tail if url else match[0]

    text = _MASKED_LINK.sub(masked, escaped)
    text = _URL.sub(bare, text)
    text = _ROLE.sub(lambda m: _stash(stash, '<span class="mention">@role</span>'), text)
    text = _USER.sub(
        lambda m: _stash(stash, f'<span class="mention">@{escape(ctx.user_name(int(m[1])))}</span>'), text
    )
    text = _CHANNEL.sub(
        lambda m: _stash(
            stash, f'<span class="mention">#{escape(ctx.channel_names.get(int(m[1]), "channel"))}</span>'
        ),
        text,
    )
    text = _EMOJI.sub(lambda m: _stash(stash, f'<span class="emoji">:{m[1]}:</span>'), text)
    text = _TIMESTAMP.sub(lambda m: _stash(stash, _timestamp(m[1], m[2], ctx.zone)), text)
    text = _MASS.sub(lambda m: _stash(stash, f'<span class="mention">@{m[1]}</span>'), text)
    for pattern, tag in _INLINE_STYLES:
        text = pattern.sub(rf"<{tag}>\1</{tag}>", text)
    return _SPOILER.sub(lambda m: f'<span class="spoiler">{m[1]}</span>', text)


def _lines(text: str, ctx: Rendering, stash: list[str]) -> str:
    """Plain text (no code blocks): inline code set aside, then quotes, headings, lists, styles."""
    text = _INLINE_CODE.sub(lambda m: _stash(stash, f"<code>{escape(m[2])}</code>"), text)
    out: list[str] = []
    quoting_rest = False
    quote: list[str] = []

    def flush_quote() -> None:
        if quote:
            out.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
            quote.clear()

    for line in text.split("\n"):
        if quoting_rest:
            quote.append(_inline(escape(line), ctx, stash))
            continue
        if line.startswith(">>> "):
            flush_quote()
            quoting_rest = True
            quote.append(_inline(escape(line[4:]), ctx, stash))
            continue
        if line.startswith("> ") or line == ">":
            quote.append(_inline(escape(line[2:]), ctx, stash))
            continue
        flush_quote()
        heading = _HEADING.match(line)
        subtext = _SUBTEXT.match(line)
        bullet = _BULLET.match(line)
        if heading:
            level = len(heading[1])
            out.append(f'<div class="h{level}">{_inline(escape(heading[2]), ctx, stash)}</div>')
        elif subtext:
            out.append(f'<div class="subtext">{_inline(escape(subtext[1]), ctx, stash)}</div>')
        elif bullet:
            out.append(f'<div class="bullet">• {_inline(escape(bullet[2]), ctx, stash)}</div>')
        else:
            out.append(_inline(escape(line), ctx, stash) + "<br>")
    flush_quote()
    rendered = "".join(out)
    return rendered[:-4] if rendered.endswith("<br>") else rendered


def render_markdown(text: str, ctx: Rendering) -> str:
    """A message's text as safe HTML, formatted the way Discord shows it."""
    text = text.replace("\x00", "")
    stash: list[str] = []
    parts: list[str] = []
    last = 0
    for block in _CODE_BLOCK.finditer(text):
        parts.append(_lines(text[last : block.start()], ctx, stash))
        language = f' data-lang="{escape(block[1])}"' if block[1] else ""
        code = block[2].strip("\n")
        parts.append(_stash(stash, f"<pre{language}><code>{escape(code)}</code></pre>"))
        last = block.end()
    parts.append(_lines(text[last:], ctx, stash))
    rendered = "".join(parts)
    # Placeholders may nest (a link inside a spoiler): restore until none is left.
    for _ in range(3):
        rendered = _PLACEHOLDER.sub(lambda m: stash[int(m[1])], rendered)
    return rendered
