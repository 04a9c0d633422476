"""Hostile text on the office's web page: markup, script links and invisible characters are shown, never run.

An innovation's name and summary come from a spreadsheet anyone may have pasted into; a post's text is
edited by a person; a failure's reason and a citizen's reply (its text, author and link) come from a
platform. Each carries ``<script>``, an attribute break-out (``"><img src=x onerror=…>``), a
``javascript:`` link, and — where they can get in (a platform's words: the catalogue and the editor
refuse them) — a right-to-left override and a zero-width space. Every page that exists (from
``ROUTES``) is read as an admin and as the agency's head: no element, attribute or link comes out of
the data, no invisible character reaches the page unescaped, and the pages that show each text show it
escaped. In Chromium no script runs: no dialog opens, and nothing is refused by the CSP (a console error).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from outreach.accounts import Accounts
from outreach.model import IncomingReply, PostState
from outreach.textsafety import is_hidden
from outreach.web import create_app
from tests.browser import DESKTOP, Browser
from tests.engine_helpers import campaign, file_channel, innovation, project, settle_as, workspace
from tests.test_web_security import STAFF, Things, load_routes, url_of
from tests.web_helpers import ACCOUNTS, DINKES, DUKCAPIL, KTP, NOW, PASSWORD, POSYANDU, Office, signed_in_client

DRAFT = "akta-kilat"
RLO, ZWSP = "\u202e", "\u200b"
#: Each hostile text starts with a plain word, so a test can tell where it is shown.
NAME = 'ujinama <script>alert("nama")</script> "><img src=x onerror=alert("nama")> Layanan'
DRAFT_NAME = "ujidraf <svg onload=alert('draf')> \"'><iframe src=javascript:alert('draf')>"
SUMMARY = "Layanan <b onmouseover=alert('ringkas')>ujiringkas</b> untuk warga kota. Anda bisa mengurusnya."
TEXT = 'ujiteks <script>alert("teks")</script> "><img src=x onerror=alert("teks")> javascript:alert("teks")'
ANNOUNCEMENT = "Pengumuman ujiumum <script>alert('umum')</script> kantor tutup hari ini."
SCRIPT_LINK = "javascript:alert('tautan')"
REASON = f'ujialasan <script>alert("alasan")</script> "><img src=x onerror=alert("alasan")> {RLO}gnp.exe{ZWSP}'
REPLY = (
    f'ujibalasan <script>alert("balasan")</script> "><img src=x onerror=alert("balasan")> '
    f"<a href=\"javascript:alert('balasan')\">klik</a> {RLO}fdp.exe{ZWSP}"
)
AUTHOR = f'"><img src=x onerror=alert("penulis")>{RLO}ujipenulis'

#: The pages that must show each hostile text, by hand (the issue's pages): marker -> URL kinds.
#: "post:edited" is the post whose text was edited, "innovation:<id>" an innovation's page, and so on.
MUST_SHOW = {
    "ujinama": ("/", "/antrean", "/antrean/<edited>", "/inovasi", "/inovasi/<innovation>", "/kalender"),
    "ujidraf": ("/inovasi", "/inovasi/<draft>"),
    "ujiteks": ("/antrean/<edited>",),
    "ujiumum": ("/antrean/<announcement>",),
    "ujialasan": ("/antrean", "/antrean/<failed>"),
    "ujibalasan": ("/balasan",),
}
#: Schemes that run a script when a link is followed or a frame loaded.
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:text/html")
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "poster", "srcdoc")


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    """The office of tests/web_helpers.py with hostile text everywhere it can come from."""
    rows = [
        innovation(KTP, DUKCAPIL, nama=NAME, ringkasan=SUMMARY),
        innovation(POSYANDU, DINKES),
        innovation(DRAFT, DUKCAPIL, status="draf", nama=DRAFT_NAME),
    ]
    channels = {"facebook": file_channel("facebook", "outbox"), "x": file_channel("x", "outbox")}
    config = project(tmp_path, rows, channels=channels, campaigns={"kenali": campaign(list(channels))})
    ws = workspace(config, NOW)
    ws.planning.apply_plan(7)
    accounts = Accounts(ws.store, ws.clock)
    for name, (role, opd) in ACCOUNTS.items():
        accounts.add(name, role, opd, PASSWORD, "test")
    app = create_app(ws)
    app.config.update(TESTING=True)
    made = Office(config, ws, app)
    yield made
    ws.close()


@pytest.fixture
def hostile(office: Office) -> dict[str, Things]:
    """The hostile posts and reply put in the store; URL kind -> the objects its URL names."""
    ws = office.workspace
    store = ws.store
    ktp = [post for post in store.posts() if post.innovation_id == KTP]
    edited, failed, published = ktp[0], ktp[1], ktp[2]
    ws.operations.edit(edited.id, TEXT, "uji", "editor", "web")
    written = ws.operations.announce("facebook", NOW + timedelta(hours=5), ANNOUNCEMENT, SCRIPT_LINK, "editor", "web")
    settle_as(store, failed.id, PostState.FAILED, NOW, REASON)
    settle_as(store, published.id, PostState.PUBLISHED, NOW, "published", remote_id="9001")
    incoming = IncomingReply("r-1", AUTHOR, REPLY, NOW, SCRIPT_LINK, "9001")
    [reply] = store.add_replies(store.post(published.id), [(incoming, "question", True)], NOW)
    staff = Accounts(store, ws.clock).add(STAFF, "editor", None, PASSWORD, "test")
    base = Things(edited.id, reply.id, KTP, STAFF, staff.id)
    return {
        "edited": base,
        "innovation": base,
        "announcement": replace(base, post=written.post_id),
        "failed": replace(base, post=failed.id),
        "published": replace(base, post=published.id),
        "draft": replace(base, innovation=DRAFT),
    }


def page_urls(hostile: dict[str, Things]) -> dict[str, list[str]]:
    """Every GET page, each with every hostile object it can name: "/antrean/7" -> ["/antrean/<failed>"]."""
    urls: dict[str, list[str]] = {}
    for route in load_routes():
        if "GET" not in route.methods:
            continue
        if "<" not in route.rule:
            urls.setdefault(route.rule, []).append(route.rule)
            continue
        for kind, things in hostile.items():
            named = route.rule.split("<")[0] + f"<{kind}>" + route.rule.split(">", 1)[1]
            urls.setdefault(url_of(route, things), []).append(named)
    return urls


class _Markup(HTMLParser):
    """What a page's HTML does, as a browser would parse it: the elements and attributes that can run."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            self.problems.append(f"a <script> not from /static: {attrs}")
        if tag in ("iframe", "object", "embed", "svg", "base"):
            self.problems.append(f"a <{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"an event handler <{tag} {name}={value!r}>")
            cleaned = "".join(ch for ch in (value or "") if not ch.isspace() and ch.isprintable()).lower()
            if name in URL_ATTRIBUTES and cleaned.startswith(SCRIPT_SCHEMES):
                self.problems.append(f"a script link <{tag} {name}={value!r}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def dangers(html: str) -> list[str]:
    """Everything on a page that data could make run or hide."""
    parser = _Markup()
    parser.feed(html)
    parser.close()
    hidden = sorted({f"U+{ord(ch):04X}" for ch in html if is_hidden(ch) and ch not in "\n\t\r"})
    return parser.problems + [f"the invisible character {code} unescaped" for code in hidden]


def test_the_checks_find_what_they_are_for() -> None:
    assert (
        dangers("<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;U+202E&gt;</p><script src=/static/a.js></script>") == []
    )
    found = dangers(
        f'<p>{NAME}</p><a href=" JaVaScRiPt:alert(1)">x</a><form action="javascript:x"></form><p>{RLO}{ZWSP}</p>'
    )
    assert len(found) == 6, found  # a script, an onerror, two script links, two invisible characters
    assert escaped_where_shown("<p>ujinama &lt;b&gt; ujinama &lt;i&gt;</p>", "ujinama")
    assert not escaped_where_shown("<p>ujinama &lt;b&gt; ujinama <i></p>", "ujinama")


def escaped_where_shown(html: str, marker: str) -> bool:
    """Every time the page shows ``marker``, the markup after it is text (``&lt;``), never an element."""
    return all(after.startswith(" &lt;") for after in html.split(marker)[1:])


@pytest.mark.parametrize("account", ["admin", "kadis-dukcapil"])
def test_hostile_text_is_shown_escaped_on_every_page(office: Office, hostile: dict[str, Things], account: str) -> None:
    client = signed_in_client(office, account)
    shown: set[str] = set()
    wrong: dict[str, list[str]] = {}
    for url, kinds in page_urls(hostile).items():
        answer = client.get(url)
        if answer.status_code in (302, 303, 403, 404) or answer.mimetype != "text/html":
            continue  # elsewhere (/masuk when signed in), not this account's page, or a download
        assert answer.status_code == 200, (url, answer.status_code)
        html = answer.get_data(as_text=True)
        problems = dangers(html)
        for marker in MUST_SHOW:
            if marker in html:
                shown.update(f"{marker} {kind}" for kind in kinds)
                if not escaped_where_shown(html, marker):
                    problems.append(f"{marker}: the markup after it is not escaped")
        if problems:
            wrong[f"{kinds[0]} ({url})"] = problems
    if account == "admin":  # the agency's head sees fewer pages; the admin sees every one
        missing = [
            f"{marker} on {kind}"
            for marker, kinds in MUST_SHOW.items()
            for kind in kinds
            if f"{marker} {kind}" not in shown
        ]
        if missing:
            wrong["pages that should show the hostile text (escaped) and do not"] = missing
    assert not wrong, "\n".join(f"{page}: {problem}" for page, problems in wrong.items() for problem in problems)


def test_no_script_runs_in_chromium(
    browser: Browser, office: Office, hostile: dict[str, Things], live_office: str
) -> None:
    wrong = {}
    for account in ("admin", "kadis-dukcapil"):
        site = browser.site(live_office, DESKTOP)
        site.sign_in(account, PASSWORD)
        client = signed_in_client(office, account)
        for url, kinds in page_urls(hostile).items():
            if client.get(url).mimetype != "text/html":
                continue  # a download: the browser saves it, shows nothing
            opened = site.open(url)
            problems = [f"dialog: {message}" for message in opened.dialogs]
            problems += [f"console: {error}" for error in opened.console_errors if "status of 40" not in error]
            problems += [f"asked another origin: {asked}" for asked in opened.outside_requests]
            if problems:
                wrong[f"{account} {kinds[0]} ({url})"] = problems
            opened.page.close()
    assert not wrong, "\n".join(f"{page}: {problem}" for page, problems in wrong.items() for problem in problems)
