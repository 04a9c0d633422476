"""Beranda and Antrean over HTTP (Flask's test client): the queue's filters and its pages (paged in SQL by the
store's ``post_page``/``post_count``), an approver's view limited to their agency, and the home page's
counts of what needs a person, each linking to the list that shows it."""

from __future__ import annotations

import re
from datetime import timedelta

from outreach.model import IncomingReply, PostState
from outreach.operations import PAUSE_SETTING
from outreach.store.posts import PostFilter
from tests.engine_helpers import at, settle_as
from tests.web_helpers import DINKES, DUKCAPIL, KTP, POSYANDU, Office, signed_in_client, sqlite_plans


def post_ids(page: str) -> list[int]:
    """The posts a list links to, in order (each row links to its post's page once, first)."""
    seen: list[int] = []
    for found in re.findall(r'href="/antrean/(\d+)"', page):
        if int(found) not in seen:
            seen.append(int(found))
    return seen


def announce_many(office: Office, count: int) -> list[int]:
    """``count`` announcements on channel x, one a minute from noon on the office's first day."""
    ws = office.workspace
    return [
        ws.operations.announce(
            "x", at(2026, 12, 7, 12, 0) + timedelta(minutes=n), f"Pengumuman {n}.", None, "t", "t"
        ).post_id
        for n in range(count)
    ]


# ---- the store's queries ---------------------------------------------------------------------------------


def test_the_store_pages_posts_by_filters_with_names_and_agencies(office: Office) -> None:
    store = office.workspace.store
    every = store.posts()
    assert store.post_count(PostFilter()) == len(every) == 14
    first, second = store.post_page(PostFilter(), 5), store.post_page(PostFilter(), 5, 5)
    assert [row.post.id for row in first + second] == [post.id for post in every[:10]]  # schedule order
    assert {(row.innovation_name, row.agency) for row in first if row.post.innovation_id == KTP} == {
        ("Ktp Sehari Jadi", DUKCAPIL)
    }
    dinkes = store.post_page(PostFilter(opd=DINKES), 50)
    assert dinkes and {row.post.innovation_id for row in dinkes} == {POSYANDU}
    assert store.post_count(PostFilter(opd=DINKES)) == len(dinkes) == 6
    assert store.post_count(PostFilter(channel="x", opd=DUKCAPIL)) == 4
    window = PostFilter(scheduled_from=at(2026, 12, 8), scheduled_to=at(2026, 12, 10))
    assert {row.post.scheduled_at.date().isoformat() for row in store.post_page(window, 50)} <= {
        "2026-12-08",
        "2026-12-09",
    }
    settle_as(store, 1, PostState.FAILED, at(2026, 12, 7, 2), "rejected")
    assert [row.post.id for row in store.post_page(PostFilter(states=(PostState.FAILED,)), 50)] == [1]
    assert store.post_count(PostFilter(states=(PostState.FAILED, PostState.PLANNED))) == 14
    assert store.agencies() == [DUKCAPIL, DINKES]


def test_an_announcement_is_listed_without_an_innovation(office: Office) -> None:
    (post_id,) = announce_many(office, 1)
    (row,) = office.workspace.store.post_page(PostFilter(states=(PostState.PLANNED,), channel="x"), 1, 1)
    assert row.post.id == post_id and row.innovation_name is None and row.agency is None


# ---- Antrean ----------------------------------------------------------------------------------------------


def test_the_queue_lists_from_today_with_each_post_linked(office: Office) -> None:
    client = signed_in_client(office, "editor")
    page = client.get("/antrean")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert post_ids(text) == [post.id for post in office.workspace.store.posts()]
    assert 'value="2026-12-07"' in text  # the first day the default shows
    assert "x (X)" in text and "facebook (Facebook)" in text and "Ktp Sehari Jadi" in text and DINKES in text
    assert client.get("/antrean/2").status_code == 200


