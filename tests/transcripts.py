"""A sample transcript with everything a case thread can hold, hostile text included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.records import Moment, Said, Transcript
from bot.domain.records.html import Names, render_transcript
from bot.domain.records.transcript import Thread

START = datetime(2026, 3, 14, 17, 2, tzinfo=UTC)
MEMBER, MOD, TEND, THREAD = 1 << 40, 1 << 41, 1 << 42, 1 << 43
ATTACKS = {
    "img": "<img src=x onerror=\"document.title='pwned'\">",
    "script": "</script><script>document.title='pwned'</script>",
    "link": "[open me](javascript:document.title='pwned')",
    "bare": "javascript:document.title='pwned'",
    "style": "<style>body{background:url(https://attacker.example/track.png)}</style>",
    "attribute": '"><svg onload="document.title=\'pwned\'">',
}


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def sample() -> Transcript:
    said = [
        Said(
            1,
            THREAD,
            TEND,
            "Tend",
            True,
            at(0),
            f"Hi <@{MEMBER}>, thank you for reaching out.\n> What you wrote\n> It's been a hard week.",
        ),
        Said(2, THREAD, MEMBER, "river", False, at(1), "thanks for coming. it's been **a lot** lately"),
        Said(3, THREAD, MOD, "Ash (mod)", False, at(3), "I'm here, take your time. _What's been hardest?_"),
        Said(
            4,
            THREAD,
            MEMBER,
            "river",
            False,
            at(4),
            "someone kept posting this in #general:",
            attachments=("screenshot.png",),
            edits=("someone kept posting ths",),
            edited_at=at(5),
        ),
        Said(5, THREAD, MEMBER, "river", False, at(4.5), "i wish they'd just leave", deleted_at=at(6)),
        Said(6, THREAD, MEMBER, "river", False, at(6), "they wrote: " + " ".join(ATTACKS.values())),
        Said(
            7,
            THREAD,
            MOD,
            "Ash (mod)",
            False,
            at(9),
            "Thank you for showing me. The rule is here: https://example.org/conduct\n"
            "```\n/report member:@them rule:respect\n```\n||we'll follow up tomorrow||",
        ),
        Said(
            8,
            THREAD,
            TEND,
            "Tend",
            True,
            at(20),
            "A moderator has closed this thread. Thank you for talking with us.",
        ),
    ]
    timeline = [
        Moment(at(0), "opened", MEMBER),
        Moment(at(0.1), "thread_created", None),
        Moment(at(2), "claimed", MOD),
        Moment(at(3), "first_reply", MOD),
        Moment(at(19), "followup_scheduled", MOD),
        Moment(at(20), "closed", MOD, {"reason": "resolved"}),
    ]
    return Transcript(
        guild_id=1,
        case_id=1,
        reference="support-0007",
        kind="support",
        status="closed",
        outcome="resolved",
        opened_at=at(0),
        closed_at=at(20),
        member_id=MEMBER,
        subject_id=None,
        holder_id=MOD,
        closed_by=MOD,
        anonymous=False,
        threads=(Thread(THREAD, "Support thread"),),
        messages=tuple(said),
        timeline=tuple(timeline),
        locale="de",
    )


def sample_page() -> str:
    return render_transcript(
        sample(),
        server="Haven",
        zone=ZoneInfo("Europe/Berlin"),
        generated_at=at(21),
        names=Names({MEMBER: "river", MOD: "Ash (mod)"}),
        channel_names={},
    )
