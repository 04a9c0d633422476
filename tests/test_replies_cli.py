"""`outreach replies collect|list|mark|purge` and the replies lines of `outreach status`, as a person uses them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner, Result
from werkzeug import Request, Response

from outreach import channels
from outreach.cli import cli
from outreach.model import IncomingReply, Post, PostState, ReplyStatus
from outreach.store import Store
from tests.engagement_probe import ProbeChannel, probe_block
from tests.engine_helpers import STORE_NAME, campaign, file_channel, innovation, project, settle_as, workspace
from tests.fakeplatform.server import FakeServer, json_response
from tests.test_metrics import NOW
from tests.test_reach_cli import one_line_error

KTP = "ktp-sehari-jadi"
POSYANDU = "posyandu-keliling"
DUKCAPIL = "Dinas Kependudukan dan Pencatatan Sipil"
DINKES = "Dinas Kesehatan"
ROWS = [innovation(KTP, DUKCAPIL), innovation(POSYANDU, DINKES)]


class ReplyProbe(ProbeChannel):
    """Reads ``GET /replies/<remote_id>`` from the fake through the HTTP choke point; the office writes as ``dinas``."""

    replies_unavailable: ClassVar[str | None] = None

    def replies(self, post: Post) -> list[IncomingReply]:
        body = self.http.request("GET", f"/replies/{post.remote_id}").body
        return [
            IncomingReply(
                item["id"],
                item["author"],
                item["text"],
                datetime.fromisoformat(item["at"]),
                item.get("url"),
                item.get("parent", post.remote_id),
                item["author"] == "dinas",
            )
            for item in body
        ]


class RepliesFake:
    """Serves each post's thread; ``threads[remote_id]`` is a list of reply dicts (a 404 for an unknown post)."""

    def __init__(self, server: FakeServer) -> None:
        self.threads: dict[str, list[dict[str, Any]]] = {}
        server.route("GET", r"/(\w+)/replies/([\w-]+)", self._replies)

    def _replies(self, _request: Request, match: re.Match[str]) -> Response:
        thread = self.threads.get(match.group(2))
        if thread is None:
            return json_response({"error": "Record not found"}, 404)
        return json_response(thread)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as started:
        yield started


def register_reply_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(channels._ADAPTERS, "replyprobe", "tests.test_replies_cli:ReplyProbe")
    monkeypatch.setattr(channels, "CHANNEL_TYPES", (*channels.CHANNEL_TYPES, "replyprobe"))


def make_config(folder: Path, server: FakeServer | None = None, extra: str = "") -> Path:
    chosen = {"x": file_channel("x", "outbox")}
    if server is not None:
        chosen["mastodon"] = {**probe_block(server, "mastodon"), "type": "replyprobe"}
    config = project(folder, ROWS, channels=chosen, campaigns={"kenali": campaign(list(chosen))})
    if extra:
        config.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")
    workspace(config, NOW - timedelta(days=60)).close()  # the store exists: no command announces a new one
    return config


def publish(store: Store, channel: str, remote_id: str, when: datetime, innovation_id: str = KTP) -> Post:
    """A post about ``innovation_id`` that went out on ``channel`` at ``when`` as ``remote_id``."""
    values = {
        "key": f"kenali/{channel}/{remote_id}", "campaign": "kenali", "channel": channel,
        "innovation_id": innovation_id, "kind": "perkenalan", "scheduled_at": when, "text": "Layanan baru.",
        "link": None,
    }  # fmt: skip
    post_id = store.add_post(values, when - timedelta(days=1), "planned", "test")
    settle_as(store, post_id, PostState.PUBLISHED, when, "done", remote_id=remote_id, published_at=when)
    return store.post(post_id)


def citizen(remote_id: str, text: str, when: datetime, author: str = "warga_tbk") -> IncomingReply:
    return IncomingReply(remote_id, author, text, when, f"https://masto.test/@{author}/{remote_id}", None)


def run(config: Path, *args: str, now: datetime = NOW) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--now", now.isoformat(), *args])


