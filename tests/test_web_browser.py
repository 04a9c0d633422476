"""The office's web page in a real Chromium, as an admin and an agency's head see it on a phone and a desk.

Every page of the menu the account may open (from ``ROUTES``), and the detail pages of a post, an
innovation and a reply, are opened after signing in through the form: no console error, nothing asked
of another origin than the page's own, no sideways scrolling on a phone, no ``serious`` or ``critical``
violation that axe-core (vendored, tests/vendor) finds, and a screenshot of each for a person to look at.
"""

from __future__ import annotations

import re

import pytest

from outreach.accounts import allowed
from outreach.model import PostState
from outreach.web.routes import Route
from tests.browser import DESKTOP, PHONE, Browser, OpenedPage
from tests.engine_helpers import settle_as
from tests.test_web_security import Things, arguments, load_routes, object_of, things_of, url_of
from tests.web_helpers import KTP, NOW, PASSWORD, Office

WIDTHS = {"phone": PHONE, "desktop": DESKTOP}
#: The accounts that see the most and the least: the office's admin and an agency's head (Dukcapil).
ACCOUNTS = ("admin", "kadis-dukcapil")


def pages_for(office: Office, account: str, things: Things) -> tuple[list[str], dict[str, str]]:
    """The menu's paths the account should see, and endpoint -> path of each page it may open: the
    menu's, then one post, innovation and reply."""
    user = next(user for user in office.workspace.store.users() if user.name == account)
    routes = load_routes()

    def may(route: Route) -> bool:
        return route.permission is None or allowed(user, route.permission)

    menu = sorted((route for route in routes if route.menu and may(route)), key=lambda route: route.menu_order)
    found = {route.endpoint: route.rule for route in menu}
    for route in routes:
        names = arguments(route)
        single = len(names) == 1 and re.fullmatch(r"/[a-z]+/<[^>]+>", route.rule)
        if (
            single
            and "GET" in route.methods
            and may(route)
            and object_of(route, names[0][1]) in ("post", "innovation", "reply")
        ):
            found[route.endpoint] = url_of(route, things)
    return [route.rule for route in menu], found


def troubles(opened: OpenedPage, width: str) -> list[str]:
    """Everything wrong with an opened page, one line each."""
    found = [f"console: {error}" for error in opened.console_errors]
    found += [f"asked another origin: {url}" for url in opened.outside_requests]
    found += [f"dialog: {message}" for message in opened.dialogs]
    if width == "phone" and (overflow := opened.horizontal_overflow()) > 0:
        found.append(f"{overflow} px wider than the phone: sideways scrolling")
    found += [f"axe: {violation}" for violation in opened.accessibility_violations()]
    return found


def a_busy_day(office: Office) -> Things:
    """Today as the office sees it: a post out, one failed, a citizen's reply waiting."""
    things = things_of(office)
    store = office.workspace.store
    failed = next(post for post in store.posts(states=[PostState.PLANNED]) if post.innovation_id != KTP)
    settle_as(store, failed.id, PostState.FAILED, NOW, "the platform refused the token")
    return things


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("account", ACCOUNTS)
def test_every_page_reads_well_at_every_width(
    browser: Browser, office: Office, live_office: str, account: str, width: str
) -> None:
    things = a_busy_day(office)
    site = browser.site(live_office, WIDTHS[width])
    signed = site.sign_in(account, PASSWORD)
    assert signed.page.url == live_office + "/", signed.text()
    menu, pages = pages_for(office, account, things)
    shown_menu = signed.page.eval_on_selector_all("nav a", "links => links.map(link => link.getAttribute('href'))")
    assert shown_menu == menu
    wrong = {}
    for endpoint, path in pages.items():
        opened = site.open(path)
        opened.screenshot(f"web-{account}-{width}-{endpoint}")
        if found := troubles(opened, width):
            wrong[f"{path} ({endpoint})"] = found
        opened.page.close()
    assert not wrong, "\n".join(f"{page}: {problem}" for page, problems in wrong.items() for problem in problems)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_sign_in_page_reads_well(browser: Browser, live_office: str, width: str) -> None:
    opened = browser.site(live_office, WIDTHS[width]).open("/masuk")
    opened.screenshot(f"web-sign-in-{width}")
    assert troubles(opened, width) == []
    assert opened.page.get_attribute("html", "lang") == "en"  # the tests read English (conftest)


def test_a_planted_violation_is_caught(browser: Browser, live_office: str) -> None:
    """The checks can fail: an image without text, faint text, a too-wide block, a dialog, an inline script."""
    opened = browser.site(live_office, PHONE).open("/masuk")
    opened.page.evaluate(
        """() => {
            const image = document.createElement('img');
            image.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
            document.querySelector('main').append(image);
            const wide = document.createElement('div');
            wide.textContent = 'lebar';
            wide.style.width = '2000px';
            wide.style.color = '#eeeeee';
            document.querySelector('main').append(wide);
            const script = document.createElement('script');
            script.textContent = 'window.ran = true';
            document.body.append(script);
        }"""
    )
    opened.page.evaluate("() => alert('planted')")
    found = troubles(opened, "phone")
    assert "dialog: planted" in found and opened.page.evaluate("() => window.ran") is None
    assert any(problem.startswith("console: ") and "Content Security Policy" in problem for problem in found), found
    assert any(problem.startswith("axe: image-alt (critical)") for problem in found), found
    assert any(problem.startswith("axe: color-contrast (serious)") for problem in found), found
    assert any("sideways scrolling" in problem for problem in found), found


@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_busy_day_in_the_calendar_reads_well_and_leads_to_its_queue(
    browser: Browser, office: Office, live_office: str, width: str
) -> None:
    """A day with more slots than its cell shows: the count, the first four, and "+N more", which opens that
    day's queue without JavaScript being needed."""
    from datetime import datetime

    ws = office.workspace
    channel = next(iter(ws.config.channels))
    for hour in range(10, 16):
        moment = datetime(2026, 12, 9, hour, tzinfo=ws.zone)
        ws.operations.announce(channel, moment, f"Pengumuman jam {hour}", None, "admin", "web")
    site = browser.site(live_office, WIDTHS[width])
    site.sign_in("admin", PASSWORD)
    opened = site.open("/kalender?bulan=2026-12")
    opened.screenshot(f"web-calendar-busy-day-{width}")
    assert troubles(opened, width) == []
    more = opened.page.locator("a.cal-more")
    assert more.count() == 1 and more.is_visible()
    more.click()
    opened.page.wait_for_load_state()
    assert opened.page.url.endswith("/antrean?from=2026-12-09&to=2026-12-09")
