"""The transcript file in a real browser: headless Chromium (Debian's package) driven by Playwright.

The page must render the messages, make no network request at all, and run no script from
hostile content. A screenshot is kept under tests/artifacts/ (git-ignored) for a person to look
at. Skipped, saying why, where Playwright or Chromium isn't installed (scripts and .ci/run
install Chromium where they can).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .transcripts import ATTACKS, sample_page

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = os.environ.get("TEND_CHROMIUM") or next(
    (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))),
    None,
)

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright isn't installed (it is a dev dependency: scripts/test installs it)",
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium on this machine (apt-get install chromium, or set TEND_CHROMIUM to a Chrome binary)",
)


def test_the_transcript_renders_offline_and_runs_no_script() -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page_file = ARTIFACTS / "transcript.html"
    page_file.write_text(sample_page(), encoding="utf-8")
    url = page_file.resolve().as_uri()

    requests: list[str] = []
    console: list[str] = []
    dialogs: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 980, "height": 900}, java_script_enabled=True)

            def refuse(route: sync_api.Route) -> None:
                # Anything but the file itself is a network request the page must never make.
                if route.request.url != url:
                    requests.append(route.request.url)
                    route.abort()
                else:
                    route.continue_()

            context.route("**/*", refuse)
            page = context.new_page()
            page.on("request", lambda r: r.url != url and requests.append(r.url))
            page.on("console", lambda m: console.append(m.text))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(url, wait_until="load")
            page.wait_for_timeout(300)  # give any injected handler (onerror, onload) its chance

            # The messages render, by name and in order, with the hostile text as text.
            messages = page.locator(".msg")
            assert messages.count() == 8
            assert page.locator(".name").first.inner_text() == "Tend"
            body = page.inner_text("main")
            assert body.index("thanks for coming") < body.index("Thank you for showing me")
            for attack in ATTACKS.values():
                assert attack in body, attack
            assert page.locator("blockquote").count() >= 1 and page.locator("pre code").count() == 1

            # No script ran: the title is Tend's, there is no script element, no dialog, no
            # console error (a blocked inline script would log a CSP violation), and every link
            # goes to an https address.
            assert page.title() == "support-0007 · Haven"
            assert page.locator("script").count() == 0 and page.locator("img, svg, iframe").count() == 0
            assert not dialogs and not console, (dialogs, console)
            hrefs = page.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href'))")
            assert hrefs and all(h.startswith("https://") for h in hrefs)

            # Following a link is a person's choice, not something the page does on its own.
            assert requests == []
            page.screenshot(path=str(ARTIFACTS / "transcript.png"), full_page=True)
        finally:
            browser.close()
    assert (ARTIFACTS / "transcript.png").stat().st_size > 10_000
