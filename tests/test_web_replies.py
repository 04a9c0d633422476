"""Balasan (``/balasan``): the citizens' replies inbox over HTTP — filters, paging in SQL, hostile texts shown
escaped and bounded, marking answered or set aside by editors and admins, an approver reading only their own."""

from __future__ import annotations

import re
from datetime import timedelta

from flask.testing import FlaskClient

from outreach.model import IncomingReply, PostState, Reply, ReplyStatus
from outreach.store import Store
from outreach.web.pages.replies import PAGE_SIZE, TEXT_SHOWN
from tests.web_helpers import DINKES, KTP, NOW, POSYANDU, Office, csrf_of, signed_in_client


def add_reply(
    office: Office,
    innovation: str,
    text: str,
    *,
    minutes: int = 0,
    kind: str = "question",
    urgent: bool = False,
    url: str | None = "https://x.test/r",
    author: str = "warga",
) -> Reply:
    store = office.workspace.store
    post = next(post for post in store.posts([PostState.PLANNED]) if post.innovation_id == innovation)
    remote = f"r{len(store.replies(from_office=None)) + 1}"
    found = IncomingReply(remote, author, text, NOW - timedelta(hours=1) + timedelta(minutes=minutes), url, None)
    return store.add_replies(post, [(found, kind, urgent)], NOW)[0]


def page_text(client: FlaskClient, path: str = "/balasan") -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def mark(client: FlaskClient, reply_id: int, decision: str, note: str = "", query: str = "") -> object:
    form = client.get("/balasan")
    return client.post(
        f"/balasan/{reply_id}{query}",
        data={"csrf_token": csrf_of(form), "keputusan": decision, "catatan": note},
    )


def test_the_store_pages_replies_newest_first_with_the_total(office: Office) -> None:
    for minute in range(7):
        add_reply(office, KTP, f"tanya {minute}", minutes=minute, urgent=minute == 3)
    store: Store = office.workspace.store
    first, total = store.reply_page(limit=3)
    second, _total = store.reply_page(limit=3, offset=3)
    assert total == 7
    assert [reply.text for reply in first] == ["tanya 6", "tanya 5", "tanya 4"]
    assert [reply.text for reply in second] == ["tanya 3", "tanya 2", "tanya 1"]
    urgent, count = store.reply_page(urgent=True)
    assert count == 1 and urgent[0].text == "tanya 3"
    none, count = store.reply_page(innovation_ids=[POSYANDU])
    assert (none, count) == ([], 0)
    store.decide_reply(first[0].id, ReplyStatus.IGNORED, "editor", NOW)
    _open, count = store.reply_page(statuses=[ReplyStatus.OPEN], kinds=["question"])
    assert count == 6


def test_the_inbox_shows_each_reply_with_its_facts(office: Office) -> None:
    add_reply(office, KTP, "Syaratnya apa saja?", author="@budi")
    add_reply(office, POSYANDU, "Tolong, banjir di posyandu!", kind="complaint", urgent=True, minutes=5)
    text = page_text(signed_in_client(office, "editor"))
    assert "Syaratnya apa saja?" in text and "@budi" in text
    assert "URGENT" in text and "complaint" in text and "unanswered" in text
    assert DINKES in text and "Posyandu Keliling" in text and "Facebook" in text
    assert "2 replies" in text
    assert re.search(r"07:0\d WIB|07\.0\d WIB", text), "the time in the office's zone"
    assert 'href="https://x.test/r"' in text


def test_the_filters_narrow_the_inbox(office: Office) -> None:
    add_reply(office, KTP, "tanya ktp")
    add_reply(office, POSYANDU, "keluhan posyandu", kind="complaint", urgent=True)
    answered = add_reply(office, POSYANDU, "sudah dijawab")
    office.workspace.store.decide_reply(answered.id, ReplyStatus.ANSWERED, "editor", NOW)
    client = signed_in_client(office, "admin")
    urgent = page_text(client, "/balasan?mendesak=1")
    assert "keluhan posyandu" in urgent and "tanya ktp" not in urgent
    unanswered = page_text(client, "/balasan?belum=1")
    assert "sudah dijawab" not in unanswered and "tanya ktp" in unanswered
    complaints = page_text(client, "/balasan?jenis=complaint")
    assert "keluhan posyandu" in complaints and "tanya ktp" not in complaints
    dinkes = page_text(client, f"/balasan?dinas={DINKES}")
    assert "tanya ktp" not in dinkes and "keluhan posyandu" in dinkes and "sudah dijawab" in dinkes
    unknown = page_text(client, "/balasan?dinas=Dinas+Rahasia&jenis=<script>")
    assert "tanya ktp" in unknown and "&lt;script&gt;" not in unknown  # unknown filters are dropped


def test_the_inbox_pages_through_a_long_backlog(office: Office) -> None:
    for minute in range(PAGE_SIZE + 3):
        add_reply(office, KTP, f"balasan nomor {minute:03}", minutes=minute)
    client = signed_in_client(office, "editor")
    first = page_text(client)
    assert "balasan nomor 052" in first and "balasan nomor 002" not in first and "page 1 of 2" in first
    second = page_text(client, "/balasan?halaman=2")
    assert "balasan nomor 002" in second and "balasan nomor 052" not in second
    assert page_text(client, "/balasan?halaman=x").count('class="reply') >= PAGE_SIZE