def test_the_queue_filters_by_state_channel_agency_and_days(office: Office) -> None:
    store = office.workspace.store
    settle_as(store, 2, PostState.FAILED, at(2026, 12, 7, 2), "rejected: duplicate")
    client = signed_in_client(office, "editor")
    failed = client.get("/antrean?state=failed").get_data(as_text=True)
    assert post_ids(failed) == [2] and "rejected: duplicate" in failed
    on_x = post_ids(client.get("/antrean?channel=x").get_data(as_text=True))
    assert on_x == [post.id for post in store.posts() if post.channel == "x"]
    dinkes = post_ids(client.get("/antrean", query_string={"agency": DINKES}).get_data(as_text=True))
    assert dinkes == [3, 4, 7, 8, 11, 12]
    days = post_ids(client.get("/antrean?from=2026-12-09&to=2026-12-10").get_data(as_text=True))
    assert days == [5, 6, 7, 8]
    both = client.get("/antrean", query_string={"agency": DUKCAPIL, "channel": "facebook", "from": "2026-12-09"})
    assert post_ids(both.get_data(as_text=True)) == [5, 9, 13]


def test_a_wrong_filter_is_said_and_lists_nothing(office: Office) -> None:
    client = signed_in_client(office, "editor")
    for query, message in (
        ("from=7-12-2026", "write the dates as year-month-day"),
        ("from=2026-12-09&to=2026-12-08", "the last day comes before the first day"),
        ("state=lost", "there is no state called lost"),
    ):
        page = client.get(f"/antrean?{query}")
        text = page.get_data(as_text=True)
        assert page.status_code == 400 and message in text and post_ids(text) == [], query
        assert text.count('role="alert"') == 1


