"""The page's security, route by route: who may open or do what, CSRF, sessions, cookies and headers.

The route × role matrix is driven by ``outreach.web.routes.ROUTES``, so a page added later is covered
the day it is registered. Each route's expected verdict is computed twice and the two must agree: once
from its declared ``permission`` and ``outreach.accounts.PERMISSIONS``, and once from ``ISSUE_RULES``,
a table of the issue's own words written by hand (an approver decides only their own agency's
innovations, an editor edits and schedules posts, an admin pauses and manages users). A route the table
does not know fails, so nobody can add a page without saying who may use it. The issue may be stricter
than the declaration only where the view checks the permission itself with the innovation's agency
(deciding: the guard has no agency to check). Then each route is asked over HTTP by every kind of
visitor, and the answer must be that verdict.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import outreach.web
from outreach.accounts import MAX_FAILURES_PER_ADDRESS, PERMISSIONS, Accounts
from outreach.model import IncomingReply, PostState
from outreach.web.routes import CONTENT_SECURITY_POLICY, ROUTES, SESSION_COOKIE, SIGN_IN_CSRF_COOKIE, Route
from tests.engine_helpers import settle_as
from tests.web_helpers import KTP, NOW, PASSWORD, Office, csrf_of, sign_in, signed_in_client


def load_routes() -> list[Route]:
    """Every page module imported (as ``create_app`` finds them), so ``ROUTES`` is complete at collection."""
    for module in pkgutil.iter_modules([outreach.web.__path__[0] + "/pages"]):
        importlib.import_module(f"outreach.web.pages.{module.name}")
    return list(ROUTES)


#: The kinds of visitor, each with the account it signs in with (None: nobody signed in).
#: The "own" approver heads the agency of the innovation, post and reply every URL names (Dukcapil).
VISITORS: dict[str, str | None] = {
    "anonymous": None,
    "other approver": "kadis-dinkes",
    "editor": "editor",
    "admin": "admin",
    "own approver": "kadis-dukcapil",
}
ROLE_OF = {"other approver": "approver", "own approver": "approver", "editor": "editor", "admin": "admin"}
ALLOWED, REFUSED, SIGN_IN = "allowed", "refused (403/404)", "sent to sign in"
#: The message of a POST refused for its CSRF token (``routes.install``); English in the tests.
CSRF_MESSAGE = "the form has expired or did not come from this page"
#: The extra account a URL may name (managing users), so that no visitor's own account is changed.
STAFF = "staf"

# ---- the issue's rules, by hand --------------------------------------------------------------------

SIGNED_IN = ("other approver", "editor", "admin", "own approver")
EVERYONE_SIGNED_IN = dict.fromkeys(SIGNED_IN, ALLOWED)


def _only(*visitors: str, unsaid: tuple[str, ...] = ()) -> dict[str, str | None]:
    """Allowed to ``visitors``, refused to the other signed-in visitors; ``unsaid``: the issue does not say."""
    return {
        visitor: None if visitor in unsaid else ALLOWED if visitor in visitors else REFUSED for visitor in SIGNED_IN
    }


@dataclass(frozen=True)
class Rule:
    """What the issue says about the routes whose rule matches ``pattern`` for ``method``."""

    method: str
    pattern: str
    verdicts: dict[str, str | None]
    why: str
    #: The permission the view itself checks with the innovation's agency (``forbid_unless``), where the
    #: guard cannot: ``allowed(user, "decide")`` without an agency is False, so such a route declares
    #: ``view`` and the issue's stricter verdict is the one to expect.
    inside: str | None = None


#: The issue's rules for the known paths (issue #16, "Accounts and roles"); the first matching rule wins.
#: A verdict of None: the issue does not say, and the declared permission alone decides.
ISSUE_RULES = [
    Rule("GET", r"/masuk", {"anonymous": ALLOWED, **EVERYONE_SIGNED_IN}, "anyone can open the sign-in form"),
    Rule("POST", r"/masuk", {"anonymous": ALLOWED, **EVERYONE_SIGNED_IN}, "anyone can sign in"),
    Rule("POST", r"/keluar", EVERYONE_SIGNED_IN, "every user can sign out"),
    Rule("GET", r"/inovasi/.+", _only("own approver", "editor", "admin"), "an approver sees own agency only"),
    Rule("POST", r"/inovasi/.+", _only("own approver"), "an approver decides own agency's innovations", "decide"),
    Rule("GET", r"/antrean/.+", _only("own approver", "editor", "admin"), "a post belongs to an agency"),
    Rule("POST", r"/antrean.*", _only("editor", "admin"), "an editor edits posts; cancel, retry, resolve, confirm"),
    Rule("GET", r"/pengumuman.*", _only("editor", "admin"), "an editor schedules posts: the announcement form"),
    Rule("POST", r"/pengumuman.*", _only("editor", "admin"), "an editor schedules posts: announcements"),
    Rule("GET", r"/balasan/.+", _only("own approver", "editor", "admin"), "an approver sees own agency's replies"),
    Rule("POST", r"/balasan.*", _only("editor", "admin"), "answering replies is the office's work"),
    Rule("POST", r"/kanal.*", _only("editor", "admin"), "checking channels is the office's work"),
    Rule("POST", r"/jeda.*", _only("admin"), "an admin pauses"),
    Rule("GET", r"/jeda.*", _only("admin", unsaid=("editor", "own approver", "other approver")), "an admin pauses"),
    Rule("GET", r"/kanal.*", _only("admin", unsaid=("editor", "own approver", "other approver")), "channels"),
    Rule("GET", r"/pengguna.*", _only("admin"), "an admin manages users"),
    Rule("POST", r"/pengguna.*", _only("admin"), "an admin manages users"),
    Rule("GET", r"/laporan/.+", _only("editor", "admin", unsaid=("own approver", "other approver")), "downloads"),
    Rule("GET", r"/(|kalender|antrean|inovasi|laporan|balasan)", EVERYONE_SIGNED_IN, "every role views these"),
    Rule("GET", r"/kalender\.ics", EVERYONE_SIGNED_IN, "the calendar as a file, as the calendar"),
]


def issue_rule(method: str, route: Route) -> Rule | None:
    return next(
        (rule for rule in ISSUE_RULES if rule.method == method and re.fullmatch(rule.pattern, route.rule)), None
    )


# ---- the verdict a route's declaration implies -----------------------------------------------------

#: Which object a URL argument names, by the argument's name or the path's first part; every object is
#: of the own approver's agency (Dukcapil), so the other approver must not reach it.
_OBJECT_WORDS = {
    "post": ("post", "antrean"),
    "reply": ("repl", "balasan"),
    "innovation": ("innovation", "inovasi"),
    "user": ("user", "pengguna", "nama", "name"),
    "channel": ("channel", "kanal"),
    "format": ("format", "fmt", "kind", "jenis", "laporan"),
}
_AGENCY_OBJECTS = ("post", "reply", "innovation")


def arguments(route: Route) -> list[tuple[str, str]]:
    """(converter, name) of each ``<converter:name>`` in the rule."""
    return [
        (converter or "default", name)
        for converter, name in re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", route.rule)
    ]


def object_of(route: Route, name: str) -> str:
    """The kind of object a URL argument names; unknown: the test says where to teach it."""
    section = route.rule.strip("/").split("/")[0]
    for kind, words in _OBJECT_WORDS.items():
        if any(word in name.lower() for word in words):
            return kind
    for kind, words in _OBJECT_WORDS.items():
        if section in words:
            return kind
    pytest.fail(f"{route.rule}: no sample value for <{name}>; teach tests/test_web_security.py _OBJECT_WORDS")


def names_agency_object(route: Route) -> bool:
    return any(object_of(route, name) in _AGENCY_OBJECTS for _converter, name in arguments(route))


def declared_verdict(route: Route, method: str, visitor: str) -> str:
    """What the route's declared permission implies for ``visitor`` (``accounts.allowed``'s rules)."""
    del method  # one permission per route, whatever the method
    if route.permission is None:
        return ALLOWED
    if visitor == "anonymous":
        return SIGN_IN
    if ROLE_OF[visitor] not in PERMISSIONS[route.permission]:
        return REFUSED
    if visitor == "other approver" and (route.permission == "decide" or names_agency_object(route)):
        return REFUSED
    return ALLOWED


ROUTE_CASES = [(route, method) for route in load_routes() for method in route.methods]
CASE_IDS = [f"{method} {route.rule}" for route, method in ROUTE_CASES]
POST_CASES = [(route, method) for route, method in ROUTE_CASES if method == "POST"]


def test_the_registry_holds_the_pages_of_the_issue() -> None:
    rules = {route.rule for route in ROUTES}
    assert {"/", "/masuk", "/keluar"} <= rules
    assert all(route.permission is None or route.permission in PERMISSIONS for route in ROUTES)


def expected_verdict(route: Route, method: str, visitor: str) -> str:
    """The declared verdict, made stricter where the issue says so and the view checks it itself."""
    declared = declared_verdict(route, method, visitor)
    rule = issue_rule(method, route)
    said = rule.verdicts.get(visitor) if rule is not None else None
    return declared if declared != ALLOWED or said is None else said


def disagreements(route: Route, method: str) -> list[str]:
    """Where the route's declared permission and the issue's rules part: a route the table does not know,
    one open to anonymous visitors against the issue, a visitor the issue allows and the declaration
    refuses, or one the issue refuses and the declaration allows without a check inside the view."""
    rule = issue_rule(method, route)
    if rule is None:
        return [f"{method} {route.rule} is not in ISSUE_RULES: say who may use it, from the issue"]
    found = []
    if route.permission is None and rule.verdicts.get("anonymous") != ALLOWED:
        found.append("open to anonymous visitors")
    for visitor, said in rule.verdicts.items():
        declared = declared_verdict(route, method, visitor)
        if said is None or said == declared or (said == REFUSED and declared == ALLOWED and rule.inside):
            continue
        found.append(f"{visitor}: the issue says {said}, {route.permission!r} says {declared} ({rule.why})")
    return found


@pytest.mark.parametrize(("route", "method"), ROUTE_CASES, ids=CASE_IDS)
def test_the_declared_permission_agrees_with_the_issue(route: Route, method: str) -> None:
    assert disagreements(route, method) == []


def test_the_hand_table_can_tell_a_wrong_declaration() -> None:
    """The check above fails for pages declared too loosely or too strictly."""
    assert disagreements(Route("users.index", "/pengguna", ("GET",), "view"), "GET") == [
        f"{visitor}: the issue says {REFUSED}, 'view' says {ALLOWED} (an admin manages users)"
        for visitor in ("other approver", "editor", "own approver")
    ]
    assert disagreements(Route("queue.edit", "/antrean/<int:post_id>/ubah", ("POST",), "pause"), "POST") == [
        f"editor: the issue says {ALLOWED}, 'pause' says {REFUSED} (an editor edits posts; cancel, retry, resolve, confirm)"
    ]
    assert disagreements(Route("x.y", "/pengguna/hapus", ("POST",), None), "POST")[0] == "open to anonymous visitors"
    assert disagreements(Route("x.y", "/arsip", ("GET",), "view"), "GET")[0].endswith(
        "say who may use it, from the issue"
    )


# ---- the office every matrix case runs in ----------------------------------------------------------


@dataclass
class Things:
    """The objects a URL names: all of Dukcapil (the own approver's agency), and one extra account."""

    post: int
    reply: int
    innovation: str
    user: str
    user_id: int


def things_of(office: Office) -> Things:
    """A published Dukcapil post with a citizen's reply, a planned one, and the extra account ``STAFF``."""
    store = office.workspace.store
    planned = [post for post in store.posts() if post.innovation_id == KTP]
    published = planned[-1]
    settle_as(store, published.id, PostState.PUBLISHED, NOW, "published", remote_id="9001")
    incoming = IncomingReply("r-1", "warga", "Di mana kantornya?", NOW, "https://facebook.com/r-1", "9001")
    [reply] = store.add_replies(store.post(published.id), [(incoming, "question", False)], NOW)
    staff = Accounts(store, office.workspace.clock).add(STAFF, "editor", None, PASSWORD, "test")
    return Things(planned[0].id, reply.id, KTP, STAFF, staff.id)


#: The query a route needs to answer at all (a download names its format), by rule.
QUERY_OF = {"/laporan/unduh": "?format=csv"}


def url_of(route: Route, things: Things) -> str:
    """The route's rule with each argument filled by the object it names, and the query it needs."""
    path = route.rule
    for converter, name in arguments(route):
        kind = object_of(route, name)
        value = {
            "post": things.post,
            "reply": things.reply,
            "innovation": things.innovation,
            "user": things.user_id if converter == "int" else things.user,
            "channel": "facebook",
            "format": "csv",
        }[kind]
        path = re.sub(rf"<(?:\w+(?:\([^)]*\))?:)?{name}>", str(value), path, count=1)
    return path + QUERY_OF.get(route.rule, "")


def client_of(office: Office, visitor: str) -> tuple[FlaskClient, str]:
    """A client for ``visitor`` and the CSRF token its forms carry."""
    account = VISITORS[visitor]
    if account is None:
        client = office.app.test_client()
        return client, csrf_of(client.get("/masuk"))
    client = signed_in_client(office, account)
    return client, csrf_of(client.get("/"))


def verdict_of(answer: TestResponse) -> str:
    """Allowed, refused, or sent to sign in (the guard's redirect carries ``next``); a CSRF refusal or a
    server error is named as such, so that it never passes for a verdict."""
    status = answer.status_code
    if status >= 500:
        return f"server error {status}"
    if status in (403, 404):
        return REFUSED
    if status == 400 and CSRF_MESSAGE in answer.get_data(as_text=True):
        return "refused for its CSRF token"
    if 300 <= status < 400:
        target = urlsplit(answer.headers["Location"])
        if target.path == "/masuk" and "next" in parse_qs(target.query):
            return SIGN_IN
    return ALLOWED


@pytest.mark.parametrize(("route", "method"), ROUTE_CASES, ids=CASE_IDS)
def test_every_route_answers_every_visitor_as_its_permission_says(office: Office, route: Route, method: str) -> None:
    things = things_of(office)
    url = url_of(route, things)
    clients = {visitor: client_of(office, visitor) for visitor in VISITORS}
    wrong = {}
    for visitor, (client, token) in clients.items():
        expected = expected_verdict(route, method, visitor)
        answer = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        if (got := verdict_of(answer)) != expected:
            wrong[visitor] = f"expected {expected}, got {got} ({answer.status_code})"
    assert not wrong, f"{method} {url} ({route.permission}): {wrong}"


# ---- CSRF ------------------------------------------------------------------------------------------


def snapshot(office: Office) -> str:
    """A digest of every table but the sessions and sign-in bookkeeping: equal digests, nothing changed."""
    digest = hashlib.sha256()
    with office.workspace.store.transaction() as connection:
        tables = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        for table in tables.scalars().all():
            if table in ("web_sessions", "login_failures"):
                continue
            for row in connection.exec_driver_sql(
                f'SELECT * FROM "{table}" ORDER BY 1'
            ):  # table names from sqlite_master
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@pytest.mark.parametrize(("route", "method"), POST_CASES, ids=[f"POST {route.rule}" for route, _m in POST_CASES])
def test_a_post_without_its_own_csrf_token_is_refused_and_changes_nothing(
    office: Office, route: Route, method: str
) -> None:
    things = things_of(office)
    url = url_of(route, things)
    anonymous, _token = client_of(office, "anonymous")
    _editor, editors_token = client_of(office, "editor")
    signed = {visitor: client_of(office, visitor) for visitor in ("admin", "own approver")}
    before = snapshot(office)
    for visitor, (client, own_token) in signed.items():
        for sent in ({}, {"csrf_token": ""}, {"csrf_token": editors_token}, {"csrf_token": own_token + "x"}):
            answer = client.post(url, data={**sent, "name": "x", "text": "x", "reason": "x"})
            assert answer.status_code == 400 and CSRF_MESSAGE in answer.get_data(as_text=True), (visitor, sent)
        assert client.get("/").status_code == 200  # still signed in
    refused = anonymous.post(url, data={"name": "admin", "password": PASSWORD})
    assert refused.status_code == 400 and anonymous.get_cookie(SESSION_COOKIE) is None
    assert snapshot(office) == before


def test_the_sign_in_forms_token_is_bound_to_its_own_browser(office: Office) -> None:
    attacker = office.app.test_client()
    token = csrf_of(attacker.get("/masuk"))
    victim = office.app.test_client()
    victim.get("/masuk")  # the victim's browser has its own sign-in cookie
    answer = victim.post("/masuk", data={"name": "admin", "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 400 and victim.get_cookie(SESSION_COOKIE) is None


# ---- sessions --------------------------------------------------------------------------------------


def test_a_planted_session_is_never_promoted(office: Office) -> None:
    """A session token is made only by a correct sign-in: a planted made-up token, a planted sign-in
    cookie, or a session present while someone signs in never becomes the new user's session."""
    victim = office.app.test_client()
    victim.set_cookie(SESSION_COOKIE, "made-up-token")
    victim.set_cookie(SIGN_IN_CSRF_COOKIE, "known-to-the-attacker")
    assert victim.get("/").status_code == 302
    form = victim.get("/masuk")
    answer = victim.post("/masuk", data={"name": "admin", "password": PASSWORD, "csrf_token": csrf_of(form)})
    assert answer.status_code == 303
    session = victim.get_cookie(SESSION_COOKIE)
    assert session is not None and session.value not in ("made-up-token", "known-to-the-attacker")
    planted = office.app.test_client()
    planted.set_cookie(SIGN_IN_CSRF_COOKIE, "known-to-the-attacker")
    planted.set_cookie(SESSION_COOKIE, "made-up-token")
    assert planted.get("/").status_code == 302  # what the attacker knows signs nobody in
    # an attacker's own session, planted in a browser where the admin then signs in, stays the attacker's
    shared = signed_in_client(office, "editor")
    attackers = shared.get_cookie(SESSION_COOKIE)
    assert attackers is not None
    again = shared.post("/masuk", data={"name": "admin", "password": PASSWORD, "csrf_token": csrf_of(shared.get("/"))})
    assert again.status_code == 303
    admins = shared.get_cookie(SESSION_COOKIE)
    assert admins is not None and admins.value != attackers.value
    assert "<span>admin</span>" in shared.get("/").get_data(as_text=True)
    replay = office.app.test_client()
    replay.set_cookie(SESSION_COOKIE, attackers.value)
    assert "<span>admin</span>" not in replay.get("/").get_data(as_text=True)  # the editor's, or ended


def test_signing_out_ends_the_session_in_the_store(office: Office) -> None:
    client = signed_in_client(office, "admin")
    token = client.get_cookie(SESSION_COOKIE)
    assert token is not None
    answer = client.post("/keluar", data={"csrf_token": csrf_of(client.get("/"))})
    assert answer.status_code == 303
    assert "Max-Age=0" in answer.headers["Set-Cookie"] or "Expires=Thu, 01 Jan 1970" in answer.headers["Set-Cookie"]
    stolen = office.app.test_client()
    stolen.set_cookie(SESSION_COOKIE, token.value)  # a copy of the cookie taken before signing out
    assert stolen.get("/").status_code == 302
    assert Accounts(office.workspace.store, office.workspace.clock).signed_in(token.value) is None


def test_sign_ins_from_one_address_are_throttled_across_names(office: Office) -> None:
    client = office.app.test_client()
    for attempt in range(MAX_FAILURES_PER_ADDRESS):
        assert sign_in(client, f"tebakan-{attempt}", "salah salah salah").status_code == 401
    throttled = sign_in(client, "admin")  # a right name and password, from the guessing address
    assert throttled.status_code == 429 and client.get_cookie(SESSION_COOKIE) is None
    elsewhere = office.app.test_client()
    form = elsewhere.get("/masuk")
    answer = elsewhere.post(
        "/masuk",
        data={"name": "admin", "password": PASSWORD, "csrf_token": csrf_of(form)},
        environ_base={"REMOTE_ADDR": "10.0.0.7"},
    )
    assert answer.status_code == 303  # the admin elsewhere is not locked out by someone else's guessing


def test_cookies_cannot_be_read_by_scripts_nor_sent_by_other_sites(office: Office) -> None:
    client = office.app.test_client()
    form = client.get("/masuk")
    sign_in_cookie = form.headers["Set-Cookie"]
    assert sign_in_cookie.startswith(SIGN_IN_CSRF_COOKIE + "=")
    assert "HttpOnly" in sign_in_cookie and "SameSite=Strict" in sign_in_cookie and "Path=/" in sign_in_cookie
    answer = client.post("/masuk", data={"name": "admin", "password": PASSWORD, "csrf_token": csrf_of(form)})
    session = answer.headers["Set-Cookie"]
    assert session.startswith(SESSION_COOKIE + "=")
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Path=/" in session and "Secure" not in session
    max_age = int(re.search(r"Max-Age=(\d+)", session).group(1))  # type: ignore[union-attr]  # asserted by the int
    assert 0 < max_age <= timedelta(hours=8).total_seconds()
    secure = office.app.test_client()
    form = secure.get("/masuk", base_url="https://kantor.test")
    assert "Secure" in form.headers["Set-Cookie"]
    answer = secure.post(
        "/masuk",
        base_url="https://kantor.test",
        data={"name": "admin", "password": PASSWORD, "csrf_token": csrf_of(form)},
    )
    assert "Secure" in answer.headers["Set-Cookie"]


# ---- headers ---------------------------------------------------------------------------------------


def _assert_security_headers(answer: TestResponse, where: str, signed: bool) -> None:
    headers = answer.headers
    assert headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    if signed and answer.mimetype == "text/html":
        assert headers.get("Cache-Control") == "no-store", where  # a shared computer's back button shows nothing


@pytest.mark.parametrize("visitor", ["admin", "own approver", "anonymous"])
def test_every_page_carries_the_security_headers(office: Office, visitor: str) -> None:
    things = things_of(office)
    client, _token = client_of(office, visitor)
    paths = [url_of(route, things) for route in ROUTES if "GET" in route.methods]
    paths += ["/tidak-ada", "/static/app.css", "/antrean/999999", "/inovasi/tidak-ada"]
    for path in paths:
        _assert_security_headers(client.get(path), f"{visitor} GET {path}", signed=visitor != "anonymous")
    answer = client.post("/keluar", data={})
    assert answer.status_code == 400
    _assert_security_headers(answer, f"{visitor} POST /keluar without a token", signed=False)
