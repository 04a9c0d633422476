"""What is special about Bluesky: UTF-8 byte facets, the rkey + record checkpoint and putRecord retries,
session renewal, reconcile by getRecord, embeds, and the grapheme + byte limits."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from typing import Any

import pytest
import requests

from outreach.channels.base import Outcome
from outreach.channels.bluesky import RecordNotFound, build_facets, encode_tid, new_tid
from outreach.errors import AmbiguousError, AuthError, ContentRejected, PermanentError, RateLimited
from tests.channels.conftest import SAMPLE_IMAGE, Checkpoints, make_channel, make_post
from tests.fakeplatform.bluesky import BlueskyFake, cid_of
from tests.fakeplatform.server import FakeServer, Fault, json_response

CREATE = r"/xrpc/com\.atproto\.repo\.createRecord"
PUT = r"/xrpc/com\.atproto\.repo\.putRecord"
GET_RECORD = r"/xrpc/com\.atproto\.repo\.getRecord"
UPLOAD = r"/xrpc/com\.atproto\.repo\.uploadBlob"
CREATE_SESSION = r"/xrpc/com\.atproto\.server\.createSession"
REFRESH_SESSION = r"/xrpc/com\.atproto\.server\.refreshSession"
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


@pytest.mark.parametrize("processed", [True, False], ids=["first-write-landed", "first-write-lost"])
def test_retry_after_an_ambiguous_failure_puts_the_identical_record(bluesky: BlueskyFake, processed: bool) -> None:
    post = make_post()
    checkpoints = Checkpoints()
    bluesky.server.inject(Fault("reset", path=CREATE, process=processed))
    with pytest.raises(AmbiguousError):
        make_channel(bluesky).publish(post, checkpoints)
    assert len(bluesky.created) == (1 if processed else 0)

    retry = replace(post, channel_state=json.loads(json.dumps(checkpoints.state)))  # as stored, then loaded
    result = make_channel(bluesky).publish(retry, Checkpoints())  # a new adapter, as after a restart

    assert len(bluesky.server.requests("POST", CREATE)) == 1  # never createRecord again
    (put,) = bluesky.server.requests("POST", PUT)
    body = _body(put)
    assert body["rkey"] == checkpoints.state["rkey"]
    assert _canonical(body["record"]) == _canonical(checkpoints.state["record"])
    assert len(bluesky.created) == 1 and len(bluesky.records) == 1
    assert result.remote_id.endswith(f"/app.bsky.feed.post/{checkpoints.state['rkey']}")


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
        f"{bluesky.server.url}/xrpc/com.atproto.repo.createRecord",
        json={"repo": bluesky.DID, "collection": "app.bsky.feed.post", **checkpoints.state},
        headers={"Authorization": f"Bearer {session['accessJwt']}"},
        timeout=5,
    )
    assert response.status_code == 500
    assert response.json()["error"] == "InternalServerError"
    assert len(bluesky.created) == 1 and bluesky.records[(bluesky.DID, checkpoints.state["rkey"])]


def test_image_post_retry_reuploads_the_same_blob_and_keeps_the_record(bluesky: BlueskyFake) -> None:
    post = make_post(image=SAMPLE_IMAGE)
    checkpoints = Checkpoints()
    bluesky.server.inject(Fault("reset", path=CREATE, process=False))
    with pytest.raises(AmbiguousError):
        make_channel(bluesky).publish(post, checkpoints)
    make_channel(bluesky).publish(replace(post, channel_state=checkpoints.state), Checkpoints())

    assert len(bluesky.server.requests("POST", UPLOAD)) == 2
    assert bluesky.created[0]["record"] == checkpoints.state["record"]
    assert len(bluesky.created) == 1


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
    assert bluesky.DID in identity.detail


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


def test_image_is_uploaded_as_a_blob_with_alt_text(bluesky: BlueskyFake) -> None:
    post = make_post(image=SAMPLE_IMAGE)
    make_channel(bluesky).publish(post, Checkpoints())

    (upload,) = bluesky.server.requests("POST", UPLOAD)
    assert upload.headers["Content-Type"] == "image/jpeg"
    assert upload.get_data() == SAMPLE_IMAGE.read_bytes()
    embed = bluesky.created[0]["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    (image,) = embed["images"]
    assert image["alt"] == post.alt_text
    assert image["image"]["ref"]["$link"] == cid_of(SAMPLE_IMAGE.read_bytes())


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
