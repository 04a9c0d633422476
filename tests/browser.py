"""Opening the HTML outreach writes in a real headless Chromium, as a person would see it.

Playwright for Python drives Debian's ``chromium`` (the test machines cannot download browser builds).
Without Chromium the browser tests are skipped with the reason; ``.ci/run`` sets ``OUTREACH_REQUIRE_BROWSER=1``,
which turns a missing browser into a failure, so CI always runs them. Screenshots land in
``test-artefacts/screenshots`` (or ``$OUTREACH_ARTEFACTS``) for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Set by .ci/run: a missing Chromium or Playwright fails the run instead of skipping.
REQUIRE_VARIABLE = "OUTREACH_REQUIRE_BROWSER"
#: Where Debian installs Chromium; ``OUTREACH_CHROMIUM`` points elsewhere.
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
#: Page sizes a person uses: a phone, and an A4 sheet at 96 dpi (210 mm x 297 mm).
PHONE = {"width": 390, "height": 844}
A4 = {"width": 794, "height": 1123}
#: A desktop screen, for the office's web page.
DESKTOP = {"width": 1280, "height": 800}
#: axe-core, vendored for the accessibility checks (tests/vendor/README.md).
AXE_SCRIPT = ROOT / "tests" / "vendor" / "axe.min.js"
#: The impacts of an accessibility violation that fail a page.
AXE_FAILING = ("serious", "critical")
#: Flags for a headless browser on a closed network, as root, without background traffic.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def artefacts_folder() -> Path:
    folder = Path(os.environ.get("OUTREACH_ARTEFACTS", ROOT / "test-artefacts")) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def chromium_executable() -> str | None:
    configured = os.environ.get("OUTREACH_CHROMIUM")
    if configured:
        return configured
    return next((found for name in CHROMIUM_CANDIDATES if (found := shutil.which(name))), None)


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_VARIABLE}=1 requires the browser tests to run")
    pytest.skip(f"{reason}: install Debian's chromium (`apt-get install chromium`) to run the browser tests")


@dataclass
class OpenedPage:
    """A page opened from a file, with what it asked the network for and what it logged as errors."""

    page: Any  # playwright.sync_api.Page
    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    #: The messages of alert/confirm/prompt dialogs the page opened (each dismissed): a script ran.
    dialogs: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The text a person sees (hidden elements excluded)."""
        return str(self.page.inner_text("body"))

    def screenshot(self, name: str, full_page: bool = True) -> Path:
        path = artefacts_folder() / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def horizontal_overflow(self) -> int:
        """How many CSS pixels the page is wider than its window (0: no sideways scrolling)."""
        return int(
            self.page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        )

    def accessibility_violations(self, impacts: tuple[str, ...] = AXE_FAILING) -> list[str]:
        """axe-core's violations of ``impacts`` on the page as it is now, one line each (rule, impact, where).

        The script is evaluated through the DevTools protocol, which the page's Content-Security-Policy does
        not govern, so the page keeps its real CSP (an injected ``<script>`` element would be refused)."""
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
        found = self.page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        return [
            f"{violation['id']} ({violation['impact']}): {violation['help']} at "
            + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            for violation in found["violations"]
            if violation["impact"] in impacts
        ]


class Browser:
    """One headless Chromium for the session; each ``open`` is a fresh context with its own size."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self._contexts: list[Any] = []

    def open(self, file: Path, viewport: dict[str, int] = A4, media: str = "screen") -> OpenedPage:
        """Open ``file`` at ``viewport``; every request that is not the file itself is recorded and refused."""
        context = self._browser.new_context(viewport=viewport, java_script_enabled=True)
        self._contexts.append(context)
        page = context.new_page()
        opened = OpenedPage(page)
        own = file.resolve().as_uri()
        page.on("console", lambda message: message.type == "error" and opened.console_errors.append(message.text))
        page.on("pageerror", lambda error: opened.console_errors.append(str(error)))

        def route(request_route: Any) -> None:
            url = request_route.request.url
            if url == own or url.startswith("data:"):
                request_route.continue_()
            else:
                opened.outside_requests.append(url)
                request_route.abort()

        page.route("**/*", route)
        page.emulate_media(media=media)
        page.goto(own)
        page.wait_for_load_state("load")
        return opened

    def site(self, base_url: str, viewport: dict[str, int] = DESKTOP) -> Site:
        """A fresh browser (its own cookies) on the page served at ``base_url``, at ``viewport``."""
        context = self._browser.new_context(viewport=viewport, java_script_enabled=True)
        self._contexts.append(context)
        return Site(context, base_url.rstrip("/"))

    def visit(self, url: str, viewport: dict[str, int] = A4) -> OpenedPage:
        """Open ``url`` of a page served on this machine (``live_office``) at ``viewport``; every request to
        another origin is recorded and refused, so a page that loads anything from outside is caught."""
        context = self._browser.new_context(viewport=viewport, java_script_enabled=True)
        self._contexts.append(context)
        page = context.new_page()
        opened = OpenedPage(page)
        origin = "/".join(url.split("/")[:3]) + "/"
        page.on("console", lambda message: message.type == "error" and opened.console_errors.append(message.text))
        page.on("pageerror", lambda error: opened.console_errors.append(str(error)))

        def route(request_route: Any) -> None:
            target = request_route.request.url
            if target.startswith((origin, "data:")):
                request_route.continue_()
            else:
                opened.outside_requests.append(target)
                request_route.abort()

        page.route("**/*", route)
        page.goto(url)
        page.wait_for_load_state("load")
        return opened

    def close(self) -> None:
        for context in self._contexts:
            context.close()
        self._browser.close()


class Site:
    """One browser's visit to a served page: its cookies last from page to page, as a person's do."""

    def __init__(self, context: Any, base_url: str) -> None:
        self._context = context
        self.base_url = base_url

    def open(self, path: str) -> OpenedPage:
        """Open ``path`` on the site; every request to another origin is recorded and refused."""
        page = self._context.new_page()
        opened = OpenedPage(page)
        page.on("console", lambda message: message.type == "error" and opened.console_errors.append(message.text))
        page.on("pageerror", lambda error: opened.console_errors.append(str(error)))

        def dialog(shown: Any) -> None:
            opened.dialogs.append(str(shown.message))
            shown.dismiss()

        page.on("dialog", dialog)

        def route(request_route: Any) -> None:
            url = request_route.request.url
            if url == self.base_url or url.startswith((self.base_url + "/", "data:")):
                request_route.continue_()
            else:
                opened.outside_requests.append(url)
                request_route.abort()

        page.route("**/*", route)
        page.goto(self.base_url + path)
        page.wait_for_load_state("load")
        return opened

    def sign_in(self, name: str, password: str) -> OpenedPage:
        """Sign in through the page's own form, as a person does; the browser keeps the session's cookie."""
        opened = self.open("/masuk")
        opened.page.fill("#name", name)
        opened.page.fill("#password", password)
        with opened.page.expect_navigation():
            opened.page.click("form.narrow button[type=submit]")
        opened.page.wait_for_load_state("load")
        return opened


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """A headless Chromium, or a skip (a failure under ``OUTREACH_REQUIRE_BROWSER=1``) saying what is missing."""
    executable = chromium_executable()
    if executable is None:
        _unavailable("Chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        shared = Browser(playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS))
        try:
            yield shared
        finally:
            shared.close()
