"""Templates → the exact text of a post (outreach.render)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest

from outreach.catalogue import image_path, import_files
from outreach.errors import ConfigError
from outreach.limits import TextLimit
from outreach.model import CatalogueEntry, Innovation, Status
from outreach.platforms import Capabilities
from outreach.render import (
    ELLIPSIS,
    CampaignView,
    ChannelView,
    PostTooLong,
    Renderer,
    bundled_templates_dir,
    date_id,
    hashtags,
    list_id,
    make_time_id,
    number_id,
    rupiah,
    steps,
    with_utm,
)
from outreach.store import Store
from outreach.utm import UtmSettings

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "config" / "catalogue" / "inovasi.csv"
WIB = ZoneInfo("Asia/Jakarta")
KINDS = ("perkenalan", "cara_pakai", "manfaat", "pengingat")
MORNING = datetime(2026, 12, 7, 9, 0, tzinfo=WIB)
EVENING = datetime(2026, 12, 7, 19, 0, tzinfo=WIB)

#: The platforms' rules, built here from TextLimit (the adapters are not imported on purpose).
CAPABILITIES: dict[str, Capabilities] = {
    "x": Capabilities(TextLimit("x_weighted", 280), shortens_links=True),
    "mastodon": Capabilities(TextLimit("mastodon", 500), shortens_links=True),
    "bluesky": Capabilities(TextLimit("graphemes", 300, maximum_utf8_bytes=3000), link_card="always"),
    "telegram": Capabilities(
        TextLimit("utf16", 4096), caption_limit=TextLimit("utf16", 1024), link_card="without_image"
    ),
    "facebook": Capabilities(TextLimit("characters", 63206), link_card="without_image"),
    "instagram": Capabilities(TextLimit("characters", 2200), image="required"),
    "whatsapp": Capabilities(TextLimit("characters", 4096)),
    "webhook": Capabilities(TextLimit("characters", 63206)),
}


def channel(
    platform: str, name: str | None = None, utm: UtmSettings | None = None, capabilities: Capabilities | None = None
) -> ChannelView:
    return ChannelView(name or f"{platform}-kominfo", platform, capabilities or CAPABILITIES[platform], utm)


def innovation(**overrides: object) -> Innovation:
    values: dict[str, object] = {
        "id": "ktp-sehari-jadi",
        "nama": "KTP Sehari Jadi",
        "opd": "Dinas Kependudukan dan Pencatatan Sipil",
        "ringkasan": "KTP elektronik selesai di hari yang sama.",
        "manfaat": "Anda tidak perlu bolak-balik ke kantor.",
        "cara_akses": "Datang ke Mal Pelayanan Publik | Bawa Kartu Keluarga | Ambil KTP hari itu juga",
        "kontak": "WhatsApp 0812-0000-1234",
        "tautan": "https://bandarlampungkota.go.id/inovasi/ktp-sehari-jadi",
        "tagar": ("BandarLampung", "LayananPublik"),
    }
    values.update(overrides)
    return Innovation(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def approved_examples(tmp_path_factory: pytest.TempPathFactory) -> list[CatalogueEntry]:
    store = Store("sqlite:///" + str(tmp_path_factory.mktemp("render") / "s.sqlite3"))
    try:
        import_files(store, [EXAMPLE], datetime(2026, 11, 25, tzinfo=UTC))
        entries = [item for item in store.catalogue() if item.status is Status.APPROVED]
    finally:
        store.close()
    assert len(entries) >= 10
    return entries


@pytest.fixture
def renderer() -> Renderer:
    return Renderer(WIB)


def user_templates(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "templat"
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


# ---- Indonesian formats ------------------------------------------------------------------------------------


def test_date_id() -> None:
    assert date_id(date(2021, 5, 6)) == "Kamis, 6 Mei 2021"
    assert date_id(datetime(2026, 12, 1, 9, 0)) == "Selasa, 1 Desember 2026"
    assert date_id(date(2027, 1, 31)) == "Minggu, 31 Januari 2027"


def test_time_id() -> None:
    time_id = make_time_id(WIB)
    assert time_id(time(9, 0)) == "pukul 09.00 WIB"
    assert time_id(datetime(2026, 12, 7, 15, 30, tzinfo=WIB)) == "pukul 15.30 WIB"
    assert time_id(datetime(2026, 12, 7, 2, 0, tzinfo=UTC)) == "pukul 09.00 WIB"  # converted to local


def test_time_id_in_other_indonesian_zones() -> None:
    assert make_time_id(ZoneInfo("Asia/Makassar"))(time(9, 0)) == "pukul 09.00 WITA"
    assert make_time_id(ZoneInfo("Asia/Jayapura"))(time(9, 0)) == "pukul 09.00 WIT"


@pytest.mark.parametrize(
    ("amount", "text"), [(10000, "Rp10.000"), (1500000, "Rp1.500.000"), (0, "Rp0"), (500, "Rp500")]
)
def test_rupiah(amount: int, text: str) -> None:
    assert rupiah(amount) == text


def test_number_id() -> None:
    assert number_id(1234567) == "1.234.567"
    assert number_id(1234.5) == "1.234,5"
    assert number_id(12) == "12"


def test_list_id() -> None:
    assert list_id(["KTP", "KK", "akta kelahiran"]) == "KTP, KK, dan akta kelahiran"
    assert list_id(["KTP", "KK"]) == "KTP dan KK"
    assert list_id(["KTP"]) == "KTP"
    assert list_id([]) == ""
    assert list_id(["KTP", " ", "KK"]) == "KTP dan KK"


def test_hashtags() -> None:
    assert hashtags(["BandarLampung", "#LayananPublik"]) == "#BandarLampung #LayananPublik"
    assert hashtags([]) == ""
    assert hashtags(["A", ""]) == "#A"


def test_steps() -> None:
    assert steps("Datang ke kantor | Bawa KTP|Ambil nomor antre") == [
        "Datang ke kantor",
        "Bawa KTP",
        "Ambil nomor antre",
    ]
    assert steps("Datang ke kantor\nBawa KTP\n\nAmbil nomor antre") == [
        "Datang ke kantor",
        "Bawa KTP",
        "Ambil nomor antre",
    ]
    assert steps("Satu langkah saja") == ["Satu langkah saja"]
    assert steps("") == []
    assert steps(None) == []


def test_the_filters_are_available_in_templates(tmp_path: Path) -> None:
    folder = user_templates(
        tmp_path,
        {
            "perkenalan.j2": "{{ innovation.mulai | date_id }}\n{{ when | time_id }}\n{{ 10000 | rupiah }}\n"
            "{{ 1234567 | number_id }}\n{{ ['KTP', 'KK', 'akta kelahiran'] | list_id }}\n"
            "{{ innovation.tagar | hashtags }}\n{{ (innovation.cara_akses | steps) | length }}"
        },
    )
    post = Renderer(WIB, folder).render(
        innovation(mulai=date(2021, 5, 6)),
        "perkenalan",
        channel("facebook"),
        CampaignView("c"),
        datetime(2026, 12, 7, 2, 0, tzinfo=UTC),
    )
    assert post.text.splitlines() == [
        "Kamis, 6 Mei 2021",
        "pukul 09.00 WIB",
        "Rp10.000",
        "1.234.567",
        "KTP, KK, dan akta kelahiran",
        "#BandarLampung #LayananPublik",
        "3",
    ]


# ---- every bundled template, every approved example, every platform ------------------------------------------


@pytest.mark.parametrize("platform", sorted(CAPABILITIES))
def test_every_template_renders_every_approved_example_within_the_limit(
    renderer: Renderer, approved_examples: list[CatalogueEntry], platform: str
) -> None:
    view = channel(platform, utm=UtmSettings(source=platform))
    campaign = CampaignView("kenali-inovasi", "kenali-inovasi-2026")
    for item in approved_examples:
        entry = item.innovation
        image = image_path(item.source, entry.gambar)
        for kind in KINDS:
            for when in (MORNING, EVENING):
                post = renderer.render(entry, kind, view, campaign, when, image=image)
                where = f"{entry.id} · {kind} · {platform}"
                limit = view.capabilities.limit_for(post.image is not None)
                assert limit.fits(post.text), f"{where}: {limit.describe(post.text)}"
                assert post.length == limit.measure(post.text) <= post.limit == limit.maximum, where
                assert post.text == post.text.strip(), where
                assert "\n\n\n" not in post.text, where
                assert "\ue000" not in post.text and "\ue001" not in post.text, where
                assert "{{" not in post.text and "{%" not in post.text, where
                assert entry.nama.casefold() in post.text.casefold(), where
                if entry.tautan and platform != "instagram":
                    assert post.link is not None and "utm_source=" + platform in post.link, where
                    short = with_utm(entry.tautan, channel(platform), campaign)
                    shown = post.link if view.capabilities.shortens_links else short
                    assert shown is not None and shown in post.text.split(), where
                if platform != "instagram":
                    assert len(re.findall(r"(?<![\w/])#\w+", post.text)) <= 5, where
                if image is not None:
                    assert post.image == image and post.alt_text == entry.alt_gambar, where


def test_the_pengingat_greeting_follows_the_local_hour(renderer: Renderer) -> None:
    morning = renderer.render(
        innovation(), "pengingat", channel("webhook"), CampaignView("c"), datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    )  # 09.00 WIB
    evening = renderer.render(innovation(), "pengingat", channel("webhook"), CampaignView("c"), EVENING)
    assert morning.text.startswith("Selamat pagi")
    assert evening.text.startswith("Selamat malam")


def test_an_optional_field_left_empty_leaves_no_gap(renderer: Renderer) -> None:
    bare = innovation(kontak=None, tautan=None, tagar=(), lokasi=None, jam_layanan=None)
    for platform in sorted(CAPABILITIES):
        for kind in KINDS:
            post = renderer.render(bare, kind, channel(platform), CampaignView("c"), MORNING)
            assert post.link is None
            assert "None" not in post.text, (platform, kind)
            assert "\n\n\n" not in post.text and post.text == post.text.strip(), (platform, kind)


# ---- shortening ------------------------------------------------------------------------------------------------

LONG_RINGKASAN = " ".join(f"kalimat{number} tentang layanan" for number in range(80))


def _shortened_part(text: str) -> str:
    [part] = [piece for piece in re.split(r"\n|(?<=[?.]) ", text) if piece.endswith(ELLIPSIS)]
    return part.removesuffix(ELLIPSIS)


@pytest.mark.parametrize("platform", ["x", "mastodon", "bluesky"])
def test_a_too_long_ringkasan_is_cut_at_a_word_boundary_keeping_link_and_contact(
    renderer: Renderer, platform: str
) -> None:
    entry = innovation(ringkasan=LONG_RINGKASAN)
    view = channel(platform)
    post = renderer.render(entry, "perkenalan", view, CampaignView("c"), MORNING)
    limit = view.capabilities.text_limit
    assert post.shortened
    assert post.notes == (f"shortened to fit {limit.maximum}",)
    assert limit.fits(post.text)
    assert post.length <= limit.maximum
    kept = _shortened_part(post.text)
    assert len(kept) >= 12
    assert LONG_RINGKASAN.startswith(kept)
    assert LONG_RINGKASAN[len(kept)] == " "  # the cut is at a word boundary
    assert entry.tautan in post.text.splitlines() or f"Info lengkap: {entry.tautan}" in post.text.splitlines()
    if platform == "mastodon":
        assert "Kontak: WhatsApp 0812-0000-1234" in post.text.splitlines()


def test_a_post_that_fits_is_not_shortened(renderer: Renderer) -> None:
    post = renderer.render(innovation(), "perkenalan", channel("x"), CampaignView("c"), MORNING)
    assert not post.shortened
    assert post.notes == ()
    assert ELLIPSIS not in post.text
    assert "KTP elektronik selesai di hari yang sama." in post.text


def test_the_telegram_caption_limit_applies_only_with_an_image(renderer: Renderer, tmp_path: Path) -> None:
    entry = innovation(ringkasan=LONG_RINGKASAN, manfaat="Anda tidak perlu bolak-balik ke kantor.")
    image = tmp_path / "poster.jpg"
    image.write_bytes(b"\xff\xd8\xff")
    without = renderer.render(entry, "perkenalan", channel("telegram"), CampaignView("c"), MORNING)
    assert without.limit == 4096 and not without.shortened and without.length > 1024
    assert without.image is None
    captioned = renderer.render(entry, "perkenalan", channel("telegram"), CampaignView("c"), MORNING, image=image)
    assert captioned.limit == 1024
    assert captioned.shortened
    assert captioned.length <= 1024
    assert captioned.image == image


def test_an_image_is_dropped_where_the_platform_takes_none(renderer: Renderer, tmp_path: Path) -> None:
    image = tmp_path / "poster.jpg"
    image.write_bytes(b"\xff\xd8\xff")
    view = channel("x", capabilities=replace(CAPABILITIES["x"], image="none"))
    post = renderer.render(
        innovation(alt_gambar="Poster biru."), "perkenalan", view, CampaignView("c"), MORNING, image=image
    )
    assert post.image is None
    assert post.alt_text is None


def test_post_too_long_names_innovation_kind_channel_and_length(renderer: Renderer) -> None:
    entry = innovation(id="nama-kepanjangan", nama="Layanan " * 50)
    with pytest.raises(PostTooLong) as caught:
        renderer.render(entry, "perkenalan", channel("x", name="x-kominfo"), CampaignView("c"), MORNING)
    message = str(caught.value)
    assert "nama-kepanjangan" in message
    assert "perkenalan" in message
    assert "x-kominfo" in message
    match = re.search(r"(\d+)/280", message)
    assert match is not None and int(match.group(1)) > 280
    assert isinstance(caught.value, ConfigError)


def test_post_too_long_when_even_the_shortened_parts_cannot_make_room(renderer: Renderer) -> None:
    view = channel("x", capabilities=Capabilities(TextLimit("x_weighted", 60)))
    with pytest.raises(PostTooLong) as caught:
        renderer.render(innovation(ringkasan=LONG_RINGKASAN), "perkenalan", view, CampaignView("c"), MORNING)
    assert "/60" in str(caught.value)


# ---- the sandbox and template errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "Halo\n{{ innovation.__class__.__init__.__globals__ }}",
        "{{ innovation.to_json.__globals__ }}",
        "{{ '{0.__class__}'.format(innovation) }}",
    ],
)
def test_the_sandbox_refuses_python_internals(tmp_path: Path, source: str) -> None:
    folder = user_templates(tmp_path, {"perkenalan.j2": source})
    renderer = Renderer(WIB, folder)
    with pytest.raises(ConfigError) as caught:
        renderer.render(innovation(), "perkenalan", channel("facebook"), CampaignView("c"), MORNING)
    message = str(caught.value)
    assert str(folder / "perkenalan.j2") in message
    assert "not allowed" in message
    assert "<class" not in message and "__builtins__" not in message


def test_an_undefined_variable_names_the_template_and_line(tmp_path: Path) -> None:
    folder = user_templates(tmp_path, {"manfaat.j2": "Halo\n\n{{ innovation.namaa }}\n"})
    with pytest.raises(ConfigError) as caught:
        Renderer(WIB, folder).render(innovation(), "manfaat", channel("facebook"), CampaignView("c"), MORNING)
    message = str(caught.value)
    assert message.startswith(f"{folder / 'manfaat.j2'}: line 3: ")
    assert "namaa" in message


def test_an_unknown_name_names_the_template_and_line(tmp_path: Path) -> None:
    folder = user_templates(tmp_path, {"x/manfaat.j2": "Halo\n{{ tautan }}"})
    with pytest.raises(ConfigError) as caught:
        Renderer(WIB, folder).render(innovation(), "manfaat", channel("x"), CampaignView("c"), MORNING)
    message = str(caught.value)
    assert message.startswith(f"{folder / 'x' / 'manfaat.j2'}: line 2: ")
    assert "'tautan' is undefined" in message


def test_a_syntax_error_names_the_template_and_line(tmp_path: Path) -> None:
    folder = user_templates(
        tmp_path, {"cara_pakai.j2": "Cara memakai {{ innovation.nama }}:\n\n{% if %}\n{% endif %}\n"}
    )
    with pytest.raises(ConfigError) as caught:
        Renderer(WIB, folder).render(innovation(), "cara_pakai", channel("facebook"), CampaignView("c"), MORNING)
    message = str(caught.value)
    assert message.startswith(f"{folder / 'cara_pakai.j2'}:3: ")
    assert "syntax error" in message


def test_a_missing_templates_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        Renderer(WIB, tmp_path / "tidak-ada")
    assert "tidak-ada" in str(caught.value)


def test_an_unknown_kind_is_a_config_error(renderer: Renderer) -> None:
    with pytest.raises(ConfigError) as caught:
        renderer.render(innovation(), "promosi", channel("x"), CampaignView("c"), MORNING)
    assert "promosi" in str(caught.value)


# ---- which template wins -------------------------------------------------------------------------------------------


def test_the_bundled_templates_folder_has_every_kind() -> None:
    folder = bundled_templates_dir()
    for kind in KINDS:
        assert (folder / f"{kind}.j2").is_file()


def test_a_user_generic_template_beats_the_bundled_platform_template(tmp_path: Path) -> None:
    folder = user_templates(tmp_path, {"perkenalan.j2": "Dari templat kantor: {{ innovation.nama }}"})
    renderer = Renderer(WIB, folder)
    assert (bundled_templates_dir() / "x" / "perkenalan.j2").is_file()
    post = renderer.render(innovation(), "perkenalan", channel("x"), CampaignView("c"), MORNING)
    assert post.text == "Dari templat kantor: KTP Sehari Jadi"
    # kinds the user did not override still come from the bundled templates
    bundled = Renderer(WIB).render(innovation(), "manfaat", channel("x"), CampaignView("c"), MORNING)
    assert renderer.render(innovation(), "manfaat", channel("x"), CampaignView("c"), MORNING).text == bundled.text


def test_a_user_platform_template_beats_the_user_generic_one(tmp_path: Path) -> None:
    folder = user_templates(
        tmp_path, {"perkenalan.j2": "umum {{ innovation.id }}", "x/perkenalan.j2": "khusus x {{ innovation.id }}"}
    )
    renderer = Renderer(WIB, folder)
    assert renderer.render(innovation(), "perkenalan", channel("x"), CampaignView("c"), MORNING).text == (
        "khusus x ktp-sehari-jadi"
    )
    assert renderer.render(innovation(), "perkenalan", channel("mastodon"), CampaignView("c"), MORNING).text == (
        "umum ktp-sehari-jadi"
    )


# ---- links: scheme and UTM -------------------------------------------------------------------------------------------


def test_utm_parameters_are_added_when_the_channel_has_utm_settings(renderer: Renderer) -> None:
    view = channel("mastodon", utm=UtmSettings(source="mastodon"))
    post = renderer.render(innovation(), "perkenalan", view, CampaignView("kenali-inovasi", "kenali-2026"), MORNING)
    assert post.link is not None
    parts = urlsplit(post.link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "bandarlampungkota.go.id", "/inovasi/ktp-sehari-jadi")
    assert dict(parse_qsl(parts.query)) == {
        "utm_source": "mastodon",
        "utm_medium": "social",
        "utm_campaign": "kenali-2026",
    }
    assert post.link in post.text


def test_no_utm_parameters_without_utm_settings(renderer: Renderer) -> None:
    post = renderer.render(innovation(), "perkenalan", channel("mastodon"), CampaignView("c"), MORNING)
    assert post.link == "https://bandarlampungkota.go.id/inovasi/ktp-sehari-jadi"
    assert "utm_" not in post.text


def test_a_bare_domain_link_gets_a_scheme(renderer: Renderer) -> None:
    post = renderer.render(
        innovation(tautan="bandarlampungkota.go.id/inovasi/akta-lahir"),
        "perkenalan",
        channel("x"),
        CampaignView("c"),
        MORNING,
    )
    assert post.link == "https://bandarlampungkota.go.id/inovasi/akta-lahir"
    assert "https://bandarlampungkota.go.id/inovasi/akta-lahir" in post.text


def test_with_utm_keeps_other_parameters_and_replaces_old_utm() -> None:
    view = channel("facebook", utm=UtmSettings(source="facebook", medium="organik"))
    link = with_utm("layanan.go.id/ktp?lang=id&utm_source=lama", view, CampaignView("kenali"))
    assert link is not None
    parts = urlsplit(link)
    assert parts.scheme == "https"
    assert parse_qsl(parts.query) == [
        ("lang", "id"),
        ("utm_source", "facebook"),
        ("utm_medium", "organik"),
        ("utm_campaign", "kenali"),
    ]


def test_with_utm_without_link_or_with_http() -> None:
    assert with_utm(None, channel("x"), CampaignView("c")) is None
    assert with_utm("", channel("x"), CampaignView("c")) is None
    assert with_utm("http://intranet.example/ktp", channel("x"), CampaignView("c")) == "http://intranet.example/ktp"


@pytest.mark.parametrize(
    "written, built",
    [
        ("HTTP://intranet.example/KTP", "http://intranet.example/KTP"),
        ("Https://layanan.go.id/ktp", "https://layanan.go.id/ktp"),
    ],
)
def test_with_utm_reads_a_scheme_in_capitals_as_a_scheme(written: str, built: str) -> None:
    assert with_utm(written, channel("x"), CampaignView("c")) == built
    tracked = with_utm(written, channel("x", utm=UtmSettings(source="x")), CampaignView("c"))
    assert tracked is not None and tracked.startswith(built + "?utm_source=x")


def test_a_long_utm_link_still_counts_23_on_x(renderer: Renderer) -> None:
    view = channel("x", utm=UtmSettings(source="x-kominfo-bandar-lampung", medium="media-sosial-resmi"))
    campaign = CampaignView("kenali", "kampanye-kenali-inovasi-layanan-publik-kota-bandar-lampung-2026")
    post = renderer.render(innovation(), "perkenalan", view, campaign, MORNING)
    assert post.link is not None and len(post.link) > 150
    plain = renderer.render(innovation(), "perkenalan", channel("x"), CampaignView("c"), MORNING)
    assert post.length == plain.length
    assert not post.shortened


def test_a_filter_given_the_wrong_value_is_a_config_error_naming_the_template(tmp_path: Path) -> None:
    """`{{ innovation.kontak | rupiah }}` or a missing date must not crash `check` or print today's date."""
    for body in ("Biaya {{ innovation.kontak | rupiah }}\n", "Mulai {{ innovation.mulai | date_id }}\n"):
        folder = tmp_path / str(abs(hash(body)))
        folder.mkdir()
        (folder / "perkenalan.j2").write_text(body, encoding="utf-8")
        renderer = Renderer(ZoneInfo("Asia/Jakarta"), folder)
        innovation = Innovation(
            id="a",
            nama="A",
            opd="Dinas",
            ringkasan="r",
            manfaat="m",
            cara_akses="c",
            kontak="WhatsApp 0812-0000-1234",
            mulai=None,
        )
        channel = ChannelView("x", "facebook", Capabilities(TextLimit("characters", 63206)))
        with pytest.raises(ConfigError) as caught:
            renderer.render(innovation, "perkenalan", channel, CampaignView("c"), datetime(2026, 12, 1, tzinfo=UTC))
        message = str(caught.value)
        assert "perkenalan.j2" in message and "line 1" in message and "TypeError" in message


