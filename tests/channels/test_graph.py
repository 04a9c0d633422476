"""What Facebook and Instagram share on the Graph API: its version, appsecret_proof, usage headers."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from outreach.channels import build_channel, validate_settings
from outreach.channels.base import OutgoingPost
from outreach.channels.graph import DEFAULT_GRAPH_VERSION, appsecret_proof, usage_percent
from outreach.cli import cli
from outreach.clock import FixedClock, SystemClock
from outreach.errors import AuthError, RateLimited
from tests.channels.conftest import SAMPLE_IMAGE, Checkpoints, make_channel, make_post
from tests.engine_helpers import toml_value
from tests.fakeplatform.facebook import FacebookFake
from tests.fakeplatform.graph_common import GraphFake
from tests.fakeplatform.instagram import InstagramFake
from tests.fakeplatform.server import FakeServer


@pytest.fixture(params=[FacebookFake, InstagramFake], ids=["facebook", "instagram"])
def graph(request: pytest.FixtureRequest, server: FakeServer) -> GraphFake:
    fake: GraphFake = request.param(server)
    return fake


def _post(fake: GraphFake) -> OutgoingPost:
    return make_post(image=SAMPLE_IMAGE if isinstance(fake, InstagramFake) else None)


# --- version --------------------------------------------------------------------------------------


def test_default_version_is_the_current_one(graph: GraphFake) -> None:
    assert DEFAULT_GRAPH_VERSION == "v26.0"  # current since 29 July 2026 (Graph API changelog)
    make_channel(graph).check()
    assert {request.path.split("/")[1] for request in graph.server.requests()} == {"v26.0"}


def test_a_retired_version_is_refused_by_the_fake_and_named_by_outreach(graph: GraphFake) -> None:
    with pytest.raises(AuthError, match=r"version is no longer served; remove graph_version .*2635"):
        make_channel(graph, graph_version="v20.0").check()


def test_check_warns_about_an_older_configured_version(graph: GraphFake) -> None:
    identity = make_channel(graph, graph_version="v22.0").check()
    assert "warning: graph_version v22.0 is older than v26.0" in identity.detail
    assert "warning" not in make_channel(graph).check().detail


def test_channels_check_prints_the_version_warning(tmp_path: Path, server: FakeServer) -> None:
    fake = FacebookFake(server)
    block = {**fake.channel_settings(), "graph_version": "v23.0"}
    lines = [f'store = "{tmp_path / "store.sqlite3"}"', "[channels.facebook]"]
    lines += [f"{key} = {toml_value(value)}" for key, value in block.items()]
    config = tmp_path / "outreach.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner(env=fake.environ).invoke(cli, ["--config", str(config), "channels", "check"])
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if line.startswith("facebook")]
    assert " ok " in line and "graph_version v23.0 is older than v26.0" in line


# --- appsecret_proof ------------------------------------------------------------------------------


def test_appsecret_proof_is_the_hex_hmac_of_the_token() -> None:
    expected = hmac.new(b"secret", b"token", hashlib.sha256).hexdigest()
    assert appsecret_proof("token", "secret") == expected


def test_every_call_carries_the_proof_when_the_app_requires_it(graph: GraphFake) -> None:
    keys = graph.require_app_secret()
    channel = make_channel(graph, **keys)
    channel.check()
    channel.publish(_post(graph), Checkpoints())
    assert graph.created
    proof = appsecret_proof(graph.token, graph.environ["META_APP_SECRET"])
    graph_calls = graph.server.requests(path=r"/v\d+\.\d+/.*")
    assert graph_calls
    for request in graph_calls:
        assert request.args["appsecret_proof"] == proof


def test_without_app_secret_env_the_fake_refuses_like_meta(graph: GraphFake) -> None:
    graph.require_app_secret()
    with pytest.raises(AuthError, match="requires appsecret_proof; set app_secret_env"):
        make_channel(graph).check()


def test_a_wrong_app_secret_is_refused(graph: GraphFake) -> None:
    keys = graph.require_app_secret()
    environ = {**graph.environ, "META_APP_SECRET": "another-apps-secret-0000"}
    settings = validate_settings({**graph.channel_settings(), **keys})
    with pytest.raises(AuthError, match="appsecret_proof"):
        build_channel("test", settings, environ, SystemClock()).check()


# --- usage headers --------------------------------------------------------------------------------


def test_usage_percent_reads_both_headers() -> None:
    app = json.dumps({"call_count": 12, "total_cputime": 40, "total_time": 7})
    buc = json.dumps({"1": [{"type": "pages", "call_count": 96, "total_cputime": 3, "total_time": 4}]})
    assert usage_percent({"X-App-Usage": app}) == 40
    assert usage_percent({"X-App-Usage": app, "X-Business-Use-Case-Usage": buc}) == 96
    assert usage_percent({"X-App-Usage": "not json"}) is None
    assert usage_percent({}) is None


def test_near_the_app_limit_the_next_post_waits_before_anything_is_sent(graph: GraphFake) -> None:
    clock = FixedClock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    channel = make_channel(graph, clock=clock, rate_limit_retry_after=600)
    graph.app_usage = {"call_count": 97, "total_cputime": 20, "total_time": 30}
    channel.check()  # an answer reporting 97 %
    posts_before = len(graph.server.requests("POST"))
    with pytest.raises(RateLimited, match="97 % of the app's hourly rate limit") as caught:
        channel.publish(_post(graph), Checkpoints())
    assert caught.value.retry_after == 600
    clock.advance(timedelta(seconds=200))
    with pytest.raises(RateLimited) as again:
        channel.publish(_post(graph), Checkpoints())
    assert again.value.retry_after == 400  # the rest of the wait, not a new one
    assert len(graph.server.requests("POST")) == posts_before
    assert graph.created == []


def test_after_the_wait_the_next_post_goes_and_meta_tells_the_usage_afresh(graph: GraphFake) -> None:
    """The usage is over a rolling hour: a memory of 97 % must not stop the channel for good."""
    clock = FixedClock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    channel = make_channel(graph, clock=clock, rate_limit_retry_after=600)
    graph.app_usage = {"call_count": 97, "total_cputime": 20, "total_time": 30}
    channel.check()
    graph.app_usage = {"call_count": 40, "total_cputime": 20, "total_time": 30}
    clock.advance(timedelta(seconds=600))
    channel.publish(_post(graph), Checkpoints())
    assert len(graph.created) == 1


def test_below_the_threshold_posting_goes_on(graph: GraphFake) -> None:
    channel = make_channel(graph)
    graph.app_usage = {"call_count": 80, "total_cputime": 20, "total_time": 30}
    channel.check()
    channel.publish(_post(graph), Checkpoints())
    assert len(graph.created) == 1
