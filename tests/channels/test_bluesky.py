"""What is special about Bluesky: UTF-8 byte facets, the rkey + record checkpoint and putRecord retries,
session renewal, reconcile by getRecord, embeds, and the grapheme + byte limits."""

from __future__ import annotations

import json
import os
import re
import stat
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from outreach.channels import bluesky as bluesky_adapter
from outreach.channels.base import Outcome
from outreach.channels.bluesky import RecordNotFound, build_facets, encode_tid, new_tid
from outreach.clock import FixedClock
from outreach.errors import AmbiguousError, AuthError, ContentRejected, PermanentError, RateLimited
from tests.channels.conftest import SAMPLE_IMAGE, Checkpoints, make_channel, make_post
from tests.fakeplatform.bluesky import REFRESH_LIFETIME, BlueskyFake, cid_of
from tests.fakeplatform.server import FakeServer, Fault, json_response

CREATE = r"/pds/xrpc/com\.atproto\.repo\.createRecord"
PUT = r"/pds/xrpc/com\.atproto\.repo\.putRecord"
GET_RECORD = r"/pds/xrpc/com\.atproto\.repo\.getRecord"
UPLOAD = r"/pds/xrpc/com\.atproto\.repo\.uploadBlob"
CREATE_SESSION = r"/xrpc/com\.atproto\.server\.createSession"
REFRESH_SESSION = r"/xrpc/com\.atproto\.server\.refreshSession"
ENTRYWAY_REPO = r"/xrpc/com\.atproto\.repo\..*"
TID = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")


@pytest.fixture
def bluesky(server: FakeServer) -> BlueskyFake:
    return BlueskyFake(server)


def _body(request: Any) -> dict[str, Any]:
    return json.loads(request.get_data())


