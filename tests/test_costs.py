"""The expected X cost of a window: X charges per post, and much more for a post with a link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from outreach.cli import cli
from outreach.costs import PRICE_PER_POST, PRICE_PER_POST_WITH_LINK, Prices, has_link, x_costs
from tests.engine_helpers import campaign, file_channel, innovation, project


@pytest.mark.parametrize(
    ("text", "linked"),
    [
        ("Urus KTP-el sehari jadi.", False),
        ("Info: https://layanan.bandarlampungkota.go.id/ktp", True),
        ("Info: layanan.bandarlampungkota.go.id", True),  # X turns a bare domain into a link, and charges for it
    ],
)
def test_a_link_is_what_x_sees_as_one(text: str, linked: bool) -> None:
    assert has_link(text) is linked


def test_the_cost_counts_posts_with_and_without_a_link_at_their_prices() -> None:
    texts = {"x": ["Tanpa tautan.", "Ada tautan: https://contoh.id", "Lagi: contoh.id"]}
    [cost] = x_costs(texts, {"x": Prices(0.01, 0.25)})
    assert (cost.without_link, cost.with_link) == (1, 2)
    assert cost.total == pytest.approx(0.01 + 2 * 0.25)


def test_preview_and_plan_say_what_the_window_will_cost_on_x(tmp_path: Path) -> None:
    """A file channel rendering as X shows the budget at the documented default prices; others show none."""
    config = project(
        tmp_path,
        [innovation("ktp-sehari-jadi"), innovation("bank-sampah", "Dinas Sosial")],
        channels={"x": file_channel("x", "outbox"), "facebook": file_channel("facebook", "outbox")},
        campaigns={"kenali": campaign(["x", "facebook"], ["setiap hari 09.00"], min_gap_days=0)},
    )
    runner = CliRunner()
    preview = runner.invoke(cli, ["--config", str(config), "--now", "2026-12-01T08:00+07:00", "preview", "--days", "2"])
    assert preview.exit_code == 0, preview.output
    [line] = [line for line in preview.output.splitlines() if "expected X API cost" in line]
    plain, linked, total = re.search(
        r"(\d+) posts × \$[\d.]+ \+ (\d+) with a link × \$[\d.]+ = \$([\d.]+)", line
    ).groups()
    assert int(plain) + int(linked) == 2  # one post a day on x, two days
    assert float(total) == pytest.approx(int(plain) * PRICE_PER_POST + int(linked) * PRICE_PER_POST_WITH_LINK, abs=0.01)
    assert line.startswith("x: ") and "facebook" not in line

    plan = runner.invoke(cli, ["--config", str(config), "--now", "2026-12-01T08:00+07:00", "plan", "--days", "2"])
    assert plan.exit_code == 0, plan.output
    assert "x: expected X API cost of these 2 days" in plan.output


def test_an_x_channel_may_set_its_own_prices() -> None:
    from outreach.channels import adapter_class, validate_settings

    settings = validate_settings({"type": "x", "price_per_post": 0.02, "price_per_post_with_link": 0.3})
    assert adapter_class("x").prices_for(settings) == Prices(0.02, 0.3)
    assert adapter_class("x").prices_for(validate_settings({"type": "x"})) == Prices()
    facebook = validate_settings({"type": "file", "as": "facebook", "directory": "outbox"})
    assert adapter_class("file").prices_for(facebook) is None