def seeded(folder: Path) -> Path:
    """Four replies: an urgent complaint and a question to Dukcapil's post, thanks and an old question to Dinkes's."""
    config = make_config(folder)
    ws = workspace(config, NOW)
    ktp = publish(ws.store, "x", "x-1", NOW - timedelta(days=2))
    posyandu = publish(ws.store, "x", "x-2", NOW - timedelta(days=3), POSYANDU)
    ws.store.add_replies(
        ktp,
        [
            (citizen("r1", "tolong, kantor kelurahan kebanjiran, antrean ditutup?", NOW - timedelta(days=1)), "complaint", True),
            (citizen("r2", "syaratnya apa aja min?", NOW - timedelta(hours=20), "sari.lpg"), "question", False),
        ],
        NOW,
    )  # fmt: skip
    ws.store.add_replies(
        posyandu,
        [
            (citizen("r3", "mantap, makasih dinkes", NOW - timedelta(hours=30)), "thanks", False),
            (citizen("r4", "buka hari sabtu?", NOW - timedelta(days=200)), "question", False),
        ],
        NOW,
    )
    ws.close()
    return config


def test_collect_keeps_each_reply_once_finds_the_office_answer_and_prints_a_summary_per_channel(
    tmp_path: Path, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_reply_probe(monkeypatch)
    fake = RepliesFake(server)
    config = make_config(tmp_path, server)
    ws = workspace(config, NOW)
    publish(ws.store, "mastodon", "m1", NOW - timedelta(days=1))
    publish(ws.store, "mastodon", "m-gone", NOW - timedelta(days=2))
    publish(ws.store, "x", "x1", NOW - timedelta(days=1))
    ws.close()
    asked = (NOW - timedelta(hours=5)).isoformat()
    fake.threads["m1"] = [
        {"id": "101", "author": "warga_tbk", "text": "syaratnya apa?", "at": asked, "url": "https://masto.test/101"},
        {"id": "102", "author": "dinas", "text": "Cukup KTP.", "at": (NOW - timedelta(hours=2)).isoformat(),
         "parent": "101"},
    ]  # fmt: skip
    result = run(config, "replies", "collect", "--days", "10")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "replies collected under 1 posts of the last 10 days (1 failed, 1 skipped)"
    assert lines[1].split() == ["channel", "read", "failed", "skipped", "why"]
    assert lines[2].startswith("mastodon ") and lines[2].split()[1:4] == ["1", "1", "0"]
    assert lines[3].startswith("x ") and "this channel offers no replies to collect" in lines[3]
    assert lines[-1] == "`outreach replies list --unanswered` shows what waits for an answer"
    assert run(config, "replies", "collect", "--days", "10").exit_code == 0  # asked again: nothing doubles
    store = Store("sqlite:///" + str(tmp_path / STORE_NAME))
    [kept] = store.replies()
    assert (kept.remote_id, kept.status, kept.response_time) == ("101", ReplyStatus.ANSWERED, timedelta(hours=3))
    assert len(store.replies(from_office=None)) == 2
    store.close()
    status = run(config, "status").output
    assert re.search(
        r"replies: last collected \d{4}-\d\d-\d\d \d\d:\d\d WIB, under 1 post; 1 could not be read and is read again next time$",
        status,
        re.MULTILINE,
    ), status


def test_collect_is_refused_in_a_rehearsal_and_its_days_are_bounded(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    rehearsal = CliRunner().invoke(cli, ["--config", str(config), "--rehearsal", "replies", "collect"])
    assert "no citizen replied to it" in one_line_error(rehearsal)
    assert "--days" in one_line_error(run(config, "replies", "collect", "--days", "0"))


def _table(output: str) -> tuple[list[str], list[str]]:
    lines = output.splitlines()
    return lines[0].split(), lines[1:]


def test_list_shows_every_reply_oldest_first_in_office_time_with_agency_kind_urgency_and_status(
    tmp_path: Path,
) -> None:
    config = seeded(tmp_path)
    result = run(config, "replies", "list")
    assert result.exit_code == 0, result.output
    header, rows = _table(result.output)
    assert header == ["id", "when", "agency", "innovation", "platform", "kind", "urgent", "status", "author", "text"]
    assert rows[-1] == "4 replies"
    assert [row.split()[0] for row in rows[:-1]] == ["4", "3", "1", "2"]  # oldest first
    urgent = next(row for row in rows if row.startswith("1 "))
    written = (NOW - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    for part in (f"{written} WIB", DUKCAPIL, KTP, "X", "complaint", "!", "unanswered", "warga_tbk", "kebanjiran"):
        assert part in urgent, (part, urgent)


def test_list_filters_by_unanswered_agency_kind_and_urgency_and_names_the_agencies_for_an_unknown_one(
    tmp_path: Path,
) -> None:
    config = seeded(tmp_path)
    ws = workspace(config, NOW)
    ws.store.decide_reply(3, ReplyStatus.IGNORED, "Sari", NOW)
    ws.close()

    def ids(*options: str) -> list[str]:
        result = run(config, "replies", "list", "--format", "json", *options)
        assert result.exit_code == 0, result.output
        return [str(item["id"]) for item in json.loads(result.output)]

    assert ids() == ["4", "3", "1", "2"]
    assert ids("--unanswered") == ["4", "1", "2"]
    assert ids("--opd", "dinas kesehatan") == ["4", "3"]  # case and spaces as a person types them
    assert ids("--kind", "question") == ["4", "2"]
    assert ids("--urgent") == ["1"]
    assert ids("--unanswered", "--opd", DUKCAPIL, "--kind", "question") == ["2"]
    unknown = one_line_error(run(config, "replies", "list", "--opd", "Dinas Pariwisata"))
    assert "no agency named 'Dinas Pariwisata'" in unknown and DINKES in unknown
    assert "--kind" in one_line_error(run(config, "replies", "list", "--kind", "spam"))
    assert run(config, "replies", "list", "--urgent", "--kind", "thanks").output.splitlines() == [
        "no reply matches; `outreach replies collect` collects new ones"
    ]


def test_list_json_keeps_english_keys_and_values_and_the_whole_text(tmp_path: Path) -> None:
    config = seeded(tmp_path)
    ws = workspace(config, NOW)
    ws.store.decide_reply(2, ReplyStatus.ANSWERED, "Sari", NOW - timedelta(hours=18), "dijawab lewat telepon")
    ws.close()
    result = CliRunner().invoke(
        cli,
        ["--config", str(config), "--language", "id", "--now", NOW.isoformat(), "replies", "list", "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    by_id = {item["id"]: item for item in json.loads(result.output)}
    answered = by_id[2]
    assert answered == {
        "id": 2, "post_id": answered["post_id"], "channel": "x", "platform": "x", "innovation_id": KTP,
        "agency": DUKCAPIL, "kind": "question", "urgent": False, "status": "answered", "author": "sari.lpg",
        "text": "syaratnya apa aja min?", "url": "https://masto.test/@sari.lpg/r2",
        "written_at": (NOW - timedelta(hours=20)).isoformat(), "answered_at": (NOW - timedelta(hours=18)).isoformat(),
        "response_seconds": 7200, "decided_by": "Sari", "note": "dijawab lewat telepon", "erased_at": None,
    }  # fmt: skip
    assert by_id[1]["urgent"] is True and by_id[1]["status"] == "open"


def test_list_speaks_indonesian(tmp_path: Path) -> None:
    config = seeded(tmp_path)
    result = CliRunner().invoke(
        cli, ["--config", str(config), "--language", "id", "--now", NOW.isoformat(), "replies", "list", "--urgent"]
    )
    assert result.exit_code == 0, result.output
    header, rows = _table(result.output)
    assert header == ["id", "waktu", "perangkat", "daerah", "inovasi", "platform", "jenis", "mendesak", "status",
                      "penulis", "teks"]  # fmt: skip
    assert "keluhan" in rows[0] and "belum dijawab" in rows[0]
    assert rows[-1] == "1 balasan"


def test_mark_records_who_decided_and_an_unknown_id_is_one_line(tmp_path: Path) -> None:
    config = seeded(tmp_path)
    later = NOW + timedelta(hours=2)
    marked = run(config, "replies", "mark", "2", "answered", "--by", "Sari", "--note", "dijawab lewat DM", now=later)
    assert marked.exit_code == 0, marked.output
    assert marked.output == "reply 2: answered (by Sari)\n"
    ignored = run(config, "replies", "mark", "3", "ignored", "--by", "Sari")
    assert ignored.output == "reply 3: set aside (by Sari)\n"
    store = Store("sqlite:///" + str(tmp_path / STORE_NAME))
    reply = store.reply(2)
    assert (reply.status, reply.decided_by, reply.note, reply.answered_at) == (
        ReplyStatus.ANSWERED, "Sari", "dijawab lewat DM", later,
    )  # fmt: skip
    assert store.reply(3).status is ReplyStatus.IGNORED
    store.close()
    missing = one_line_error(run(config, "replies", "mark", "99", "answered", "--by", "Sari"))
    assert missing == "Error: reply 99: no such reply; `outreach replies list` shows the ids"
    assert "--by" in one_line_error(run(config, "replies", "mark", "2", "answered"))
    assert "--by" in one_line_error(run(config, "replies", "mark", "2", "answered", "--by", "  "))
    assert "open" in one_line_error(run(config, "replies", "mark", "2", "open", "--by", "Sari"))


def test_purge_erases_the_person_past_the_retention_period_and_keeps_the_figures(tmp_path: Path) -> None:
    config = seeded(tmp_path)
    result = run(config, "replies", "purge")
    assert result.exit_code == 0, result.output
    cutoff = (NOW - timedelta(days=180)).strftime("%Y-%m-%d %H:%M")
    assert result.output == f"erased the text, author and link of 1 reply written before {cutoff} WIB (kept 180 days)\n"
    listed = {item["id"]: item for item in json.loads(run(config, "replies", "list", "--format", "json").output)}
    old = listed[4]
    assert (old["text"], old["author"], old["url"], old["kind"], old["status"]) == (
        None,
        None,
        None,
        "question",
        "open",
    )
    assert old["erased_at"] == NOW.isoformat()
    assert listed[3]["text"] == "mantap, makasih dinkes"
    table = run(config, "replies", "list").output.splitlines()
    assert table[1].startswith("4 ") and re.search(r" -\s+\(erased\)$", table[1])
    assert "0 replies" in run(config, "replies", "purge").output  # once is enough


def test_purge_follows_the_configured_retention(tmp_path: Path) -> None:
    config = seeded(tmp_path)
    config.write_text(config.read_text(encoding="utf-8") + "\n[replies]\nretention_days = 1\n", encoding="utf-8")
    result = run(config, "replies", "purge")
    # replies written more than a day ago: the thanks (30 hours) and the old question; the complaint was written
    # exactly a day ago, so it is not yet older than the period
    assert "of 2 replies" in result.output and "(kept 1 days)" in result.output, result.output


def test_status_says_replies_were_never_collected_and_what_waits(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    quiet = run(config, "status").output
    assert "replies: never collected yet" in quiet and "replies waiting" not in quiet and "URGENT" not in quiet
    config = seeded(tmp_path / "busy")
    lines = run(config, "status").output.splitlines()
    assert "URGENT: 1 citizen reply waits for an answer — see `outreach replies list --urgent --unanswered`" in lines
    assert "replies waiting: 3 questions and complaints unanswered — see `outreach replies list --unanswered`" in lines
    indonesian = CliRunner().invoke(cli, ["--config", str(config), "--language", "id", "status"]).output
    assert "MENDESAK: 1 balasan warga menunggu jawaban" in indonesian


def test_the_store_counts_open_citizen_replies_by_kind_and_urgency(tmp_path: Path) -> None:
    config = seeded(tmp_path)
    ws = workspace(config, NOW)
    ws.store.decide_reply(2, ReplyStatus.ANSWERED, "Sari", NOW)
    post = ws.store.post(1)
    office = IncomingReply("o1", "dinas", "Cukup KTP.", NOW, None, "r2", from_office=True)
    ws.store.add_replies(post, [(office, "other", False)], NOW)  # the office's own: never waiting
    assert ws.store.open_reply_counts() == {("complaint", True): 1, ("thanks", False): 1, ("question", False): 1}
    ws.close()


def test_explain_shows_the_sorting_and_its_rules_with_the_office_words_and_opens_no_store(tmp_path: Path) -> None:
    config = project(tmp_path, ROWS, channels={"x": file_channel("x", "outbox")}, campaigns={})
    (tmp_path / "aturan.toml").write_text('[urgent.local]\nphrases = ["jembatan putus"]\n', encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8") + '\n[replies]\nrules = "aturan.toml"\n', encoding="utf-8")
    flood = run(config, "--language", "id", "replies", "explain", "tolong, banjir di Way Halim")
    assert flood.exit_code == 0, flood.output
    assert flood.output.splitlines()[:2] == ["jenis: keluhan", "mendesak: ya"]
    assert "urgent.flood: banjir" in flood.output
    bridge = run(config, "replies", "explain", "jembatan putus di Kemiling")
    assert "urgent: yes" in bridge.output and "urgent.local: jembatan putus" in bridge.output
    calm = run(config, "replies", "explain", "mantap")
    assert "urgent: no" in calm.output
    assert not (tmp_path / STORE_NAME).exists()
