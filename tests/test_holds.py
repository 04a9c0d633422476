"""A channel whose account cannot post now is held: none of its posts is attempted, none fails.

The X fake runs out of prepaid credits (402 CreditsDepleted, as X answers on pay-per-use): the
real adapter raises ``ChannelHeld``, the publisher holds the channel, ``status`` and ``channels
check`` say so in one line, and the posts go out once credits are back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from outreach.app import Workspace
from outreach.cli import cli
from outreach.model import PostState
from outreach.status import status_lines
from tests.engine_helpers import at, campaign, innovation, project, set_now, workspace, write_config
from tests.fakeplatform.server import FakeServer
from tests.fakeplatform.x import XFake

PLAN_AT = at(2026, 11, 30, 20, 0)
SLOT = at(2026, 12, 1, 9, 5)
ROWS = [innovation("ktp-sehari-jadi"), innovation("bank-sampah", "Dinas Sosial"), innovation("pasar-online")]


@pytest.fixture(autouse=True)
def _each_engine(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every project here keeps its store on each engine in turn: a channel's hold is the store's, on both."""
    monkeypatch.setitem(write_config.__kwdefaults__, "store", store_url)


@pytest.fixture
def fake() -> Iterator[XFake]:
    with FakeServer() as server:
        yield XFake(server)


def _config(folder: Path, fake: XFake) -> Path:
    """Three posts on X, all due at the same slot."""
    return project(
        folder,
        ROWS,
        channels={"x": fake.channel_settings()},
        campaigns={
            "kenali": campaign(["x"], ["setiap hari 09.00, 09.01, 09.02"], min_gap_days=0, series=["perkenalan"])
        },
    )


def _held(folder: Path, fake: XFake) -> Workspace:
    """Three posts planned on X, due at SLOT, and a first run that finds the credits used up."""
    ws = workspace(_config(folder, fake), PLAN_AT, fake.environ)
    ws.planning.apply_plan(1)
    fake.credits = 0.0
    set_now(ws, SLOT)
    ws.publisher().publish_due()
    return ws


def test_used_up_credits_hold_the_channel_instead_of_failing_each_post(tmp_path: Path, fake: XFake) -> None:
    ws = workspace(_config(tmp_path, fake), PLAN_AT, fake.environ)
    ws.planning.apply_plan(1)
    due = ws.store.posts([PostState.PLANNED])
    assert len(due) == 3
    fake.credits = 0.0
    set_now(ws, SLOT)

    outcomes = ws.publisher().publish_due()

    assert len(fake.server.requests("POST", "/2/tweets")) == 1, "after the first 402, no other post is attempted"
    assert [outcome.state for outcome in outcomes] == [PostState.PLANNED]
    after = ws.store.posts()
    assert all(post.state is PostState.PLANNED and post.attempts == 0 for post in after), "none fails, none counted"
    held = next(line for line in status_lines(ws) if line.startswith("channel x: HELD"))
    assert "credits" in held and "console.x.com" in held

    # A second run within the hour attempts nothing.
    set_now(ws, SLOT + timedelta(minutes=5))
    assert ws.publisher().publish_due() == []
    assert len(fake.server.requests("POST", "/2/tweets")) == 1


def test_one_post_is_tried_again_after_a_while_and_its_success_lifts_the_hold(tmp_path: Path, fake: XFake) -> None:
    ws = _held(tmp_path, fake)
    fake.credits = None  # the office topped up
    set_now(ws, SLOT + timedelta(minutes=61))
    outcomes = ws.publisher().publish_due()

    assert [outcome.state for outcome in outcomes] == [PostState.PUBLISHED] * 3
    assert ws.holds.all() == {}
    assert not any(line.startswith("channel x: HELD") for line in status_lines(ws))


def test_a_hold_past_the_catch_up_window_still_fails_nothing(tmp_path: Path, fake: XFake) -> None:
    """Posts that wait too long become missed (the catch-up rule), never failed."""
    ws = _held(tmp_path, fake)
    set_now(ws, SLOT + timedelta(hours=3))
    ws.publisher().publish_due()
    assert {post.state for post in ws.store.posts()} <= {PostState.PLANNED, PostState.MISSED}


def test_channels_check_lifts_the_hold_once_the_account_answers(tmp_path: Path, fake: XFake) -> None:
    config = _config(tmp_path, fake)
    ws = workspace(config, PLAN_AT, fake.environ)
    ws.planning.apply_plan(1)
    fake.credits = 0.0
    set_now(ws, SLOT)
    ws.publisher().publish_due()
    assert "x" in ws.holds.all()
    ws.close()

    result = CliRunner(env=fake.environ).invoke(cli, ["--config", str(config), "channels", "check", "x"])

    assert result.exit_code == 0, result.output
    assert "hold lifted" in result.output and "credits are used up" in result.output
    again = workspace(config, SLOT + timedelta(minutes=1), fake.environ)
    assert again.holds.all() == {}
    fake.credits = None
    assert [outcome.state for outcome in again.publisher().publish_due()] == [PostState.PUBLISHED] * 3


def test_any_account_level_refusal_holds_the_channel_not_the_post(tmp_path: Path) -> None:
    """Not only X's credits: a Telegram bot removed from the channel stops every post the same way."""
    from tests.fakeplatform.telegram import TelegramFake

    with FakeServer() as server:
        telegram = TelegramFake(server)
        config = project(
            tmp_path,
            ROWS,
            channels={"telegram": telegram.channel_settings()},
            campaigns={
                "kenali": campaign(
                    ["telegram"], ["setiap hari 09.00, 09.01, 09.02"], min_gap_days=0, series=["perkenalan"]
                )
            },
        )
        ws = workspace(config, PLAN_AT, telegram.environ)
        ws.planning.apply_plan(1)
        telegram.bot_status = "left"
        set_now(ws, SLOT)

        outcomes = ws.publisher().publish_due()

        assert [outcome.state for outcome in outcomes] == [PostState.PLANNED]
        assert {post.state for post in ws.store.posts()} == {PostState.PLANNED}
        assert "telegram" in ws.holds.all() and "bot is not a member" in ws.holds.all()["telegram"].reason
