"""What is special about Instagram: the container flow, its checkpoint, resuming, the quota."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from outreach.channels import build_channel, validate_settings
from outreach.channels.base import Outcome
from outreach.channels.instagram import InstagramChannel
from outreach.channels.statefile import save_private_json
from outreach.clock import SystemClock
from outreach.errors import AmbiguousError, AuthError, ContentRejected, RateLimited, ServerError
from tests.channels.conftest import SAMPLE_IMAGE, Checkpoints, make_channel, make_post
from tests.fakeplatform.graph_common import graph_error
from tests.fakeplatform.instagram import InstagramFake
from tests.fakeplatform.server import FakeServer, Fault

PUBLISH = r"/v26\.0/\d+/media_publish"
CONTAINER = r"/v26\.0/\d+/media"


@pytest.fixture
def instagram(server: FakeServer) -> InstagramFake:
    return InstagramFake(server)


def _post(**kwargs: Any) -> Any:
    return make_post(image=SAMPLE_IMAGE, **kwargs)


def test_container_carries_image_url_caption_and_alt_text(instagram: InstagramFake) -> None:
    post = _post()
    result = make_channel(instagram).publish(post, Checkpoints())
    (container,) = instagram.containers.values()
    assert container["image_url"] == f"{instagram.media_base_url}/sample.jpg"
    assert container["caption"] == post.text
    assert container["alt_text"] == "Petugas melayani warga di loket KTP-el"
    assert result.remote_id == instagram.created[0]["id"]
    assert result.url == instagram.created[0]["permalink"]


def test_container_id_is_checkpointed_before_media_publish(instagram: InstagramFake) -> None:
    seen: list[tuple[dict[str, Any], int]] = []

    def checkpoint(state: dict[str, Any]) -> None:
        seen.append((dict(state), len(instagram.server.requests("POST", PUBLISH))))

    make_channel(instagram).publish(_post(), checkpoint)
    (container_id,) = instagram.containers
    first_state, publishes_before = seen[0]
    assert first_state == {"container_id": container_id}
    assert publishes_before == 0
    # After publishing, the media id is recorded too, for a crash before the result is stored.
    assert seen[-1][0] == {"container_id": container_id, "media_id": instagram.created[0]["id"]}


def test_crash_after_media_publish_is_recognised_without_a_second_post(instagram: InstagramFake) -> None:
    instagram.server.inject(Fault("reset", path=PUBLISH))  # published, but the answer is lost
    channel = make_channel(instagram)
    checkpoints = Checkpoints()
    post = _post()
    with pytest.raises(AmbiguousError):
        channel.publish(post, checkpoints)
    assert list(checkpoints.state) == ["container_id"]

    interrupted = replace(post, channel_state=checkpoints.state)
    verdict = channel.reconcile(interrupted)
    assert verdict.outcome is Outcome.PUBLISHED
    assert verdict.result is not None
    assert verdict.result.remote_id == instagram.created[0]["id"]  # found by its caption
    assert verdict.result.url == instagram.created[0]["permalink"]

    # A retry instead of (or after) reconcile is just as safe: it recognises the container.
    again = channel.publish(interrupted, Checkpoints())
    assert again.remote_id == instagram.created[0]["id"]
    assert len(instagram.created) == 1
    assert len(instagram.containers) == 1
    assert len(instagram.server.requests("POST", PUBLISH)) == 1


def test_finished_container_is_published_without_a_new_one(instagram: InstagramFake) -> None:
    instagram.server.inject(Fault("reset", path=PUBLISH, process=False))  # never reached Instagram
    channel = make_channel(instagram)
    checkpoints = Checkpoints()
    post = _post()
    with pytest.raises(AmbiguousError):
        channel.publish(post, checkpoints)
    assert instagram.created == []

    interrupted = replace(post, channel_state=checkpoints.state)
    verdict = channel.reconcile(interrupted)
    assert verdict.outcome is Outcome.NOT_PUBLISHED
    assert "FINISHED" in verdict.detail

    result = channel.publish(interrupted, checkpoints)
    assert len(instagram.containers) == 1
    assert len(instagram.server.requests("POST", CONTAINER)) == 1
    assert instagram.created[0]["container_id"] == checkpoints.state["container_id"]
    assert result.remote_id == instagram.created[0]["id"]


@pytest.mark.parametrize("status", ["ERROR", "EXPIRED"])
def test_dead_container_is_replaced(instagram: InstagramFake, status: str) -> None:
    instagram.server.inject(Fault("reset", path=PUBLISH, process=False))
    channel = make_channel(instagram)
    checkpoints = Checkpoints()
    post = _post()
    with pytest.raises(AmbiguousError):
        channel.publish(post, checkpoints)
    old = checkpoints.state["container_id"]
    instagram.set_status(old, status)

    verdict = channel.reconcile(replace(post, channel_state=checkpoints.state))
    assert verdict.outcome is Outcome.NOT_PUBLISHED
    channel.publish(replace(post, channel_state=dict(checkpoints.state)), checkpoints)
    assert len(instagram.containers) == 2
    assert checkpoints.state["container_id"] != old
    assert instagram.created[0]["container_id"] == checkpoints.state["container_id"]


def test_reconcile_without_a_container_proves_nothing_was_published(instagram: InstagramFake) -> None:
    verdict = make_channel(instagram).reconcile(_post())
    assert verdict.outcome is Outcome.NOT_PUBLISHED
    assert instagram.server.requests() == []


def test_reconcile_uses_the_checkpointed_media_id(instagram: InstagramFake) -> None:
    checkpoints = Checkpoints()
    channel = make_channel(instagram)
    channel.publish(_post(), checkpoints)
    verdict = channel.reconcile(_post(channel_state=checkpoints.state))
    assert verdict.outcome is Outcome.PUBLISHED
    assert verdict.result is not None and verdict.result.remote_id == instagram.created[0]["id"]
    assert instagram.server.requests("GET", r"/v26\.0/\d+/media") == []  # no caption search needed


def test_quota_used_up_is_rate_limited_before_any_container(instagram: InstagramFake) -> None:
    instagram.quota_usage = instagram.quota_total = 25
    with pytest.raises(RateLimited) as caught:
        make_channel(instagram).publish(_post(), Checkpoints())
    assert caught.value.retry_after == 3600
    assert "25/25" in str(caught.value)
    assert instagram.containers == {}
    assert instagram.server.requests("POST") == []


def test_quota_refused_at_publish_waits_the_configured_time(instagram: InstagramFake) -> None:
    instagram.server.inject(
        Fault(
            "status",
            path=PUBLISH,
            response=graph_error(9, "Application request limit reached", subcode=2207042),
        )
    )
    with pytest.raises(RateLimited) as caught:
        make_channel(instagram, quota_retry_after=7200).publish(_post(), Checkpoints())
    assert caught.value.retry_after == 7200


def test_spam_restriction_needs_a_person(instagram: InstagramFake) -> None:
    instagram.server.inject(
        Fault(
            "status",
            path=PUBLISH,
            response=graph_error(4, "Application request limit reached", subcode=2207051),
        )
    )
    with pytest.raises(ContentRejected, match="blocked"):
        make_channel(instagram).publish(_post(), Checkpoints())


def test_container_polled_until_finished(instagram: InstagramFake) -> None:
    instagram.polls_until_finished = 3
    make_channel(instagram).publish(_post(), Checkpoints())
    (container,) = instagram.containers.values()
    assert container["polls"] == 4  # three IN_PROGRESS answers, then FINISHED
    assert len(instagram.created) == 1


def test_slow_container_is_transient_and_resumed(instagram: InstagramFake) -> None:
    instagram.polls_until_finished = 1000
    channel = make_channel(instagram, container_poll_timeout=0.05)
    checkpoints = Checkpoints()
    post = _post()
    with pytest.raises(ServerError, match="IN_PROGRESS"):
        channel.publish(post, checkpoints)
    (container,) = instagram.containers.values()
    container["polls_left"] = 0
    channel.publish(replace(post, channel_state=checkpoints.state), checkpoints)
    assert len(instagram.containers) == 1 and len(instagram.created) == 1


def test_container_error_is_a_rejection(instagram: InstagramFake) -> None:
    instagram.processing_result = "ERROR"
    with pytest.raises(ContentRejected, match="could not process the image sample.jpg"):
        make_channel(instagram).publish(_post(), Checkpoints())
    assert instagram.created == []


def test_too_many_hashtags_refused_before_any_request(instagram: InstagramFake) -> None:
    text = "Layanan baru " + " ".join(f"#tag{n}" for n in range(31))
    with pytest.raises(ContentRejected, match="31 hashtags"):
        make_channel(instagram).publish(_post(text=text), Checkpoints())
    assert instagram.server.requests() == []


def test_non_jpeg_refused_before_any_request(instagram: InstagramFake, tmp_path: Path) -> None:
    png = tmp_path / "poster.jpg"  # the bytes decide, not the name
    Image.new("RGB", (64, 36), "navy").save(png, format="PNG")
    with pytest.raises(ContentRejected, match="image is PNG, which instagram does not take \\(only JPEG\\)"):
        make_channel(instagram).publish(make_post(image=png), Checkpoints())
    assert instagram.server.requests() == []


def test_text_only_post_is_refused(instagram: InstagramFake) -> None:
    with pytest.raises(ContentRejected, match="needs an image"):
        make_channel(instagram).publish(make_post(), Checkpoints())


def test_check_reports_username_and_quota(instagram: InstagramFake) -> None:
    instagram.quota_usage = 12
    identity = make_channel(instagram).check()
    assert identity.handle == f"@{instagram.username}"
    assert "12/100 used in 24 h" in identity.detail


def test_check_with_expired_token(instagram: InstagramFake) -> None:
    instagram.expire_token()
    with pytest.raises(AuthError, match="token expired"):
        make_channel(instagram).check()


def test_public_media_base_url_is_required() -> None:
    from pydantic import ValidationError

    from outreach.channels import validate_settings

    with pytest.raises(ValidationError, match="public_media_base_url"):
        validate_settings({"type": "instagram", "ig_user_id": "1"})
    with pytest.raises(ValidationError, match="absolute http"):
        validate_settings({"type": "instagram", "ig_user_id": "1", "public_media_base_url": "media/outreach"})


def test_published_container_stays_published_when_its_media_cannot_be_found(instagram: InstagramFake) -> None:
    instagram.server.inject(Fault("reset", path=PUBLISH))
    channel = make_channel(instagram)
    checkpoints = Checkpoints()
    with pytest.raises(AmbiguousError):
        channel.publish(_post(), checkpoints)
    instagram.media[0]["caption"] = "Keterangan diubah oleh admin"  # edited in the app afterwards
    verdict = channel.reconcile(_post(channel_state=checkpoints.state))
    assert verdict.outcome is Outcome.PUBLISHED
    assert verdict.result is not None and verdict.result.remote_id == checkpoints.state["container_id"]
    assert "container id stands in" in verdict.detail


def test_reconcile_with_a_dead_token_cannot_tell(instagram: InstagramFake) -> None:
    instagram.expire_token()
    verdict = make_channel(instagram).reconcile(_post(channel_state={"container_id": "17900000000000001"}))
    assert verdict.outcome is Outcome.CANNOT_TELL
    assert "token expired" in verdict.detail


def test_reconcile_lookup_failing_transiently_is_raised(instagram: InstagramFake) -> None:
    instagram.server.inject(
        Fault("status", method="GET", path=r"/v26\.0/\d+", response=instagram.server_error_response())
    )
    with pytest.raises(ServerError):
        make_channel(instagram).reconcile(_post(channel_state={"container_id": "17900000000000001"}))


# --- images served at public_media_base_url ---------------------------------------------------------


def _jpeg(folder: Path, name: str, size: tuple[int, int]) -> Path:
    path = folder / name
    Image.new("RGB", size, "teal").save(path, format="JPEG")
    return path


def test_fake_instagram_refuses_an_image_the_website_does_not_serve(instagram: InstagramFake) -> None:
    del instagram.public_files["sample.jpg"]  # the office forgot to copy it
    with pytest.raises(ContentRejected, match=r"Graph error 9004/2207052"):
        make_channel(instagram).publish(_post(), Checkpoints())
    assert instagram.containers == {}


def test_fake_instagram_refuses_an_image_served_with_another_type(instagram: InstagramFake) -> None:
    instagram.publish_file(SAMPLE_IMAGE, content_type="application/octet-stream")
    with pytest.raises(ContentRejected, match=r"Graph error 9004/2207052"):
        make_channel(instagram).publish(_post(), Checkpoints())


def test_fake_instagram_refuses_an_image_over_8_mb(instagram: InstagramFake) -> None:
    instagram.public_files["sample.jpg"] = (SAMPLE_IMAGE.read_bytes() + b"\0" * 8 * 2**20, "image/jpeg")
    with pytest.raises(ContentRejected, match=r"Graph error 9004/2207052"):
        make_channel(instagram).publish(_post(), Checkpoints())


def test_check_public_images_finds_what_instagram_would_refuse(instagram: InstagramFake, tmp_path: Path) -> None:
    instagram.publish_file(_jpeg(tmp_path, "square.jpg", (1080, 1080)))
    instagram.publish_file(_jpeg(tmp_path, "tall.jpg", (1080, 1920)))  # 9:16, taller than 4:5
    instagram.publish_file(_jpeg(tmp_path, "typed.jpg", (1080, 1080)), content_type="text/plain")
    instagram.public_files["huge.jpg"] = (b"\xff\xd8\xff" + b"\0" * (8 * 2**20), "image/jpeg")
    channel = make_channel(instagram)
    assert isinstance(channel, InstagramChannel)
    problems = channel.check_public_images(
        ["sample.jpg", "square.jpg", "tall.jpg", "typed.jpg", "huge.jpg", "gone.jpg"]
    )
    base = instagram.media_base_url
    assert problems == [
        f"{base}/tall.jpg is 1080×1920 px; Instagram takes aspect ratios from 4:5 to 1.91:1",
        f"{base}/typed.jpg is served as text/plain; Instagram takes only image/jpeg",
        f"{base}/huge.jpg is over Instagram's 8 MB",
        f"{base}/gone.jpg answers HTTP 404; copy gone.jpg there before it is posted",
    ]
    # The website never sees the token.
    for request in instagram.server.requests("GET", r"/media/outreach/.*"):
        assert "Authorization" not in request.headers


def test_check_public_images_reports_an_unreachable_website(instagram: InstagramFake) -> None:
    channel = make_channel(instagram, public_media_base_url="http://127.0.0.1:9/media")
    assert isinstance(channel, InstagramChannel)
    (problem,) = channel.check_public_images(["sample.jpg"])
    assert problem.startswith("http://127.0.0.1:9/media/sample.jpg cannot be fetched (")


def test_check_fails_when_a_planned_image_is_not_served(instagram: InstagramFake) -> None:
    channel = make_channel(instagram)
    assert isinstance(channel, InstagramChannel)
    assert channel.check(["sample.jpg"]).handle == f"@{instagram.username}"
    with pytest.raises(ContentRejected, match=r"poster\.jpg answers HTTP 404"):
        channel.check(["sample.jpg", "poster.jpg"])


# -- Instagram Login: the 60-day token is refreshed before it runs out ----------------------------


def _instagram_login(instagram: InstagramFake, tmp_path: Path, environ: dict[str, str]) -> InstagramChannel:
    block = {
        "read_timeout": 2.0,
        **instagram.channel_settings(),
        "login": "instagram",
        "token_state_file": str(tmp_path / "instagram-token.json"),
    }
    channel = build_channel("test", validate_settings(block), environ, SystemClock())
    assert isinstance(channel, InstagramChannel)
    return channel


def _keep(path: Path, token: str, env_token: str, *, age: timedelta, left: timedelta | None) -> None:
    now = datetime.now(UTC)
    save_private_json(
        path,
        {
            "access_token": token,
            "obtained_at": (now - age).isoformat(),
            "expires_at": (now + left).isoformat() if left is not None else None,
            "env_token_sha256": hashlib.sha256(env_token.encode()).hexdigest(),
        },
    )


def test_instagram_login_defaults_to_graph_instagram_com() -> None:
    from outreach.channels import validate_settings

    block = {"type": "instagram", "ig_user_id": "1", "public_media_base_url": "https://example.org/m"}
    assert validate_settings(block).base_url == "https://graph.facebook.com"
    assert validate_settings({**block, "login": "instagram"}).base_url == "https://graph.instagram.com"
    chosen = {**block, "login": "instagram", "base_url": "http://127.0.0.1:9"}
    assert validate_settings(chosen).base_url == "http://127.0.0.1:9"


def test_a_new_token_is_kept_but_not_refreshed_before_it_is_a_day_old(instagram: InstagramFake, tmp_path: Path) -> None:
    environ = instagram.environ
    channel = _instagram_login(instagram, tmp_path, environ)
    channel.check()
    assert instagram.refreshes == 0
    path = tmp_path / "instagram-token.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert channel.token_expires_at() is None  # Meta has not said yet


def test_a_token_near_its_end_is_refreshed_and_the_new_one_is_used_and_kept(
    instagram: InstagramFake, tmp_path: Path
) -> None:
    environ = instagram.environ
    path = tmp_path / "instagram-token.json"
    _keep(path, instagram.token, environ[instagram.token_env], age=timedelta(days=52), left=timedelta(days=8))
    channel = _instagram_login(instagram, tmp_path, environ)
    channel.check()  # the old token is refused by the fake from now on: the check proves the new one is used
    assert instagram.refreshes == 1
    (refresh,) = instagram.server.requests("GET", r"/refresh_access_token")
    assert refresh.args["grant_type"] == "ig_refresh_token"
    expires = channel.token_expires_at()
    assert expires is not None and timedelta(days=59) < expires - datetime.now(UTC) <= timedelta(days=60)
    kept = json.loads(path.read_text())
    assert kept["access_token"] == instagram.token
    # The next run uses the kept token without refreshing again, though .env still holds the old one.
    _instagram_login(instagram, tmp_path, environ).check()
    assert instagram.refreshes == 1


def test_a_token_with_time_left_is_not_refreshed(instagram: InstagramFake, tmp_path: Path) -> None:
    environ = instagram.environ
    _keep(
        tmp_path / "instagram-token.json",
        instagram.token,
        instagram.token,
        age=timedelta(days=3),
        left=timedelta(days=57),
    )
    _instagram_login(instagram, tmp_path, environ).check()
    assert instagram.refreshes == 0


def test_a_token_of_unknown_expiry_is_refreshed_once_a_day_old(instagram: InstagramFake, tmp_path: Path) -> None:
    environ = instagram.environ
    _keep(tmp_path / "instagram-token.json", instagram.token, instagram.token, age=timedelta(hours=25), left=None)
    _instagram_login(instagram, tmp_path, environ).check()
    assert instagram.refreshes == 1


def test_a_fresh_token_in_env_wins_over_the_kept_one(instagram: InstagramFake, tmp_path: Path) -> None:
    path = tmp_path / "instagram-token.json"
    _keep(path, "IGQoldKeptToken", "IGQoldEnvToken", age=timedelta(days=30), left=timedelta(days=30))
    channel = _instagram_login(instagram, tmp_path, instagram.environ)
    assert channel.token_expires_at() is None
    channel.check()  # with the kept token the fake would answer 190
    assert instagram.refreshes == 0
    assert json.loads(path.read_text())["access_token"] == instagram.token


def test_a_refused_refresh_leaves_the_current_token_in_use(instagram: InstagramFake, tmp_path: Path) -> None:
    environ = instagram.environ
    _keep(
        tmp_path / "instagram-token.json",
        instagram.token,
        instagram.token,
        age=timedelta(days=55),
        left=timedelta(days=5),
    )
    refusal = graph_error(190, "Error validating access token", subcode=467)
    instagram.server.inject(Fault("status", path=r"/refresh_access_token", method="GET", response=refusal))
    _instagram_login(instagram, tmp_path, environ).check()
    assert instagram.refreshes == 0
