"""A transcript as one self-contained HTML file that reads like Discord.

Safe to open anywhere: a Content-Security-Policy in the file forbids every fetch and every
script (``default-src 'none'``; inline styles only), there is no script in it, avatars are
initials drawn with CSS (no images), and everything people wrote passes through markdown.py,
which escapes it before adding any formatting. Times are in the server's time zone.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.records.markdown import Rendering, escape, render_markdown
from bot.domain.records.transcript import Moment, Said, Transcript
from models.records import MAX_MESSAGES_PER_CASE

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"
GROUP_WITHIN = timedelta(minutes=7)
KIND_NAMES = {"support": "Support request", "report": "Conduct report", "distress": "Distress notice"}
OUTCOMES = {
    "resolved": "Talked it through",
    "referred": "Pointed to other help",
    "no_response": "No reply from the member",
    "member_closed": "Closed by the member",
    "duplicate": "Duplicate",
    "no_violation": "No violation",
    "conversation_held": "Conversation held",
    "warning": "Warning",
    "timeout": "Timeout",
    "removal": "Removal",
    "dismissed": "Dismissed",
    "reached_out": "Reached out",
    "not_needed": "Not needed",
    "other": "Other",
}
# Discord's locales, named in English for the team.
LANGUAGES = {
    "id": "Indonesian", "da": "Danish", "de": "German", "en-GB": "English (UK)", "en-US": "English (US)",
    "es-ES": "Spanish", "es-419": "Spanish (Latin America)", "fr": "French", "hr": "Croatian",
    "it": "Italian", "lt": "Lithuanian", "hu": "Hungarian", "nl": "Dutch", "no": "Norwegian",
    "pl": "Polish", "pt-BR": "Portuguese (Brazil)", "ro": "Romanian", "fi": "Finnish", "sv-SE": "Swedish",
    "vi": "Vietnamese", "tr": "Turkish", "cs": "Czech", "el": "Greek", "bg": "Bulgarian", "ru": "Russian",
    "uk": "Ukrainian", "hi": "Hindi", "th": "Thai", "zh-CN": "Chinese (China)", "ja": "Japanese",
    "zh-TW": "Chinese (Taiwan)", "ko": "Korean",
}  # fmt: skip
_PALETTE = ("#5865f2", "#3ba55c", "#faa61a", "#ed4245", "#eb459e", "#1abc9c", "#9b59b6", "#e67e22")

STYLE = """
*{box-sizing:border-box}
body{margin:0;background:#313338;color:#dbdee1;font:15px/1.375 "gg sans","Noto Sans","Helvetica Neue",Helvetica,Arial,sans-serif}
header{background:#2b2d31;padding:16px 24px;border-bottom:1px solid #1f2023}
header h1{margin:0 0 4px;font-size:20px;color:#f2f3f5}
header .facts{color:#b5bac1;font-size:13px}
header .facts span{margin-right:14px;white-space:nowrap}
main{padding:8px 0 24px}
h2{font-size:12px;text-transform:uppercase;letter-spacing:.02em;color:#949ba4;margin:20px 24px 6px}
.case{border-top:4px solid #1f2023;margin-top:8px}
.msg{display:flex;padding:2px 24px 2px 16px;position:relative}
.msg:hover{background:#2e3035}
.msg.first{margin-top:14px}
.avatar{flex:0 0 40px;height:40px;border-radius:50%;color:#fff;font-weight:700;font-size:15px;display:flex;align-items:center;justify-content:center;margin-right:16px}
.gutter{flex:0 0 40px;margin-right:16px;color:#949ba4;font-size:11px;text-align:right;padding-top:3px;visibility:hidden}
.msg:hover .gutter{visibility:visible}
.body{min-width:0;flex:1}
.name{font-weight:600;color:#f2f3f5;margin-right:6px}
.tag{background:#5865f2;color:#fff;font-size:10px;border-radius:3px;padding:1px 4px;margin-right:6px;vertical-align:1px}
.time{color:#949ba4;font-size:12px}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
.edited{color:#949ba4;font-size:10px;margin-left:4px}
.deleted .text{text-decoration:line-through;color:#a0a4ab}
.deleted{border-left:3px solid #ed4245}
.badge{font-size:11px;color:#fff;background:#ed4245;border-radius:3px;padding:0 4px;margin-left:6px}
.erased{color:#949ba4;font-style:italic}
details{color:#949ba4;font-size:13px;margin:2px 0}
details .text{color:#b5bac1;border-left:2px solid #4e5058;padding-left:8px;margin:4px 0}
.attachment{display:inline-block;background:#2b2d31;border:1px solid #1f2023;border-radius:6px;padding:6px 10px;margin:4px 6px 0 0;font-size:13px;color:#00a8fc}
blockquote{margin:2px 0;padding:0 0 0 12px;border-left:4px solid #4e5058}
code{background:#2b2d31;border-radius:3px;padding:0 3px;font:13px/1.3 Consolas,"Andale Mono",monospace}
pre{background:#2b2d31;border:1px solid #1e1f22;border-radius:4px;padding:8px;margin:4px 0;white-space:pre-wrap;max-width:90ch}
pre code{background:none;padding:0}
a{color:#00a8fc;text-decoration:none}
a:hover{text-decoration:underline}
.mention{background:rgba(88,101,242,.3);color:#c9cdfb;border-radius:3px;padding:0 2px}
.chip{background:#2b2d31;border-radius:3px;padding:0 2px}
.spoiler{background:#1e1f22;color:#1e1f22;border-radius:3px}
.spoiler:hover{color:#dbdee1}
.h1{font-size:22px;font-weight:700}.h2{font-size:19px;font-weight:700}.h3{font-size:16px;font-weight:700}
.subtext{font-size:12px;color:#949ba4}
.timeline{list-style:none;margin:0;padding:0 24px}
.timeline li{padding:3px 0 3px 14px;border-left:2px solid #4e5058;color:#b5bac1;font-size:13px}
.timeline .when{color:#949ba4;margin-right:8px}
.empty{color:#949ba4;font-style:italic;padding:4px 24px}
.note{color:#949ba4;font-size:12px;padding:0 24px}
footer{color:#949ba4;font-size:12px;padding:12px 24px;border-top:1px solid #1f2023}
"""

TIMELINE = {
    "opened": "opened the case",
    "reported": "filed the report",
    "noticed": "Tend noticed a message that may need care",
    "thread_created": "the private thread was made",
    "claimed": "claimed it (acknowledged)",
    "moderator_added": "joined the case",
    "handed_off": "handed it off",
    "first_reply": "first moderator reply",
    "kept_open": "the member asked to keep the thread open",
    "member_left": "the member left the server",
    "escalated": "the on-call role was pinged",
    "closed": "closed it",
    "resolved": "resolved it",
    "dismissed": "dismissed it",
    "reached_out": "reached out",
    "not_needed": "marked it not needed",
    "reopened": "reopened it",
    "survey_answered": "the member answered the survey",
    "talk_reporter": "opened a conversation with the reporter",
    "talk_reported": "opened a conversation with the reported member",
    "reporter_revealed": "looked up who filed the report",
    "followup_scheduled": "scheduled a follow-up",
    "purged": "the retention period passed",
}


# A page stays under Discord's upload limit for bots (10 MiB), whatever the record holds.
PAGE_BUDGET = 7_000_000


class Budget:
    """What is left of a page's size: rendering stops, saying so, when it runs out."""

    def __init__(self, chars: int = PAGE_BUDGET):
        self.left = chars

    def spend(self, fragment: str) -> str:
        self.left -= len(fragment)
        return fragment


class Names:
    """Who is who in a transcript: the names people had when they wrote, ids otherwise, and the
    people the reader must not see named (an anonymous reporter)."""

    def __init__(
        self,
        known: Mapping[int, str] | None = None,
        *,
        hidden: Iterable[int] = (),
        hidden_as: str = "the reporter",
    ):
        self.known = dict(known or {})
        self.hidden = frozenset(hidden)
        self.hidden_as = hidden_as

    def learn(self, transcript: Transcript) -> None:
        for said in transcript.messages:
            if said.author_id is not None and said.name:
                self.known.setdefault(said.author_id, said.name)

    def of(self, user_id: int | None, *, unknown: str = "someone") -> str:
        if user_id is None:
            return unknown
        if user_id in self.hidden:
            return self.hidden_as
        return self.known.get(user_id) or f"user {user_id}"


def initials(name: str) -> str:
    words = re.findall(r"[^\W_]+", name)
    letters = "".join(w[0] for w in words[:2]) or "?"
    return letters.upper()


def colour(key: int | str | None) -> str:
    digest = hashlib.sha256(str(key).encode()).digest()
    return _PALETTE[digest[0] % len(_PALETTE)]


def _time(value: datetime, zone: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(zone).strftime(fmt)


def _language(locale: str | None) -> str:
    if not locale:
        return "not known"
    name = LANGUAGES.get(locale)
    return f"{name} ({locale})" if name else locale


def _message(said: Said, first: bool, names: Names, ctx: Rendering, zone: ZoneInfo) -> str:
    hidden = said.author_id in names.hidden
    name = names.hidden_as if hidden else (said.name or names.of(said.author_id))
    key = "hidden" if hidden else said.author_id
    when = _time(said.at, zone)
    classes = ["msg"] + (["first"] if first else []) + (["deleted"] if said.deleted_at else [])
    parts = [f'<div class="{" ".join(classes)}" id="m{said.message_id}">']
    if first:
        parts.append(
            f'<div class="avatar" style="background:{colour(key)}" aria-hidden="true">{escape(initials(name))}</div>'
        )
    else:
        parts.append(f'<div class="gutter">{escape(_time(said.at, zone, "%H:%M"))}</div>')
    parts.append('<div class="body">')
    if first:
        tag = '<span class="tag">BOT</span>' if said.bot else ""
        parts.append(
            f'<div><span class="name">{escape(name)}</span>{tag}'
            f'<time class="time" datetime="{said.at.isoformat()}">{escape(when)}</time></div>'
        )
    if said.erased:
        parts.append('<div class="text erased">(removed at the author\'s request)</div>')
    else:
        text = render_markdown(said.text, ctx) if said.text else ""
        edited = ""
        if said.edited_at is not None:
            edited = f'<span class="edited" title="{escape(_time(said.edited_at, zone))}">(edited)</span>'
        deleted = ""
        if said.deleted_at is not None:
            deleted = f'<span class="badge">deleted {escape(_time(said.deleted_at, zone))}</span>'
        parts.append(f'<div class="text">{text}{edited}{deleted}</div>')
        for name_ in said.attachments:
            parts.append(f'<span class="attachment">File: {escape(name_)}</span>')
        if said.edits:
            versions = "".join(f'<div class="text">{render_markdown(e, ctx)}</div>' for e in said.edits)
            count = len(said.edits)
            parts.append(
                f"<details><summary>{count} earlier version{'s' if count > 1 else ''}</summary>{versions}</details>"
            )
    parts.append("</div></div>")
    return "".join(parts)


def _messages(messages: Sequence[Said], names: Names, ctx: Rendering, zone: ZoneInfo, budget: Budget) -> str:
    if not messages:
        return (
            '<div class="empty">No messages are kept for this thread: none were recorded, or they '
            "were removed (the retention period, or the member's request).</div>"
        )
    out: list[str] = []
    previous: Said | None = None
    for said in messages:
        first = (
            previous is None
            or previous.author_id != said.author_id
            or previous.name != said.name
            or said.at - previous.at > GROUP_WITHIN
        )
        if budget.left <= 0:
            out.append(
                '<p class="note">The rest of this thread doesn\'t fit in one file: '
                "ask for this case alone with /case transcript.</p>"
            )
            break
        out.append(budget.spend(_message(said, first, names, ctx, zone)))
        previous = said
    return "".join(out)


def _moment(moment: Moment, transcript: Transcript, names: Names, zone: ZoneInfo) -> str:
    what = TIMELINE.get(moment.action, moment.action.replace("_", " "))
    if moment.actor_id is None and moment.action == "reported":
        who = "The reporter (anonymous)" if transcript.anonymous else "The reporter"
    elif moment.actor_id is None:
        who = ""  # Tend itself, or something that happened
    else:
        who = names.of(moment.actor_id)
    extra = []
    if moment.action == "handed_off" and isinstance(moment.detail.get("to"), int):
        extra.append(f"to {names.of(moment.detail['to'])}")
    outcome = moment.detail.get("outcome") or moment.detail.get("reason")
    if isinstance(outcome, str):
        extra.append(f"({OUTCOMES.get(outcome, outcome)})")
    line = " ".join([who, what, *extra]).strip()
    if not who:
        line = line[:1].upper() + line[1:]
    return f'<li><span class="when">{escape(_time(moment.at, zone))}</span>{escape(line)}</li>'


def _case_section(
    transcript: Transcript, names: Names, ctx: Rendering, zone: ZoneInfo, budget: Budget
) -> str:
    t = transcript
    facts = [f"<span>{escape(KIND_NAMES.get(t.kind, t.kind))}</span>"]
    if t.kind == "report":
        facts.append(f"<span>About: {escape(names.of(t.subject_id, unknown='not recorded'))}</span>")
        reporter = "anonymous" if t.anonymous else names.of(t.member_id, unknown="not recorded")
        facts.append(f"<span>Filed by: {escape(reporter)}</span>")
    else:
        facts.append(f"<span>Member: {escape(names.of(t.member_id, unknown='not recorded'))}</span>")
        facts.append(f"<span>Member's language: {escape(_language(t.locale))}</span>")
    facts.append(f"<span>Opened: {escape(_time(t.opened_at, zone))}</span>")
    if t.closed_at:
        facts.append(f"<span>Closed: {escape(_time(t.closed_at, zone))}</span>")
    facts.append(f"<span>Status: {escape(t.status)}</span>")
    if t.outcome:
        facts.append(f"<span>Outcome: {escape(OUTCOMES.get(t.outcome, t.outcome))}</span>")
    facts.append(f"<span>Held by: {escape(names.of(t.holder_id, unknown='nobody'))}</span>")
    out = [
        f'<section class="case" id="{escape(t.reference)}"><header><h1>{escape(t.reference)}</h1>'
        f'<div class="facts">{" ".join(facts)}</div></header>'
    ]
    for thread in t.threads:
        out.append(f"<h2>{escape(thread.label)}</h2>")
        out.append(_messages(t.in_thread(thread.thread_id), names, ctx, zone, budget))
    if not t.threads:
        out.append('<div class="empty">This case had no private thread.</div>')
    if len(t.messages) >= MAX_MESSAGES_PER_CASE:
        out.append(f'<p class="note">Only the first {MAX_MESSAGES_PER_CASE} messages were kept.</p>')
    out.append("<h2>Timeline</h2>")
    if t.timeline:
        out.append('<ul class="timeline">')
        out.extend(_moment(m, t, names, zone) for m in t.timeline)
        out.append("</ul>")
    else:
        out.append('<div class="empty">Nothing recorded.</div>')
    out.append("</section>")
    return "".join(out)


def _page(title: str, body: str, footer: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main><footer>{escape(footer)}</footer></body></html>\n"
    )


def _footer(server: str, zone: ZoneInfo, generated_at: datetime) -> str:
    return (
        f"{server} · times in {zone.key} · written by Tend {_time(generated_at, zone)} · "
        "private to the moderators: please don't share it outside the team."
    )


def render_transcript(
    transcript: Transcript,
    *,
    server: str,
    zone: ZoneInfo,
    generated_at: datetime,
    names: Names | None = None,
    channel_names: Mapping[int, str] | None = None,
) -> str:
    """The case's transcript as one HTML document."""
    names = names or Names()
    names.learn(transcript)
    ctx = Rendering(zone=zone, user_name=names.of, channel_names=channel_names)
    body = _case_section(transcript, names, ctx, zone, Budget())
    title = f"{transcript.reference} · {server}"
    return _page(title, body, _footer(server, zone, generated_at))


def render_history(
    member: str,
    transcripts: Sequence[Transcript],
    *,
    server: str,
    zone: ZoneInfo,
    generated_at: datetime,
    names: Names | None = None,
    channel_names: Mapping[int, str] | None = None,
) -> str:
    """A member's earlier cases, each with its transcript, as one HTML document."""
    names = names or Names()
    for transcript in transcripts:
        names.learn(transcript)
    ctx = Rendering(zone=zone, user_name=names.of, channel_names=channel_names)
    intro = (
        f'<header><h1>Earlier cases of {escape(member)}</h1><div class="facts">'
        f"<span>{len(transcripts)} case(s), newest first</span></div></header>"
    )
    budget = Budget()
    body = intro + "".join(_case_section(t, names, ctx, zone, budget) for t in transcripts)
    if not transcripts:
        body += '<div class="empty">No earlier cases.</div>'
    return _page(f"{member} · {server}", body, _footer(server, zone, generated_at))