def _canonical(record: dict[str, Any]) -> str:
    """The record as the PDS hashes it: key order does not matter, every value does."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _slices(text: str, facets: list[dict[str, Any]]) -> list[str]:
    data = text.encode("utf-8")
    return [data[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode("utf-8") for f in facets]


# --- facets -----------------------------------------------------------------------------------


def test_facets_use_utf8_byte_offsets_around_emoji_and_indonesian_text() -> None:
    text = "Daftar 👉 layanan.bandarlampungkota.go.id/ktp sekarang! 🎉 #BandarLampung"
    facets = build_facets(text)
    assert _slices(text, facets) == ["layanan.bandarlampungkota.go.id/ktp", "#BandarLampung"]
    link, tag = facets
    assert link["features"] == [
        {"$type": "app.bsky.richtext.facet#link", "uri": "https://layanan.bandarlampungkota.go.id/ktp"}
    ]
    assert tag["features"] == [{"$type": "app.bsky.richtext.facet#tag", "tag": "BandarLampung"}]
    # The emoji take 4 bytes each: character positions would be off.
    assert link["index"] == {"byteStart": 12, "byteEnd": 47}
    assert text.index("layanan") == 9


@pytest.mark.parametrize(
    ("text", "expected", "uris", "tags"),
    [
        (
            "Cek https://bandarlampungkota.go.id/inovasi/bank-sampah — gratis! #KotaBersih #BankSampah",
            ["https://bandarlampungkota.go.id/inovasi/bank-sampah", "#KotaBersih", "#BankSampah"],
            ["https://bandarlampungkota.go.id/inovasi/bank-sampah"],
            ["KotaBersih", "BankSampah"],
        ),
        (
            "Pendaftaran ‘Sekolah Rakyat’ dibuka ✅ di www.disdik.bandarlampungkota.go.id. #Pendidikan!",
            ["www.disdik.bandarlampungkota.go.id", "#Pendidikan"],
            ["https://www.disdik.bandarlampungkota.go.id"],
            ["Pendidikan"],
        ),
        ("Nomor antre #1 hari ini, bukan tagar. Kontak: 0812-0000-4567", [], [], []),
    ],
)
def test_facets_find_links_with_or_without_scheme_and_hashtags(
    text: str, expected: list[str], uris: list[str], tags: list[str]
) -> None:
    facets = build_facets(text)
    assert _slices(text, facets) == expected
    features = [facet["features"][0] for facet in facets]
    assert [f["uri"] for f in features if "uri" in f] == uris
    assert [f["tag"] for f in features if "tag" in f] == tags


def test_the_pds_accepts_the_facets_the_adapter_sends(bluesky: BlueskyFake) -> None:
    text = "Daftar 👉 layanan.bandarlampungkota.go.id/ktp sekarang! 🎉 #BandarLampung"
    make_channel(bluesky).publish(make_post(text=text), Checkpoints())
    record = bluesky.created[0]["record"]
    assert record["text"] == text and record["langs"] == ["id"]
    assert _slices(text, record["facets"]) == ["layanan.bandarlampungkota.go.id/ktp", "#BandarLampung"]


# --- exactly once: rkey + record checkpoint, putRecord ------------------------------------------


def test_rkey_and_record_are_checkpointed_before_the_first_create(bluesky: BlueskyFake) -> None:
    seen: list[tuple[dict[str, Any], int]] = []

    def checkpoint(state: dict[str, Any]) -> None:
        seen.append((json.loads(json.dumps(state)), len(bluesky.server.requests("POST", CREATE))))

    result = make_channel(bluesky).publish(make_post(), checkpoint)

    ((state, creates_before),) = seen
    assert creates_before == 0
    assert TID.fullmatch(state["rkey"])
    assert state["repo"] == bluesky.DID
    (create,) = bluesky.server.requests("POST", CREATE)
    body = _body(create)
    assert (body["repo"], body["rkey"], body["record"]) == (state["repo"], state["rkey"], state["record"])
    assert result.remote_id == f"at://{bluesky.DID}/app.bsky.feed.post/{state['rkey']}"
    assert result.url == f"https://bsky.app/profile/{bluesky.HANDLE}/post/{state['rkey']}"


def test_retry_keeps_a_record_that_may_exist_untouched(bluesky: BlueskyFake) -> None:
    """The first write landed but its answer was lost: the retry finds the record and changes nothing."""
    post = make_post()
    checkpoints = Checkpoints()
    bluesky.server.inject(Fault("reset", path=CREATE, process=True))
    with pytest.raises(AmbiguousError):
        make_channel(bluesky).publish(post, checkpoints)
    first = json.loads(json.dumps(checkpoints.state))  # as stored, then loaded
    assert len(bluesky.created) == 1

    result = make_channel(bluesky).publish(replace(post, channel_state=first), Checkpoints())  # as after a restart

    assert len(bluesky.server.requests("POST", CREATE)) == 1  # never createRecord again
    (put,) = bluesky.server.requests("POST", PUT)
    body = _body(put)
    assert body["rkey"] == first["rkey"] and body["swapRecord"] is None  # "only if there is none"
    assert len(bluesky.created) == 1 and len(bluesky.records) == 1
    assert _canonical(bluesky.records[(bluesky.DID, first["rkey"])]["record"]) == _canonical(first["record"])
    assert result.remote_id == f"at://{bluesky.DID}/app.bsky.feed.post/{first['rkey']}"
    assert result.url == f"https://bsky.app/profile/{bluesky.HANDLE}/post/{first['rkey']}"


def test_retry_of_a_post_never_created_carries_the_time_of_the_attempt_that_creates_it(
    bluesky: BlueskyFake,
) -> None:
    """Bluesky orders feeds by the earlier of createdAt and indexing: an old createdAt would bury the post."""
    clock = FixedClock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    post = make_post()
    checkpoints = Checkpoints()
    bluesky.server.inject(Fault("reset", path=CREATE, process=False))
    with pytest.raises(AmbiguousError):
        make_channel(bluesky, clock=clock).publish(post, checkpoints)
    first = json.loads(json.dumps(checkpoints.state))
    assert bluesky.created == [] and first["record"]["createdAt"] == "2026-12-01T02:00:00.000Z"

    clock.advance(timedelta(hours=3))
    retry = Checkpoints()
    result = make_channel(bluesky, clock=clock).publish(replace(post, channel_state=first), retry)

    (created,) = bluesky.created
    assert created["rkey"] == first["rkey"]  # the same rkey: still at most one post
    assert created["record"]["createdAt"] == "2026-12-01T05:00:00.000Z"
    assert {k: v for k, v in created["record"].items() if k != "createdAt"} == {
        k: v for k, v in first["record"].items() if k != "createdAt"
    }
    assert retry.state["record"] == created["record"]  # what was sent is checkpointed first
    assert result.remote_id == created["uri"]


def test_create_on_an_existing_rkey_fails_like_the_real_pds(bluesky: BlueskyFake) -> None:
    """Why retries use putRecord: a repeated createRecord is a bare 500, indistinguishable from an outage."""
    post = make_post()
    checkpoints = Checkpoints()
    make_channel(bluesky).publish(post, checkpoints)
    session = requests.post(
        f"{bluesky.server.url}/xrpc/com.atproto.server.createSession",
        json={"identifier": bluesky.HANDLE, "password": bluesky.APP_PASSWORD},
        timeout=5,
    ).json()
    response = requests.post(
        f"{bluesky.pds_url}/xrpc/com.atproto.repo.createRecord",
        json={
            "repo": bluesky.DID,
            "collection": "app.bsky.feed.post",
            "rkey": checkpoints.state["rkey"],
            "record": checkpoints.state["record"],
        },
        headers={"Authorization": f"Bearer {session['accessJwt']}"},
        timeout=5,
    )
    assert response.status_code == 500
    assert response.json()["error"] == "InternalServerError"
    assert len(bluesky.created) == 1 and bluesky.records[(bluesky.DID, checkpoints.state["rkey"])]


def test_image_post_retry_uploads_the_image_again(bluesky: BlueskyFake) -> None:
    post = replace(make_post(image=SAMPLE_IMAGE), link=None)
    checkpoints = Checkpoints()
    bluesky.server.inject(Fault("reset", path=CREATE, process=False))
    with pytest.raises(AmbiguousError):
        make_channel(bluesky).publish(post, checkpoints)
    retry = Checkpoints()
    make_channel(bluesky).publish(replace(post, channel_state=checkpoints.state), retry)

    assert len(bluesky.server.requests("POST", UPLOAD)) == 2
    (created,) = bluesky.created
    assert created["record"] == retry.state["record"]
    assert (
        created["record"]["embed"]["images"][0]["image"] == checkpoints.state["record"]["embed"]["images"][0]["image"]
    )


# --- sessions ---------------------------------------------------------------------------------


def test_expired_access_token_is_refreshed_transparently(bluesky: BlueskyFake) -> None:
    channel = make_channel(bluesky)
    channel.publish(make_post(post_id=1), Checkpoints())
    bluesky.expire_access_tokens()
    channel.publish(make_post(post_id=2), Checkpoints())

    assert len(bluesky.created) == 2
    assert len(bluesky.server.requests("POST", CREATE_SESSION)) == 1
    assert len(bluesky.server.requests("POST", REFRESH_SESSION)) == 1
    assert len(bluesky.server.requests("POST", CREATE)) == 3  # refused once as ExpiredToken, then repeated


def test_refused_refresh_falls_back_to_a_new_login(bluesky: BlueskyFake) -> None:
    channel = make_channel(bluesky)
    channel.publish(make_post(post_id=1), Checkpoints())
    bluesky.expire_access_tokens(refresh_too=True)
    channel.publish(make_post(post_id=2), Checkpoints())

    assert len(bluesky.created) == 2
    assert len(bluesky.server.requests("POST", CREATE_SESSION)) == 2


def test_wrong_app_password_is_an_auth_error_that_names_the_channel(bluesky: BlueskyFake) -> None:
    bluesky.password_valid = False  # the app password was revoked in the Bluesky settings
    with pytest.raises(AuthError) as caught:
        make_channel(bluesky, "bsky-kominfo").publish(make_post(), Checkpoints())
    assert str(caught.value).startswith("bsky-kominfo:")
    assert "Invalid identifier or password" in str(caught.value)


def test_check_reports_handle_and_did(bluesky: BlueskyFake) -> None:
    identity = make_channel(bluesky).check()
    assert identity.handle == f"@{bluesky.HANDLE}"
    assert bluesky.DID in identity.detail and bluesky.pds_url in identity.detail


def _session_file(bluesky: BlueskyFake) -> Path:
    return Path(bluesky.channel_settings()["session_file"])


def test_the_session_outlives_the_process_so_frequent_runs_log_in_once(bluesky: BlueskyFake) -> None:
    """Each ``run --once`` is a new adapter; with the kept session none of them spends a login."""
    for post_id in range(1, 6):
        make_channel(bluesky).publish(make_post(post_id=post_id), Checkpoints())

    assert len(bluesky.created) == 5
    assert len(bluesky.server.requests("POST", CREATE_SESSION)) == 1
    assert bluesky.server.requests("POST", REFRESH_SESSION) == []


def test_the_session_file_is_the_owners_alone_and_holds_no_password(bluesky: BlueskyFake) -> None:
    checkpoints = Checkpoints()
    make_channel(bluesky).publish(make_post(), checkpoints)

    path = _session_file(bluesky)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    kept = json.loads(path.read_text())
    assert kept["did"] == bluesky.DID and kept["pds"] == bluesky.pds_url
    assert bluesky.APP_PASSWORD not in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind
    # The post's state (which goes into the store) names the PDS but carries no token.
    assert set(checkpoints.state) == {"repo", "rkey", "record", "pds"}
    assert kept["access_jwt"] not in json.dumps(checkpoints.state)


def test_a_session_file_others_can_read_is_not_used_and_is_replaced(bluesky: BlueskyFake) -> None:
    make_channel(bluesky).publish(make_post(post_id=1), Checkpoints())
    path = _session_file(bluesky)
    os.chmod(path, 0o644)

    make_channel(bluesky).publish(make_post(post_id=2), Checkpoints())

    assert len(bluesky.server.requests("POST", CREATE_SESSION)) == 2
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("content", ["{not json", '{"entryway": "https://bsky.social"}', "[]"])
def test_an_unreadable_or_foreign_session_file_means_a_new_login(bluesky: BlueskyFake, content: str) -> None:
    path = _session_file(bluesky)
    path.write_text(content)
    os.chmod(path, 0o600)
    make_channel(bluesky).publish(make_post(), Checkpoints())
    assert len(bluesky.server.requests("POST", CREATE_SESSION)) == 1
    assert json.loads(path.read_text())["did"] == bluesky.DID


def test_a_session_about_to_expire_is_refreshed_before_the_call(bluesky: BlueskyFake) -> None:
    """The access token lasts about two hours: past that (by the platform's clock) it is renewed first,
    so no call is refused as ExpiredToken, and the rotated refresh token is kept for the next run."""
    make_channel(bluesky).publish(make_post(post_id=1), Checkpoints())
    first_refresh = json.loads(_session_file(bluesky).read_text())["refresh_jwt"]

    later = make_channel(bluesky)
    later.wall_clock = FixedClock(datetime.now(UTC) + timedelta(hours=2))
    later.publish(make_post(post_id=2), Checkpoints())

    assert len(bluesky.server.requests("POST", CREATE)) == 2  # none refused as expired
    assert len(bluesky.server.requests("POST", REFRESH_SESSION)) == 1
    assert len(bluesky.server.requests("POST", CREATE_SESSION)) == 1
    assert json.loads(_session_file(bluesky).read_text())["refresh_jwt"] != first_refresh


def test_an_expired_refresh_token_means_a_login_without_trying_it(bluesky: BlueskyFake) -> None:
    make_channel(bluesky).publish(make_post(post_id=1), Checkpoints())
    later = make_channel(bluesky)
    later.wall_clock = FixedClock(datetime.now(UTC) + timedelta(days=91))
    later.publish(make_post(post_id=2), Checkpoints())

    assert bluesky.server.requests("POST", REFRESH_SESSION) == []
    assert len(bluesky.server.requests("POST", CREATE_SESSION)) == 2


def test_the_fake_refuses_a_refresh_token_used_before(bluesky: BlueskyFake) -> None:
    """Refresh tokens rotate: the answer carries the next one and the one used is dead."""
    login = requests.post(
        f"{bluesky.server.url}/xrpc/com.atproto.server.createSession",
        json={"identifier": bluesky.HANDLE, "password": bluesky.APP_PASSWORD},
        timeout=5,
    ).json()

    def refresh(token: str) -> requests.Response:
        return requests.post(
            f"{bluesky.server.url}/xrpc/com.atproto.server.refreshSession",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )

    renewed = refresh(login["refreshJwt"])
    assert renewed.status_code == 200 and renewed.json()["refreshJwt"] != login["refreshJwt"]
    again = refresh(login["refreshJwt"])
    assert again.status_code == 401 and again.json()["error"] == "InvalidToken"


def test_the_fake_limits_logins_like_the_real_pds(bluesky: BlueskyFake) -> None:
    """createSession: 30 per 5 minutes and 300 per day per account, then 429 RateLimitExceeded."""
    bluesky.login_limits = ((30, 300), (35, 86400))

    def login() -> requests.Response:
        return requests.post(
            f"{bluesky.server.url}/xrpc/com.atproto.server.createSession",
            json={"identifier": bluesky.HANDLE, "password": bluesky.APP_PASSWORD},
            timeout=5,
        )

    answers = [login().status_code for _ in range(31)]
    assert answers[:30] == [200] * 30 and answers[30] == 429
    refused = login()
    assert refused.json()["error"] == "RateLimitExceeded"
    assert refused.headers["RateLimit-Policy"] == "30;w=300" and int(refused.headers["Retry-After"]) > 0


def test_a_refused_login_is_rate_limited_with_the_reset_time(bluesky: BlueskyFake) -> None:
    bluesky.login_limits = ((1, 300),)
    make_channel(bluesky).check()  # the one login
    with pytest.raises(RateLimited) as caught:
        make_channel(bluesky).check()  # check logs in afresh
    assert 0 < (caught.value.retry_after or 0) <= 301


def test_after_login_every_call_goes_to_the_accounts_pds(bluesky: BlueskyFake) -> None:
    """bsky.social is an entryway: the DID document in the login answer names the account's own server."""
    checkpoints = Checkpoints()
    make_channel(bluesky).publish(make_post(image=SAMPLE_IMAGE), checkpoints)

    assert bluesky.server.requests(path=ENTRYWAY_REPO) == []
    assert len(bluesky.server.requests("POST", UPLOAD)) == 1 and len(bluesky.server.requests("POST", CREATE)) == 1
    assert checkpoints.state["pds"] == bluesky.pds_url


def test_the_fake_entryway_refuses_repository_calls(bluesky: BlueskyFake) -> None:
    answer = requests.get(
        f"{bluesky.server.url}/xrpc/com.atproto.repo.getRecord",
        params={"repo": bluesky.DID, "collection": "app.bsky.feed.post", "rkey": "3jzfcijpj2z2a"},
        timeout=5,
    )
    assert answer.status_code == 400 and "PDS" in answer.json()["message"]


# --- reconcile --------------------------------------------------------------------------------


def test_reconcile_finds_the_record_that_landed(bluesky: BlueskyFake) -> None:
    post = make_post()
    checkpoints = Checkpoints()
    bluesky.server.inject(Fault("reset", path=CREATE))
    with pytest.raises(AmbiguousError):
        make_channel(bluesky).publish(post, checkpoints)
    bluesky.expire_token()  # getRecord is public: reconcile needs no working credentials

    outcome = make_channel(bluesky).reconcile(replace(post, channel_state=checkpoints.state))
    assert outcome.outcome is Outcome.PUBLISHED
    assert outcome.result is not None
    assert outcome.result.remote_id == bluesky.created[0]["uri"]
    assert outcome.result.url == f"https://bsky.app/profile/{bluesky.HANDLE}/post/{checkpoints.state['rkey']}"
    (lookup,) = bluesky.server.requests("GET", GET_RECORD)
    assert lookup.args["rkey"] == checkpoints.state["rkey"] and "Authorization" not in lookup.headers


def test_reconcile_proves_a_lost_write_was_not_published(bluesky: BlueskyFake) -> None:
    post = make_post()
    checkpoints = Checkpoints()
    bluesky.server.inject(Fault("reset", path=CREATE, process=False))
    with pytest.raises(AmbiguousError):
        make_channel(bluesky).publish(post, checkpoints)

    outcome = make_channel(bluesky).reconcile(replace(post, channel_state=checkpoints.state))
    assert outcome.outcome is Outcome.NOT_PUBLISHED
    assert checkpoints.state["rkey"] in outcome.detail
    assert bluesky.created == []


def test_record_not_found_outside_reconcile_fails_the_post_but_is_no_content_verdict(bluesky: BlueskyFake) -> None:
    """Only reconcile turns "no such record" into an answer; on a write it is permanent, not about the text."""
    missing = json_response({"error": "RecordNotFound", "message": "Could not locate record"}, status=400)
    bluesky.server.inject(Fault("status", path=CREATE, response=missing))
    with pytest.raises(RecordNotFound) as caught:
        make_channel(bluesky).publish(make_post(), Checkpoints())
    assert isinstance(caught.value, PermanentError) and not isinstance(caught.value, ContentRejected)


def test_reconcile_without_a_checkpoint_is_not_published(bluesky: BlueskyFake) -> None:
    outcome = make_channel(bluesky).reconcile(make_post())
    assert outcome.outcome is Outcome.NOT_PUBLISHED
    assert bluesky.server.requests() == []


# --- embeds and limits ------------------------------------------------------------------------


def test_image_without_a_link_is_uploaded_as_a_blob_with_alt_text_and_aspect_ratio(bluesky: BlueskyFake) -> None:
    post = replace(make_post(image=SAMPLE_IMAGE), link=None)
    make_channel(bluesky).publish(post, Checkpoints())

    (upload,) = bluesky.server.requests("POST", UPLOAD)
    assert upload.headers["Content-Type"] == "image/jpeg"
    assert upload.get_data() == SAMPLE_IMAGE.read_bytes()
    embed = bluesky.created[0]["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    (image,) = embed["images"]
    assert image["alt"] == post.alt_text
    assert image["image"]["ref"]["$link"] == cid_of(SAMPLE_IMAGE.read_bytes())
    assert image["aspectRatio"] == {"width": 320, "height": 180}  # sample.jpg's pixels


def test_the_pds_refuses_an_aspect_ratio_that_is_not_whole_pixels(bluesky: BlueskyFake) -> None:
    """The fake holds the lexicon's rule (integers, at least 1), so a wrong ratio cannot pass unseen."""
    channel = make_channel(bluesky)
    channel.publish(replace(make_post(image=SAMPLE_IMAGE), link=None), Checkpoints())
    record = bluesky.created[0]["record"]
    record["embed"]["images"][0]["aspectRatio"] = {"width": 16 / 9, "height": 1}
    problem = bluesky._invalid(record)
    assert problem is not None and "aspectRatio/width" in problem


def test_link_card_names_the_innovation_when_there_is_no_image(bluesky: BlueskyFake) -> None:
    post = make_post()
    post = replace(post, innovation={**post.innovation, "ringkasan": "KTP-el selesai dalam satu hari kerja."})
    make_channel(bluesky).publish(post, Checkpoints())
    assert bluesky.created[0]["record"]["embed"] == {
        "$type": "app.bsky.embed.external",
        "external": {
            "uri": "https://layanan.bandarlampungkota.go.id/ktp",
            "title": "KTP Sehari Jadi",
            "description": "KTP-el selesai dalam satu hari kerja.",
        },
    }
    assert bluesky.server.requests("POST", UPLOAD) == []


def test_link_card_carries_the_innovation_image_as_its_thumbnail(bluesky: BlueskyFake) -> None:
    make_channel(bluesky).publish(make_post(image=SAMPLE_IMAGE), Checkpoints())

    (upload,) = bluesky.server.requests("POST", UPLOAD)
    assert upload.get_data() == SAMPLE_IMAGE.read_bytes()
    embed = bluesky.created[0]["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.external"
    assert embed["external"]["uri"] == "https://layanan.bandarlampungkota.go.id/ktp"
    assert embed["external"]["thumb"]["ref"]["$link"] == cid_of(SAMPLE_IMAGE.read_bytes())
    assert embed["external"]["thumb"]["mimeType"] == "image/jpeg"


def test_an_image_too_large_for_a_thumbnail_is_shown_as_an_image(
    bluesky: BlueskyFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thumb may be 1,000,000 bytes at most (the lexicon); a larger image keeps the images embed."""
    monkeypatch.setattr(bluesky_adapter, "MAX_THUMB_BYTES", len(SAMPLE_IMAGE.read_bytes()) - 1)
    make_channel(bluesky).publish(make_post(image=SAMPLE_IMAGE), Checkpoints())
    assert bluesky.created[0]["record"]["embed"]["$type"] == "app.bsky.embed.images"


def test_the_pds_refuses_a_thumbnail_over_its_limit(bluesky: BlueskyFake) -> None:
    channel = make_channel(bluesky)
    channel.publish(make_post(image=SAMPLE_IMAGE), Checkpoints())
    record = bluesky.created[0]["record"]
    blob = record["embed"]["external"]["thumb"]
    bluesky.blobs[blob["ref"]["$link"]]["size"] = 1_000_001
    problem = bluesky._invalid(record)
    assert problem is not None and "thumb is too large" in problem


def test_oversized_image_is_refused_before_any_request(bluesky: BlueskyFake) -> None:
    channel = make_channel(bluesky, max_image_bytes=1000)
    with pytest.raises(ContentRejected):
        channel.publish(make_post(image=SAMPLE_IMAGE), Checkpoints())
    assert bluesky.server.requests() == []


def test_limit_counts_graphemes_and_utf8_bytes(bluesky: BlueskyFake) -> None:
    channel = make_channel(bluesky)
    channel.publish(make_post(text="🎉" * 300), Checkpoints())  # 300 graphemes, 1200 bytes: fits
    assert len(bluesky.created) == 1
    before = len(bluesky.server.requests())
    for too_long in ("🎉" * 301, "👨‍👩‍👧" * 200):  # 301 graphemes; 200 graphemes but 3600 bytes
        with pytest.raises(ContentRejected):
            channel.publish(make_post(text=too_long, post_id=2), Checkpoints())
    assert len(bluesky.server.requests()) == before


def test_rate_limit_reset_alone_gives_retry_after(bluesky: BlueskyFake) -> None:
    headers = {"RateLimit-Limit": "5000", "RateLimit-Remaining": "0", "RateLimit-Reset": str(int(time.time()) + 120)}
    response = json_response({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, 429, headers)
    bluesky.server.inject(Fault("status", path=CREATE, response=response))
    with pytest.raises(RateLimited) as caught:
        make_channel(bluesky).publish(make_post(), Checkpoints())
    assert caught.value.retry_after == pytest.approx(120, abs=2)


def test_tids_are_valid_and_increasing() -> None:
    tids = [new_tid() for _ in range(1000)]
    assert all(TID.fullmatch(tid) for tid in tids)
    assert tids == sorted(tids) and len(set(tids)) == len(tids)
    assert encode_tid(0, 0) == "2222222222222"
    assert encode_tid(1, 0) < encode_tid(1, 1) < encode_tid(2, 0)


def test_token_expires_at_is_the_kept_refresh_tokens_expiry(bluesky: BlueskyFake) -> None:
    channel = make_channel(bluesky)
    assert channel.token_expires_at() is None  # no session kept yet
    channel.publish(make_post(), Checkpoints())
    requests_before = len(bluesky.server.requests())
    expires = make_channel(bluesky).token_expires_at()
    assert expires is not None
    assert expires == datetime.fromisoformat(json.loads(_session_file(bluesky).read_text())["refresh_until"])
    assert timedelta(days=1) < expires - datetime.now(UTC) <= timedelta(seconds=REFRESH_LIFETIME)
    assert len(bluesky.server.requests()) == requests_before  # read from the file, not asked of the PDS