def test_hostile_reply_texts_are_escaped_and_bounded(office: Office) -> None:
    add_reply(office, KTP, '<script>alert("x")</script><img src=x onerror=alert(1)>', author="<b>jahat</b>")
    add_reply(office, KTP, "exe.\u202egpj and zero\u200bwidth and \x1b[2J escape", minutes=1)
    add_reply(office, KTP, "A" * 2**20, minutes=2, url="javascript:alert(1)")
    marked = add_reply(office, KTP, "link berbahaya", minutes=3, url='https://x.test/"onmouseover="alert(1)')
    office.workspace.store.decide_reply(marked.id, ReplyStatus.IGNORED, "Sari\u202e<i>", NOW, "spam\x1b[31m")
    answer = signed_in_client(office, "editor").get("/balasan")
    text = answer.get_data(as_text=True)
    assert "<script>alert" not in text and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text
    assert "<img src=x" not in text and "<b>jahat</b>" not in text and "&lt;b&gt;jahat&lt;/b&gt;" in text
    assert "\u202e" not in text and "\u200b" not in text and "\x1b" not in text
    assert "&lt;U+202E&gt;" in text and "&lt;U+200B&gt;" in text and "\\x1b[2J" in text
    assert "A" * TEXT_SHOWN in text and "A" * (TEXT_SHOWN + 1) not in text
    assert f"{2**20 - TEXT_SHOWN:,} more characters" in text
    assert len(text) < 100_000
    assert "javascript:" not in text and "onmouseover" not in text  # only plain http(s) links
    assert "Marked by Sari&lt;U+202E&gt;&lt;i&gt;: spam\\x1b[31m" in text  # a CLI name and note, shown safely


def test_an_editor_marks_a_reply_answered_with_a_note(office: Office) -> None:
    reply = add_reply(office, KTP, "Buka hari Sabtu?")
    client = signed_in_client(office, "editor")
    answer = mark(client, reply.id, "answered", "dijawab lewat telepon", "?belum=1")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/balasan?belum=1&selesai={reply.id}"
    stored = office.workspace.store.reply(reply.id)
    assert stored.status is ReplyStatus.ANSWERED and stored.decided_by == "editor"
    assert stored.note == "dijawab lewat telepon" and stored.answered_at == NOW
    shown = page_text(client, f"/balasan?selesai={reply.id}")
    assert f"Reply {reply.id}: answered (by editor)." in shown and "Marked by editor: dijawab lewat telepon" in shown
    admin = signed_in_client(office, "admin")
    assert mark(admin, reply.id, "ignored").status_code == 303
    assert office.workspace.store.reply(reply.id).decided_by == "admin"


def test_a_mistake_in_marking_changes_nothing_and_says_why(office: Office) -> None:
    reply = add_reply(office, KTP, "Buka hari Sabtu?")
    client = signed_in_client(office, "editor")
    for decision, note, message in (
        ("open", "", "Choose answered or set aside."),
        ("", "", "Choose answered or set aside."),
        ("answered", "x" * 501, "The note is too long"),
        ("answered", "ok\u202e", "hidden or control character"),
    ):
        answer = mark(client, reply.id, decision, note)
        assert answer.status_code == 400
        text = answer.get_data(as_text=True)
        assert text.count('class="problem"') == 1 and message in text
        assert office.workspace.store.reply(reply.id).status is ReplyStatus.OPEN
    assert mark(client, 999_999, "answered").status_code == 404


def test_an_approver_reads_only_their_own_agency_and_cannot_mark(office: Office) -> None:
    own = add_reply(office, POSYANDU, "pertanyaan untuk dinkes")
    other = add_reply(office, KTP, "pertanyaan untuk dukcapil")
    client = signed_in_client(office, "kadis-dinkes")
    text = page_text(client, "/balasan?dinas=Dinas+Kependudukan+dan+Pencatatan+Sipil")
    assert "pertanyaan untuk dinkes" in text and "pertanyaan untuk dukcapil" not in text
    assert 'name="keputusan"' not in text
    form = client.get("/balasan")
    for reply in (own, other):
        refused = client.post(f"/balasan/{reply.id}", data={"csrf_token": csrf_of(form), "keputusan": "answered"})
        assert refused.status_code == 403
        assert office.workspace.store.reply(reply.id).status is ReplyStatus.OPEN
    assert office.app.test_client().get("/balasan").status_code == 302


def test_marking_without_the_form_token_is_refused(office: Office) -> None:
    reply = add_reply(office, KTP, "Buka hari Sabtu?")
    client = signed_in_client(office, "editor")
    assert client.post(f"/balasan/{reply.id}", data={"keputusan": "answered"}).status_code == 400
    assert office.workspace.store.reply(reply.id).status is ReplyStatus.OPEN