# ---- the render budget --------------------------------------------------------------------------------------


def _render_user(tmp_path: Path, body: str, item: Innovation | None = None) -> str:
    folder = user_templates(tmp_path, {"perkenalan.j2": body})
    return (
        Renderer(WIB, folder)
        .render(item or innovation(), "perkenalan", channel("facebook"), CampaignView("c"), MORNING)
        .text
    )


def test_ordinary_arithmetic_repetition_and_loops_stay_allowed(tmp_path: Path) -> None:
    body = (
        "{{ 2 ** 10 }} {{ 7 % 3 }} {{ 'a' + 'b' }} {{ '-' * 5 }} {{ (2 ** 3000) | string | length }}\n"
        "{% for langkah in innovation.cara_akses | steps %}{{ loop.index }}/{{ loop.length }} {% endfor %}\n"
        "{{ range(3) | map('string') | join(',') }} {{ [3, 1, 2] | sort | list }}"
    )
    assert _render_user(tmp_path, body) == "1024 1 ab ----- 904\n1/3 2/3 3/3 0,1,2 [1, 2, 3]"  # trim_blocks


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        ("Halo\n{{ 2 ** 4000 }}", 2, "the result of ** would be too large (a number of more than 1,000 digits)"),
        ("{% set n = 2 ** 3000 %}\n{{ n * n }}", 2, "the result of * would be too large"),
        ("{{ innovation.nama * 100000 }}", 1, "the result of * would be too large (more than 100,000"),
        ("{{ [1] | slice(999999999) | list }}", 1, "the loops run more than 1,000 times"),
        (
            "{% set s = namespace(v='ab') %}{% for i in range(40) %}\n{% set s.v = s.v ~ s.v %}{% endfor %}",
            2,
            "a value is longer than 100,000",
        ),
        ("{{ 'x' | center(999999999) }}", 1, "a value is longer than 100,000"),
    ],
    ids=["huge-power", "huge-product", "huge-repetition", "endless-slice", "doubling-join", "huge-padding"],
)
def test_a_value_too_large_for_a_post_is_refused_naming_the_line(
    tmp_path: Path, body: str, line: int, reason: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _render_user(tmp_path, body)
    assert str(caught.value).startswith(f"{tmp_path / 'templat' / 'perkenalan.j2'}: line {line}: {reason}")


def test_a_template_over_its_budget_once_is_refused_for_every_later_post(tmp_path: Path) -> None:
    """`check` renders a template for every innovation: one that blew its budget must not spend it
    again for each of them. Here the loop is over the budget only for a long `ringkasan`."""
    folder = user_templates(
        tmp_path,
        {"perkenalan.j2": "{% for i in range(innovation.ringkasan | length * 20) %}{% endfor %}{{ innovation.nama }}"},
    )
    renderer = Renderer(WIB, folder)
    short, long = innovation(ringkasan="Singkat."), innovation(ringkasan="Panjang sekali. " * 10)

    def render(item: Innovation) -> str:
        return renderer.render(item, "perkenalan", channel("facebook"), CampaignView("c"), MORNING).text

    assert render(short) == "KTP Sehari Jadi"
    with pytest.raises(ConfigError, match="line 1: the loops run more than 1,000 times") as first:
        render(long)
    with pytest.raises(ConfigError) as again:
        render(short)
    assert str(again.value) == str(first.value)