def test_the_queue_pages_by_fifty_and_keeps_the_filters(office: Office) -> None:
    added = announce_many(office, 60)
    client = signed_in_client(office, "editor")
    first = client.get("/antrean?channel=x").get_data(as_text=True)
    on_x = [post.id for post in office.workspace.store.posts() if post.channel == "x"]
    assert len(on_x) == 67 and set(added) <= set(on_x)
    assert post_ids(first) == on_x[:50] and "67 posts" in first and "page 1 of 2" in first
    following = re.search(r'href="([^"]+)" rel="next"', first)
    assert following and "channel=x" in following.group(1) and "page=2" in following.group(1)
    second = client.get(following.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert post_ids(second) == on_x[50:] and 'rel="prev"' in second and 'rel="next"' not in second
    assert client.get("/antrean?channel=x&page=3").status_code == 404


def test_an_approver_sees_only_their_agencys_posts(office: Office) -> None:
    client = signed_in_client(office, "kadis-dinkes")
    page = client.get("/antrean", query_string={"agency": DUKCAPIL}).get_data(as_text=True)
    assert post_ids(page) == [3, 4, 7, 8, 11, 12] and DUKCAPIL not in page
    assert client.get("/antrean/3").status_code == 200
    assert client.get("/antrean/1").status_code == 403
    assert client.get("/antrean/999").status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(office: Office) -> None:
    answer = office.app.test_client().get("/antrean?state=failed")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/masuk")


# ---- Beranda ----------------------------------------------------------------------------------------------


def test_the_home_page_lists_todays_and_the_next_posts(office: Office) -> None:
    page = signed_in_client(office, "editor").get("/").get_data(as_text=True)
    today = page[page.index('id="hari-ini"') : page.index('id="berikutnya"')]
    assert post_ids(today) == [1, 2]
    assert "09:00 WIB" in today and "x (X)" in today and "Ktp Sehari Jadi" in today and DUKCAPIL in today
    assert "planned" in today
    upcoming = page[page.index('id="berikutnya"') :]
    assert post_ids(upcoming)[:10] == list(range(3, 13))
    assert "Publishing is on" in page and "Nothing waits for a person." in page
    assert "daemon: not running (never started)" in page  # as `outreach status` says it


def test_the_home_page_says_what_needs_a_person_with_links(office: Office) -> None:
    ws = office.workspace
    store = ws.store
    moment = at(2026, 12, 7, 2)
    settle_as(store, 1, PostState.FAILED, moment, "rejected")
    settle_as(store, 2, PostState.UNKNOWN, moment, "timeout")
    settle_as(store, 3, PostState.UNKNOWN, moment, "timeout")
    settle_as(store, 4, PostState.HANDED_OFF, moment, "staff send it", remote_id="wa-1")
    settle_as(store, 5, PostState.PUBLISHED, moment, "ok", remote_id="r5", remote_url="https://x.com/a/status/5")
    ws.holds.hold("facebook", "no API credits left")
    ws.operations.pause("Hari berkabung", "admin")
    published = store.post(5)
    store.add_replies(
        published,
        [
            (IncomingReply("r1", "warga", "Tolong, banjir!", moment, None, "r5"), "complaint", True),
            (IncomingReply("r2", "warga2", "Terima kasih", moment, None, "r5"), "thanks", False),
        ],
        moment,
    )
    page = signed_in_client(office, "editor").get("/").get_data(as_text=True)
    needs = page[page.index('id="perlu"') : page.index('id="hari-ini"')]
    assert re.search(r'href="/antrean\?state=failed"><strong>1</strong> failed', needs)
    assert re.search(r'href="/antrean\?state=unknown"><strong>2</strong> unknown', needs)
    assert re.search(r'href="/antrean\?state=handed_off"><strong>1</strong> handed off', needs)
    assert "missed" not in needs  # nothing missed: not listed
    assert "facebook (Facebook) is held" in needs and "no API credits left" in needs
    assert re.search(r'href="/balasan\?belum=1&amp;mendesak=1"><strong>1</strong> urgent citizen reply', needs)
    assert "Publishing is paused." in page and "by admin: Hari berkabung" in page
    assert store.get_setting(PAUSE_SETTING)  # the page only reads


def test_an_approver_home_page_counts_only_their_agency(office: Office) -> None:
    store = office.workspace.store
    settle_as(store, 1, PostState.FAILED, at(2026, 12, 7, 2), "rejected")  # Dukcapil's
    dinkes = signed_in_client(office, "kadis-dinkes").get("/").get_data(as_text=True)
    assert "Nothing waits for a person." in dinkes and post_ids(dinkes[dinkes.index('id="hari-ini"') :])[0] == 3
    dukcapil = signed_in_client(office, "kadis-dukcapil").get("/").get_data(as_text=True)
    assert re.search(r"<strong>1</strong> failed", dukcapil)


def test_the_queue_of_one_agency_finds_its_innovations_in_the_agency_index(office: Office) -> None:
    """The queue filtered by agency names that agency's innovations from the index on the lowered agency
    (migration 11): reading every innovation's JSON costs ~70 ms a page with 10,000 innovations."""
    store = office.workspace.store
    wanted = PostFilter(opd=DINKES)
    plans = sqlite_plans(store, lambda: (store.post_page(wanted, 50), store.post_count(wanted)))
    assert len(plans) == 2 and all("innovations_agency" in plan for _sql, plan in plans), plans
    assert all("SCAN innovations" not in plan for _sql, plan in plans), plans
    rows = store.post_page(wanted, 1000)
    assert rows and {row.agency for row in rows} == {DINKES} and store.post_count(wanted) == len(rows)
    assert store.post_page(PostFilter(opd=DINKES.upper()), 1000) == []  # the queue's agency is its exact name


def test_the_queue_reads_posts_in_schedule_order_from_an_index(office: Office) -> None:
    """With 100,000 posts a page must not sort them all: the schedule index (migration 8) gives the order."""
    with office.workspace.store.transaction() as connection:
        names = set(connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars())
        plan = " ".join(
            str(row[-1])
            for row in connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT * FROM posts WHERE scheduled_at >= '2026' ORDER BY scheduled_at, id LIMIT 50"
            )
        )
    assert "posts_scheduled" in names
    assert "posts_scheduled" in plan and "TEMP B-TREE" not in plan
