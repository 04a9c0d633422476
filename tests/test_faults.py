"""Fault injection through the real Publisher, for every HTTP channel adapter.

Each case builds a real project (catalogue with an image, one channel block pointing at one
platform fake on its own loopback server, one campaign), plans two posts on two days, injects one
fault into the platform's create call for the first post, and checks the state the publisher
records, that the platform never holds two copies of a post, and that publishing goes on.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from outreach.model import PostState
from tests.channels.conftest import HTTP_FAKES, SAMPLE_IMAGE
from tests.engine_helpers import at, campaign, innovation, set_now, workspace, write_catalogue, write_config
from tests.fakeplatform.base import PlatformFake
from tests.fakeplatform.server import FakeServer, Fault

PLAN_AT = at(2026, 11, 30, 20, 0)
SLOT1 = at(2026, 12, 1, 9, 0)
SLOT2 = at(2026, 12, 2, 9, 0)
SLOW_DELAY = 1.5

TRANSIENT = "transient"
AMBIGUOUS = "ambiguous"


@pytest.fixture
def server() -> Iterator[FakeServer]:
    running = FakeServer()
    # Shut the loopback server down in 0.05 s instead of werkzeug's 0.5 s poll (keeps the suite fast).
    http = running.http
    http.thread_target = lambda: http.server.serve_forever(poll_interval=0.05)  # type: ignore[method-assign]
    with running:
        yield running


@pytest.fixture(params=HTTP_FAKES, ids=lambda fake: fake.channel_type)
def fake(request: pytest.FixtureRequest, server: FakeServer) -> PlatformFake:
    return request.param(server)


def _rows() -> list[dict[str, str]]:
    return [
        innovation("ktp-sehari-jadi", gambar="sample.jpg", alt_gambar="Petugas melayani warga di loket KTP-el"),
        innovation("bank-sampah", "Dinas Sosial", gambar="sample.jpg", alt_gambar="Warga menimbang sampah plastik"),
    ]


def _write(folder: Path, fake: PlatformFake, **overrides: Any) -> Path:
    block = {**fake.channel_settings(), "read_timeout": 0.5, "connect_timeout": 2.0, **overrides}
    return write_config(
        folder,
        channels={"kanal": block},
        campaigns={"kenali": campaign(["kanal"], ["setiap hari 09.00"], min_gap_days=0)},
    )


def _setup(tmp_path: Path, fake: PlatformFake, **overrides: Any):
    folder = tmp_path / "proyek"
    folder.mkdir()
    shutil.copy(SAMPLE_IMAGE, folder / "sample.jpg")
    write_catalogue(folder, _rows())
    config = _write(folder, fake, **overrides)
    ws = workspace(config, PLAN_AT, fake.environ)
    inserted, _, _ = ws.planning.apply_plan(2)
    assert inserted >= 2, inserted
    posts = sorted(ws.store.posts(), key=lambda post: post.scheduled_at)
    assert [post.scheduled_at for post in posts[:2]] == [SLOT1, SLOT2], [p.scheduled_at for p in posts]
    assert all(post.text for post in posts)
    return ws, ws.publisher(jitter=lambda: 0.0), posts[0].id, posts[1].id


def _fault(kind: str, fake: PlatformFake) -> tuple[str, Fault | None]:
    path = fake.create_path
    if kind == "own_5xx":
        return TRANSIENT, Fault("status", path, response=fake.server_error_response())
    if kind in ("500", "502", "503"):
        return TRANSIENT, Fault("status", path, response=_status(int(kind)))
    if kind == "429":
        return TRANSIENT, Fault("status", path, response=fake.rate_limit_response(120))
    if kind == "html":
        return TRANSIENT, Fault("html", path)
    if kind == "slow":
        return AMBIGUOUS, Fault("slow", path, delay=SLOW_DELAY)
    if kind == "reset":
        return AMBIGUOUS, Fault("reset", path)
    if kind == "malformed_json":
        return AMBIGUOUS, Fault("malformed_json", path)
    raise AssertionError(kind)


def _status(code: int):
    from werkzeug import Response

    return Response(f"{code} error", status=code, content_type="text/plain")


FAULTS = ["own_5xx", "500", "502", "503", "429", "html", "slow", "reset", "malformed_json"]


@pytest.mark.parametrize("kind", FAULTS)
def test_fault_on_create(tmp_path: Path, fake: PlatformFake, server: FakeServer, kind: str) -> None:
    ws, publisher, first, second = _setup(tmp_path, fake)
    expected, fault = _fault(kind, fake)
    server.inject(fault)

    set_now(ws, SLOT1)
    publisher.publish_due()
    if kind == "slow":
        time.sleep(SLOW_DELAY)  # let the slow request finish on the server before counting
    post = ws.store.post(first)
    assert post is not None
    assert post.reason, post
    if expected == TRANSIENT:
        assert post.state is PostState.PLANNED, (post.state, post.reason)
        assert post.attempts == 1
        assert post.due_at > SLOT1, (post.due_at, post.reason)
        if kind == "429":
            # Mastodon and X send an absolute reset epoch taken from the real clock: allow for that drift.
            assert post.due_at >= SLOT1 + timedelta(seconds=110), (post.due_at, post.reason)
        assert len(fake.created) == 0
    else:
        # Ambiguous: reconciled as published, proven not published (retried later, not at once,
        # so a request still in flight can land first), or unknown for a person to settle.
        assert post.state in (PostState.UNKNOWN, PostState.PUBLISHED, PostState.PLANNED), (post.state, post.reason)
        assert len(fake.created) <= 1, fake.created
        if post.state is PostState.PUBLISHED:
            assert len(fake.created) == 1
        if post.state is PostState.PLANNED:
            assert "reconciled: it was not published" in post.reason and post.due_at > ws.now()

    # The fault is gone: a run at the retry's due time (within the catch-up window) retries the
    # first post, and the next day's run publishes the second.
    set_now(ws, max(post.due_at, SLOT1) + timedelta(seconds=1))
    publisher.publish_due()
    set_now(ws, SLOT2)
    publisher.publish_due()
    assert ws.store.post(second).state is PostState.PUBLISHED, ws.store.post(second).reason
    first_after = ws.store.post(first)
    if expected == TRANSIENT:
        assert first_after.state is PostState.PUBLISHED, (first_after.state, first_after.reason)
        assert first_after.attempts == 2
        assert len(fake.created) == 2
    elif post.state is PostState.PLANNED:  # proven not published: the safe retry publishes it once
        assert first_after.state is PostState.PUBLISHED, (first_after.state, first_after.reason)
        assert sum(1 for _ in fake.created) == 2
    else:
        assert first_after.state is post.state
    # Never two copies of a post on the platform.
    published = [p for p in ws.store.posts() if p.state is PostState.PUBLISHED]
    assert len(published) <= len(fake.created) <= 2, (len(fake.created), fake.created)
    ws.close()


def test_unresolvable_host(tmp_path: Path, fake: PlatformFake) -> None:
    key = "url" if "url" in fake.channel_settings() and "base_url" not in fake.channel_settings() else "base_url"
    assert key in fake.channel_settings(), "every HTTP adapter takes its address from config"
    ws, publisher, first, _second = _setup(tmp_path, fake, **{key: "http://no-such-host.invalid"})
    set_now(ws, SLOT1)
    publisher.publish_due()
    post = ws.store.post(first)
    assert post.state is PostState.PLANNED, (post.state, post.reason)
    assert post.attempts == 1
    assert post.due_at > SLOT1
    assert post.reason
    assert fake.created == []
    ws.close()

    # The host is fixed in the config: the retry (a fresh workspace on the same store, within the
    # catch-up window) publishes the first post, the next day's run the second.
    fixed = workspace(_write(tmp_path / "proyek", fake), post.due_at + timedelta(seconds=1), fake.environ)
    fixed.publisher(jitter=lambda: 0.0).publish_due()
    set_now(fixed, SLOT2)
    fixed.publisher(jitter=lambda: 0.0).publish_due()
    states = {post.id: post.state for post in fixed.store.posts()}
    assert states[first] is PostState.PUBLISHED and states[_second] is PostState.PUBLISHED, states
    assert len(fake.created) == 2
    fixed.close()


def test_token_expires_mid_campaign(tmp_path: Path, fake: PlatformFake) -> None:
    ws, publisher, first, second = _setup(tmp_path, fake)
    set_now(ws, SLOT1)
    publisher.publish_due()
    assert ws.store.post(first).state is PostState.PUBLISHED, ws.store.post(first).reason
    assert len(fake.created) == 1

    fake.expire_token()
    set_now(ws, SLOT2)
    publisher.publish_due()
    post = ws.store.post(second)
    assert post.state is PostState.FAILED, (post.state, post.reason)
    reason = post.reason.lower()
    assert any(word in reason for word in ("token", "auth", "credential", "login", "session")), post.reason
    assert len(fake.created) == 1
    ws.close()


#: A deadline of 0.3 + 0.5 s per request; a trickle of 30 pieces 0.2 s apart (6 s, no pause of 0.5 s).
TRICKLE_TIMEOUTS = {"connect_timeout": 0.3, "read_timeout": 0.5}


def _trickle(path: str, during: str) -> Fault:
    return Fault("trickle", path, during=during, delay=0.2, pieces=30)


def test_trickled_answer_on_create(tmp_path: Path, fake: PlatformFake, server: FakeServer) -> None:
    """A platform that acts on the post, then sends its status line and headers a few bytes at a time,
    never keeps the publisher waiting past the request's deadline: the post is reconciled or left for a
    person. (A trickled body: tests/channels/test_http.py, and test_x.py for tweepy's session.)"""
    ws, publisher, first, second = _setup(tmp_path, fake, **TRICKLE_TIMEOUTS)
    fault = _trickle(fake.create_path, "headers")
    server.inject(fault)

    set_now(ws, SLOT1)
    publisher.publish_due()
    assert fault.wait_delivered() is False  # the publisher hung up long before the answer was complete
    post = ws.store.post(first)
    assert post.state in (PostState.UNKNOWN, PostState.PUBLISHED), (post.state, post.reason)
    # 0.8 s, plus a little time to upload the image.
    assert "ambiguous" in post.reason and "no complete answer within 0." in post.reason, post.reason
    assert len(fake.created) == 1
    if post.state is PostState.PUBLISHED:
        assert "reconciled: it was published" in post.reason and post.remote_id

    set_now(ws, SLOT2)
    publisher.publish_due()
    assert ws.store.post(second).state is PostState.PUBLISHED, ws.store.post(second).reason
    assert len(fake.created) == 2
    ws.close()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """`outreach run` installs its own log handler on the root logger; put pytest's back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_run_once_returns_from_a_receiver_that_trickles_its_answer(tmp_path: Path, server: FakeServer) -> None:
    """`outreach run --once` against a webhook receiver that trickles its headers: the run ends at
    the request's deadline and the post is `unknown` (a webhook cannot be looked up), not `publishing`."""
    from click.testing import CliRunner

    from outreach.cli import cli
    from tests.fakeplatform.webhook import HOOK_PATH, WebhookFake

    fake = WebhookFake(server)
    folder = tmp_path / "proyek"
    write_catalogue(folder, [innovation("ktp-sehari-jadi")])
    config = write_config(
        folder,
        channels={"situs": {**fake.channel_settings(), **TRICKLE_TIMEOUTS}},
        campaigns={"kenali": campaign(["situs"], ["setiap hari 09.00"])},
    )
    # The store begins before the 09.00 slot (a store never plans a slot from before it existed).
    begun = CliRunner().invoke(cli, ["--config", str(config), "--now", "2026-12-01T08:00+07:00", "status"])
    assert begun.exit_code == 0, begun.output
    fault = _trickle(HOOK_PATH, "headers")
    server.inject(fault)

    result = CliRunner().invoke(
        cli, ["--config", str(config), "--now", "2026-12-01T09:00:30+07:00", "run", "--once"], env=fake.environ
    )
    assert result.exit_code == 0, result.output
    assert "1 unknown" in result.output, result.output
    assert fault.wait_delivered() is False
    ws = workspace(config, SLOT1, fake.environ)
    [post] = [post for post in ws.store.posts() if post.attempts]
    assert post.state is PostState.UNKNOWN, (post.state, post.reason)
    assert f"{HOOK_PATH}: no complete answer within 0.8 s; it may have been posted" in post.reason
    assert len(fake.created) == 1  # the receiver did act on it: exactly why a person must look
    ws.close()
