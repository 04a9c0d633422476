"""Bad-input corpus: every malformed input gives one clear message naming the place, and never
touches the store.  Each case runs the real CLI against a private copy of the bundled example."""

from __future__ import annotations

import hashlib
import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from outreach.catalogue import MAX_FILE_BYTES
from outreach.cli import cli

REPO = Path(__file__).resolve().parents[1]
CSV_NAME = "catalogue/inovasi.csv"


# ---- helpers ---------------------------------------------------------------------------------------


def config_file(d: Path) -> Path:
    return d / "config" / "outreach.toml"


def store_digest(d: Path) -> dict[str, str]:
    store = d / "var" / "outreach.sqlite3"
    digests = {}
    for path in (store, Path(str(store) + "-wal")):
        if path.exists():
            digests[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def invoke(d: Path, *args: str, config: Path | None = None):
    runner = CliRunner()
    return runner.invoke(cli, ["--config", str(config or config_file(d)), *args], catch_exceptions=True)


def replace_in_config(old: str, new: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        path = config_file(d)
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return mutate


def prepend_config(line: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        path = config_file(d)
        path.write_text(line + "\n" + path.read_text(encoding="utf-8"), encoding="utf-8")

    return mutate


def append_config(text: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        path = config_file(d)
        path.write_text(path.read_text(encoding="utf-8") + "\n" + text + "\n", encoding="utf-8")

    return mutate


def good_rows(d: Path) -> tuple[str, list[str]]:
    """Header line and data lines of the bundled catalogue (semicolon separated, BOM stripped)."""
    text = (d / "config" / CSV_NAME).read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    return lines[0], lines[1:]


def edit_cell(line: str, header: str, column: str, value: str) -> str:
    names = header.split(";")
    cells = line.split(";")
    cells[names.index(column)] = value
    return ";".join(cells)


def write_extra_csv(name: str, build: Callable[[str, list[str]], str | bytes]) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        header, rows = good_rows(d)
        content = build(header, rows)
        target = d / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")

    return mutate


def one_row_with(column: str, value: str) -> Callable[[str, list[str]], str]:
    return lambda header, rows: header + "\n" + edit_cell(rows[0], header, column, value) + "\n"


def edit_bundled_csv(column: str, value: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        header, rows = good_rows(d)
        rows[0] = edit_cell(rows[0], header, column, value)
        (d / "config" / CSV_NAME).write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")

    return mutate


def write_xlsx(name: str, cell: str, value: object) -> Callable[[Path], None]:
    """A one-row workbook built from the first bundled row, with ``cell`` (a column name) set to ``value``."""

    def mutate(d: Path) -> None:
        from openpyxl import Workbook

        header, rows = good_rows(d)
        names = header.split(";")
        cells: list[object] = rows[0].split(";")
        cells[names.index(cell)] = value
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(names)
        sheet.append(cells)
        workbook.save(d / name)

    return mutate


def write_xlsx_rows(name: str, rows: Callable[[list[str], list[object]], list[list[object]]]) -> Callable[[Path], None]:
    """A workbook whose one sheet holds ``rows(header, first bundled row)``."""

    def mutate(d: Path) -> None:
        from openpyxl import Workbook

        header, data = good_rows(d)
        workbook = Workbook()
        for row in rows(header.split(";"), list(data[0].split(";"))):
            workbook.active.append(row)
        workbook.save(d / name)

    return mutate


def alias_bomb(levels: int) -> str:
    """YAML's "billion laughs" aimed at ``nama``: 9 ** levels leaves if anything expanded it."""
    lines = ["- id: bom", "  catatan0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"  catatan{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels)]
    lines += [f"  nama: *l{levels - 1}", "  opd: D", "  ringkasan: R", "  manfaat: M", "  cara_akses: C"]
    return "\n".join(lines) + "\n"


YAML_ROW = "- id: satu\n  nama: Satu\n  opd: Dinas\n  ringkasan: Ringkasan.\n  manfaat: Gratis.\n  cara_akses: Datang\n"


def write_file(name: str, content: str | bytes) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        target = d / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")

    return mutate


def broken_template(body: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        prepend_config('templates = "tpl"')(d)
        folder = d / "config" / "tpl"
        folder.mkdir()
        (folder / "perkenalan.j2").write_text(body, encoding="utf-8")

    return mutate


def symlink(name: str, target: Path) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        (d / name).symlink_to(target)

    return mutate


def chain(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        for step in steps:
            step(d)

    return mutate


class NotOneMessage(AssertionError):
    """The only assertion a known-bug case is expected to fail (checked last)."""


@dataclass
class Case:
    id: str
    mutate: Callable[[Path], None]
    args: tuple[str, ...]
    expect: tuple[str, ...]  # substrings that name the place
    config: str | None = None  # alternative --config, relative to tmp dir
    env_missing: tuple[str, ...] = ()
    marks: tuple = field(default_factory=tuple)
    absent: tuple[str, ...] = ()  # must not be repeated anywhere in the output (a pasted secret)


CHECK = ("check",)


def imp(name: str) -> tuple[str, ...]:
    return ("catalogue", "import", name)  # relative to the tmp dir: resolved via absolute path at run time


CAMPAIGN = "campaigns.kenali-inovasi"
#: A bot token pasted where the *name* of its environment variable belongs.
PASTED_TOKEN = "7000111222:AAHpastedTheBotTokenInsteadOfItsName"
PASTED_HOOK = "https://hooks.slack.com/services/T0STAFF01/B0HANDOFF/q7Xk2mZ9pLw4"
TELEGRAM_WITH_PASTED_TOKEN = (
    f'[channels.telegram-humas]\ntype = "telegram"\nchat_id = "@humas"\ntoken_env = "{PASTED_TOKEN}"'
)


def publish_with_pasted_token(d: Path) -> None:
    """The pasted-token channel is in the campaign, so a run that got past the config would publish to it."""
    append_config(TELEGRAM_WITH_PASTED_TOKEN)(d)
    replace_in_config('"telegram", "whatsapp"]', '"telegram", "whatsapp", "telegram-humas"]')(d)


CASES = [
    # ---- config --------------------------------------------------------------------------------
    Case(
        "cfg-min-gap-string",
        replace_in_config("min_gap_days = 2", 'min_gap_days = "dua"'),
        CHECK,
        ("outreach.toml:", f"{CAMPAIGN}.min_gap_days"),
    ),
    Case(
        "cfg-min-gap-negative",
        replace_in_config("min_gap_days = 2", "min_gap_days = -1"),
        CHECK,
        ("outreach.toml:", f"{CAMPAIGN}.min_gap_days"),
    ),
    Case(
        "cfg-max-attempts-string",
        replace_in_config("max_attempts = 5", 'max_attempts = "lima"'),
        CHECK,
        ("outreach.toml:", "publishing.max_attempts"),
    ),
    Case(
        "cfg-daily-cap-float",
        replace_in_config("daily_cap = 4", "daily_cap = 4.5"),
        CHECK,
        ("outreach.toml:", "channels.x.daily_cap"),
    ),
    Case(
        "cfg-catalogue-not-list",
        replace_in_config('catalogue = ["catalogue/inovasi.csv"]', "catalogue = 5"),
        CHECK,
        ("outreach.toml:", "catalogue"),
    ),
    Case("cfg-unknown-top-key", prepend_config('warna = "biru"'), CHECK, ("outreach.toml:", "warna", "unknown key")),
    Case(
        "cfg-media-not-text", prepend_config("media = 5"), CHECK, ("outreach.toml:1: media", 'example: media = "media"')
    ),
    Case(
        "cfg-unknown-publishing-key",
        replace_in_config("max_attempts = 5", "max_attempts = 5\nmax_attempt = 3"),
        CHECK,
        ("outreach.toml:", "publishing.max_attempt"),
    ),
    Case(
        "cfg-unknown-channel-key",
        replace_in_config("daily_cap = 4", "daily_cap = 4\ndailycap = 3"),
        CHECK,
        ("outreach.toml:", "channels.x.dailycap"),
    ),
    Case(
        "cfg-unknown-campaign-key",
        replace_in_config("min_gap_days = 2", 'min_gap_days = 2\ntitel = "x"'),
        CHECK,
        ("outreach.toml:", f"{CAMPAIGN}.titel"),
    ),
    Case(
        "cfg-bad-timezone",
        replace_in_config('timezone = "Asia/Jakarta"', 'timezone = "Asia/Jakartaa"'),
        CHECK,
        ("outreach.toml:13: timezone",),  # line 13 of the bundled config/outreach.toml
    ),
    Case(
        "cfg-slot-hour-25",
        replace_in_config('"sabtu 10.00"', '"senin 25.00"'),
        CHECK,
        ("outreach.toml:", f"{CAMPAIGN}.slots"),
    ),
    Case(
        "cfg-slot-minute-75",
        replace_in_config('"sabtu 10.00"', '"senin 09.75"'),
        CHECK,
        ("outreach.toml:", f"{CAMPAIGN}.slots"),
    ),
    Case(
        "cfg-slot-unknown-day",
        replace_in_config('"sabtu 10.00"', '"minggux 10.00"'),
        CHECK,
        ("outreach.toml:", f"{CAMPAIGN}.slots"),
    ),
    Case(
        "cfg-bad-cron",
        replace_in_config("min_gap_days = 2", 'min_gap_days = 2\ncron = "61 * * * *"'),
        CHECK,
        ("outreach.toml:", f"{CAMPAIGN}.cron"),
    ),
    Case(
        "cfg-unknown-channel-type",
        replace_in_config('type = "file"', 'type = "myspace"'),
        CHECK,
        ("outreach.toml:", "channels.x.type"),
    ),
    Case(
        "cfg-campaign-unknown-channel",
        replace_in_config('"telegram", "whatsapp"]', '"telegram", "friendster"]'),
        CHECK,
        ("outreach.toml:", "friendster"),
    ),
    Case("cfg-toml-syntax", append_config("[publishing\nx = "), CHECK, ("outreach.toml",)),
    Case(
        "cfg-blackout-end-before-start",
        replace_in_config("{ start = 2027-01-01, end = 2027-01-01", "{ start = 2027-01-05, end = 2027-01-01"),
        CHECK,
        ("outreach.toml:", f"{CAMPAIGN}.blackouts"),
    ),
    Case(
        "cfg-campaign-end-before-start",
        replace_in_config("end = 2027-03-31", "end = 2026-01-31"),
        CHECK,
        ("outreach.toml:", CAMPAIGN),
    ),
    Case(
        "cfg-not-utf8",
        lambda d: config_file(d).write_bytes(
            config_file(d).read_bytes().replace(b"Bandar Lampung.", "Bandar Lampung \xe9.".encode("latin-1"))
        ),
        CHECK,
        ("outreach.toml", "UTF-8"),
    ),
    Case("cfg-missing-file", lambda d: None, CHECK, ("tidak-ada.toml",), config="config/tidak-ada.toml"),
    Case(
        "cfg-catalogue-file-missing",
        replace_in_config("catalogue/inovasi.csv", "catalogue/hilang.csv"),
        CHECK,
        ("hilang.csv",),
    ),
    Case(
        "cfg-mastodon-secret-missing",
        append_config('[channels.mastodon]\ntype = "mastodon"\nbase_url = "https://mastodon.social"'),
        ("channels", "check", "mastodon"),
        ("MASTODON_ACCESS_TOKEN", "channels.mastodon.access_token_env"),
        env_missing=("MASTODON_ACCESS_TOKEN",),
    ),
    Case(
        "cfg-token-pasted-as-env-name",
        append_config(TELEGRAM_WITH_PASTED_TOKEN),
        CHECK,
        ("outreach.toml:", "channels.telegram-humas.token_env", "TELEGRAM_BOT_TOKEN", ".env"),
        absent=(PASTED_TOKEN,),
    ),
    Case(
        "cfg-token-pasted-as-env-name-channels-check",
        append_config(TELEGRAM_WITH_PASTED_TOKEN),
        ("channels", "check"),
        ("outreach.toml:", "channels.telegram-humas.token_env"),
        absent=(PASTED_TOKEN,),
    ),
    Case(
        "cfg-token-pasted-as-env-name-run",
        publish_with_pasted_token,
        ("--now", "2026-12-01T09:05+07:00", "run", "--once"),
        ("outreach.toml:", "channels.telegram-humas.token_env"),
        absent=(PASTED_TOKEN,),
    ),
    Case(
        "cfg-hook-address-pasted-as-env-name",
        append_config(f'[channels.wa-staf]\ntype = "whatsapp_manual"\nnotify_webhook_url_env = "{PASTED_HOOK}"'),
        ("channels", "check", "wa-staf"),
        ("outreach.toml:", "channels.wa-staf.notify_webhook_url_env"),
        absent=(PASTED_HOOK, "q7Xk2mZ9pLw4"),
    ),
    # ---- catalogue files named in the config (check) -------------------------------------------
    Case("cat-bundled-bad-date", edit_bundled_csv("mulai", "kemarin"), CHECK, ("inovasi.csv:2:mulai",)),
    Case("cat-bundled-bad-id", edit_bundled_csv("id", "KTP Sehari!"), CHECK, ("inovasi.csv:2:id",)),
    # ---- catalogue import ----------------------------------------------------------------------
    Case(
        "cat-missing-required-column",
        write_extra_csv(
            "f.csv",
            lambda h, r: h.replace("nama;", "") + "\n" + r[0].split(";", 2)[0] + ";" + r[0].split(";", 2)[2] + "\n",
        ),
        imp("f.csv"),
        ("f.csv:1:nama",),
    ),
    Case(
        "cat-duplicate-ids",
        write_extra_csv("f.csv", lambda h, r: "\n".join([h, r[0], r[0]]) + "\n"),
        imp("f.csv"),
        ("f.csv:3:id",),
    ),
    Case(
        "cat-bad-date-text",
        write_extra_csv("f.csv", one_row_with("mulai", "besok pagi")),
        imp("f.csv"),
        ("f.csv:2:mulai",),
    ),
    Case(
        "cat-impossible-date",
        write_extra_csv("f.csv", one_row_with("mulai", "31/02/2026")),
        imp("f.csv"),
        ("f.csv:2:mulai",),
    ),
    Case("cat-xlsx-bad-date-cell", write_xlsx("f.xlsx", "mulai", 12.5), imp("f.xlsx"), ("f.xlsx:2:mulai",)),
    Case(
        "cat-xlsx-bad-date-text-cell",
        write_xlsx("f.xlsx", "selesai", "akhir tahun"),
        imp("f.xlsx"),
        ("f.xlsx:2:selesai",),
    ),
    Case(
        "cat-end-before-start",
        write_extra_csv(
            "f.csv",
            lambda h, r: (
                h + "\n" + edit_cell(edit_cell(r[0], h, "mulai", "2026-05-01"), h, "selesai", "2026-04-01") + "\n"
            ),
        ),
        imp("f.csv"),
        ("f.csv:2:selesai",),
    ),
    Case(
        "cat-neither-utf8-nor-windows-1252",
        write_extra_csv(
            "f.csv",
            lambda h, r: (
                (h + "\n" + edit_cell(r[0], h, "nama", "Café Layanan").replace("–", "-") + "\n")
                .encode("latin-1")
                .replace(b"\xe9", b"\x81")
            ),  # a byte Windows-1252 leaves undefined
        ),
        imp("f.csv"),
        ("f.csv:2", "UTF-8"),
    ),
    Case("cat-empty-file", write_file("f.csv", ""), imp("f.csv"), ("f.csv:1",)),
    Case("cat-header-only", write_extra_csv("f.csv", lambda h, r: h + "\n"), imp("f.csv"), ("f.csv:2",)),
    Case(
        "cat-1mb-cell",
        write_extra_csv("f.csv", one_row_with("ringkasan", "a" * 1_000_000)),
        imp("f.csv"),
        ("f.csv:2:ringkasan",),
    ),
    Case(
        "cat-xlsx-formula",
        write_xlsx("f.xlsx", "nama", '=CONCAT("KTP ", "Sehari")'),
        imp("f.xlsx"),
        ("f.xlsx:2:nama", "formula"),
    ),
    Case(
        "cat-bad-id-slug",
        write_extra_csv("f.csv", one_row_with("id", "KTP_sehari jadi")),
        imp("f.csv"),
        ("f.csv:2:id",),
    ),
    Case(
        "cat-bad-url",
        write_extra_csv("f.csv", one_row_with("tautan", "bukan alamat web")),
        imp("f.csv"),
        ("f.csv:2:tautan",),
    ),
    Case(
        "cat-unknown-column",
        write_extra_csv("f.csv", lambda h, r: h + ";warna\n" + r[0] + ";biru\n"),
        imp("f.csv"),
        ("f.csv:1:warna",),
    ),
    Case("cat-bad-status", write_extra_csv("f.csv", one_row_with("status", "oke")), imp("f.csv"), ("f.csv:2:status",)),
    Case(
        "cat-approved-without-approver",
        write_extra_csv("f.csv", one_row_with("disetujui_oleh", "")),
        imp("f.csv"),
        ("f.csv:2:disetujui_oleh",),
    ),
    Case(
        "cat-bad-hashtag",
        write_extra_csv("f.csv", one_row_with("tagar", "BandarLampung KTP!")),
        imp("f.csv"),
        ("f.csv:2:tagar",),
    ),
    Case(
        "cat-too-many-cells",
        write_extra_csv("f.csv", lambda h, r: h + "\n" + r[0] + ";lebih\n"),
        imp("f.csv"),
        ("f.csv:2",),
    ),
    Case(
        "cat-unclosed-quote",
        write_extra_csv("f.csv", lambda h, r: h + "\n" + r[0] + "\n" + r[1].replace(";", ';"', 1) + "\n"),
        imp("f.csv"),
        ("f.csv:3",),
    ),
    Case("cat-txt-file", write_file("f.txt", "id;nama\n"), imp("f.txt"), ("f.txt", ".txt")),
    Case("cat-file-not-found", lambda d: None, imp("hilang.csv"), ("hilang.csv",)),
    Case("cat-xlsx-not-a-workbook", write_file("f.xlsx", b"this is not a zip file"), imp("f.xlsx"), ("f.xlsx:1",)),
    Case("cat-yaml-not-list", write_file("f.yaml", "id: ktp-sehari-jadi\nnama: KTP\n"), imp("f.yaml"), ("f.yaml:1",)),
    Case("cat-yaml-syntax", write_file("f.yaml", "- id: ktp\n  nama: [KTP\n- id: x\n"), imp("f.yaml"), ("f.yaml:",)),
    Case("cat-yaml-item-not-mapping", write_file("f.yaml", "- ktp-sehari-jadi\n"), imp("f.yaml"), ("f.yaml:1",)),
    Case("cat-yaml-empty", write_file("f.yaml", ""), imp("f.yaml"), ("f.yaml:1",)),
    # ---- catalogue images (gambar): only real images inside the catalogue's folder --------------
    Case(
        "img-parent-traversal",
        write_extra_csv("f.csv", one_row_with("gambar", "../" * 40 + "etc/passwd")),
        imp("f.csv"),
        ("f.csv:2:gambar", "outside"),
    ),
    Case(
        "img-absolute-path",
        write_extra_csv("f.csv", one_row_with("gambar", "/etc/passwd")),
        imp("f.csv"),
        ("f.csv:2:gambar", "outside"),
    ),
    Case(
        "img-symlink-out",
        chain(
            symlink("poster.jpg", REPO / "config" / "catalogue" / "gambar" / "ktp-sehari-jadi.jpg"),
            write_extra_csv("f.csv", one_row_with("gambar", "poster.jpg")),
        ),
        imp("f.csv"),
        ("f.csv:2:gambar", "outside"),
    ),
    Case(
        "img-text-named-jpg",
        chain(write_file("x.jpg", "ini bukan gambar\n"), write_extra_csv("f.csv", one_row_with("gambar", "x.jpg"))),
        imp("f.csv"),
        ("f.csv:2:gambar", "not a JPEG, PNG, GIF or WebP image"),
    ),
    Case(
        "img-empty-file",
        chain(write_file("x.jpg", b""), write_extra_csv("f.csv", one_row_with("gambar", "x.jpg"))),
        imp("f.csv"),
        ("f.csv:2:gambar", "empty"),
    ),
    Case(
        "img-folder",
        chain(write_file("x.jpg/isi.txt", "folder"), write_extra_csv("f.csv", one_row_with("gambar", "x.jpg"))),
        imp("f.csv"),
        ("f.csv:2:gambar", "not a regular file"),
    ),
    Case(
        "img-missing",
        write_extra_csv("f.csv", one_row_with("gambar", "gambar/hilang.jpg")),
        imp("f.csv"),
        ("f.csv:2:gambar", "not found"),
    ),
    Case(
        "img-bundled-traversal",
        edit_bundled_csv("gambar", "../" * 40 + "etc/passwd"),
        CHECK,
        ("inovasi.csv:2:gambar", "outside"),
    ),
    # ---- hostile catalogue files ----------------------------------------------------------------
    Case(
        "cat-yaml-alias-bomb",
        write_file("f.yaml", alias_bomb(10)),
        imp("f.yaml"),
        ("f.yaml:1:nama", "a list where text belongs"),
    ),
    Case("cat-yaml-alias-huge-name", write_file("f.yaml", alias_bomb(6)), imp("f.yaml"), ("f.yaml:1:nama",)),
    Case(
        "cat-yaml-alias-repeats-innovation",
        write_file(
            "f.yaml",
            "inovasi:\n  - &satu\n"
            + "".join(f"    {line.strip()}\n" for line in YAML_ROW[2:].splitlines())
            + "  - *satu\n" * 2000,
        ),
        imp("f.yaml"),
        ("f.yaml:", "alias"),
    ),
    Case(
        "cat-yaml-python-object",
        write_file("f.yaml", YAML_ROW.replace("nama: Satu", "nama: !!python/object:os.system ls")),
        imp("f.yaml"),
        ("f.yaml:1:nama", "!!python/object:os.system"),
    ),
    Case(
        "cat-yaml-python-apply",
        write_file("f.yaml", YAML_ROW.replace("nama: Satu", "nama: !!python/object/apply:os.system [ls]")),
        imp("f.yaml"),
        ("f.yaml:1:nama",),
    ),
    Case(
        "cat-yaml-mapping-cell",
        write_file("f.yaml", YAML_ROW.replace("opd: Dinas", "opd: {nama: Dinas}")),
        imp("f.yaml"),
        ("f.yaml:1:opd",),
    ),
    Case(
        "cat-yaml-list-cell",
        write_file("f.yaml", YAML_ROW.replace("manfaat: Gratis.", "manfaat: [Gratis, Cepat]")),
        imp("f.yaml"),
        ("f.yaml:1:manfaat",),
    ),
    Case(
        "cat-yaml-nested-tagar",
        write_file("f.yaml", YAML_ROW + "  tagar: [KTP, [Satu, Dua]]\n"),
        imp("f.yaml"),
        ("f.yaml:1:tagar",),
    ),
    Case(
        "cat-yaml-yes-no-cell",
        write_file("f.yaml", YAML_ROW.replace("nama: Satu", "nama: yes")),
        imp("f.yaml"),
        ("f.yaml:1:nama",),
    ),
    Case(
        "cat-yaml-impossible-date",
        write_file("f.yaml", YAML_ROW + "  mulai: 2026-02-31\n"),
        imp("f.yaml"),
        ("f.yaml:1:mulai",),
    ),
    Case(
        "cat-yaml-duplicate-key",
        write_file("f.yaml", YAML_ROW + "  nama: Dua\n"),
        imp("f.yaml"),
        ("f.yaml:1:nama", "lines 2 and 7"),
    ),
    Case(
        "cat-yaml-escape-sequence",
        write_file("f.yaml", YAML_ROW.replace("nama: Satu", 'nama: "Sa\\e[2Jtu"')),
        imp("f.yaml"),
        ("f.yaml:1:nama", "U+001B"),
    ),
    Case(
        "cat-yaml-raw-control",
        write_file("f.yaml", YAML_ROW.replace("manfaat: Gratis.", "manfaat: Gratis\x07")),
        imp("f.yaml"),
        ("f.yaml:5", "U+0007"),
    ),
    Case(
        "cat-escape-sequence",
        write_extra_csv("f.csv", one_row_with("nama", "KTP \x1b[2J\x1b]0,diretas\x07Sehari")),
        imp("f.csv"),
        ("f.csv:2:nama", "U+001B"),
    ),
    Case(
        "cat-c1-control",
        write_extra_csv("f.csv", one_row_with("kontak", "WhatsApp \x9b31m0812")),
        imp("f.csv"),
        ("f.csv:2:kontak", "U+009B"),
    ),
    Case(
        "cat-bidi-override",
        write_extra_csv("f.csv", one_row_with("ringkasan", "Unduh formulir\u202egpj.exe")),
        imp("f.csv"),
        ("f.csv:2:ringkasan", "U+202E"),
    ),
    Case(
        "cat-bidi-isolate",
        write_extra_csv("f.csv", one_row_with("opd", "Dinas \u2067Kesehatan\u2069")),
        imp("f.csv"),
        ("f.csv:2:opd", "U+2067"),
    ),
    Case(
        "cat-zero-width-space",
        write_extra_csv("f.csv", one_row_with("disetujui_oleh", "Rina\u200b Kusuma")),
        imp("f.csv"),
        ("f.csv:2:disetujui_oleh", "U+200B"),
    ),
    Case(
        "cat-xlsx-bidi-override",
        write_xlsx("f.xlsx", "nama", "KTP \u202eSehari"),
        imp("f.xlsx"),
        ("f.xlsx:2:nama", "U+202E"),
    ),
    Case("cat-xlsx-yes-no-cell", write_xlsx("f.xlsx", "manfaat", True), imp("f.xlsx"), ("f.xlsx:2:manfaat",)),
    Case(
        "cat-duplicate-column",
        write_extra_csv("f.csv", lambda h, r: h + ";nama\n" + r[0] + ";Nama Lain\n"),
        imp("f.csv"),
        ("f.csv:1:nama", "columns B and T"),
    ),
    Case(
        "cat-xlsx-duplicate-column",
        write_xlsx_rows("f.xlsx", lambda header, row: [["nama", *header], ["Nama Lama", *row]]),
        imp("f.xlsx"),
        ("f.xlsx:1:nama", "columns A and C"),
    ),
    Case(
        "cat-file-too-large",
        write_extra_csv("f.csv", lambda h, r: h + "\n" + (r[0] + "\n") * (MAX_FILE_BYTES // len(r[0]))),
        imp("f.csv"),
        ("f.csv:1", "over 20 MB"),
    ),
    # ---- templates -----------------------------------------------------------------------------
    Case("tpl-syntax-error", broken_template("Sudah tahu {{ innovation.nama ?\n"), CHECK, ("perkenalan.j2:1",)),
    Case("tpl-unclosed-block", broken_template("{% if innovation.nama %}\nhalo\n"), CHECK, ("perkenalan.j2",)),
    Case(
        "tpl-undefined-variable",
        broken_template("Halo\n{{ innovation.tidak_ada }}\n"),
        CHECK,
        ("perkenalan.j2", "line 2"),
    ),
    Case("tpl-undefined-name", broken_template("{{ penduduk }}\n"), CHECK, ("perkenalan.j2", "line 1")),
    Case("tpl-sandbox-mro", broken_template("{{ ''.__class__.__mro__ }}\n"), CHECK, ("perkenalan.j2",)),
    Case(
        "tpl-sandbox-globals",
        broken_template("{{ innovation.__class__.__init__.__globals__ }}\n"),
        CHECK,
        ("perkenalan.j2",),
    ),
    Case("tpl-missing-include", broken_template("{% include 'tidak-ada.j2' %}\n"), CHECK, ("perkenalan.j2",)),
    Case("tpl-folder-missing", prepend_config('templates = "tpl"'), CHECK, ("tpl", "templates")),
    # ---- the store path ------------------------------------------------------------------------
    Case(
        "cfg-store-is-the-config",
        replace_in_config('store = "../var/outreach.sqlite3"', 'store = "outreach.toml"'),
        CHECK,
        ("outreach.toml:", "store", "config file"),
    ),
    Case(
        "cfg-store-is-a-catalogue",
        replace_in_config('store = "../var/outreach.sqlite3"', 'store = "catalogue/inovasi.csv"'),
        CHECK,
        ("outreach.toml:", "store", "inovasi.csv"),
    ),
    Case(
        "cfg-empty",
        write_file("config/kosong.toml", ""),
        CHECK,
        ("kosong.toml", "nothing to check", "outreach.toml"),
        config="config/kosong.toml",
    ),
    Case(
        "cfg-no-campaigns",
        write_file("config/kanal.toml", '[channels.x]\ntype = "file"\nas = "x"\n'),
        CHECK,
        ("kanal.toml", "nothing to check", "campaigns"),
        config="config/kanal.toml",
    ),
    # ---- db backup -----------------------------------------------------------------------------
    Case("backup-onto-the-live-store", lambda d: None, ("db", "backup", "{d}/var/outreach.sqlite3"), ("live store",)),
    Case(
        "backup-onto-the-live-store-by-symlink",
        lambda d: (d / "cadangan.sqlite3").symlink_to(d / "var" / "outreach.sqlite3"),
        ("db", "backup", "{d}/cadangan.sqlite3"),
        ("cadangan.sqlite3", "live store"),
    ),
    Case(
        "backup-onto-the-live-wal",
        lambda d: None,
        ("db", "backup", "{d}/var/outreach.sqlite3-wal"),
        ("outreach.sqlite3-wal", "live store"),
    ),
    Case(
        "backup-missing-folder",
        lambda d: None,
        ("db", "backup", "{d}/tidak-ada/cadangan.sqlite3"),
        ("tidak-ada", "does not exist"),
    ),
    Case("backup-into-proc", lambda d: None, ("db", "backup", "/proc/cadangan.sqlite3"), ("/proc/cadangan.sqlite3",)),
    Case("backup-onto-a-device", lambda d: None, ("db", "backup", "/dev/full"), ("/dev/full", "not a regular file")),
    Case(
        "backup-over-a-text-file",
        write_file("catatan.txt", "catatan rapat\n"),
        ("db", "backup", "{d}/catatan.txt"),
        ("catatan.txt", "not an outreach backup"),
    ),
    # ---- operator input ------------------------------------------------------------------------
    Case("post-id-too-large", lambda d: None, ("post", "show", str(10**23)), ("POST_ID", str(10**23))),
    Case("post-id-too-large-cancel", lambda d: None, ("post", "cancel", str(10**23)), ("POST_ID",)),
    Case(
        "post-id-too-large-resolve", lambda d: None, ("post", "resolve", str(10**23), "--not-published"), ("POST_ID",)
    ),
    Case("now-year-1", lambda d: None, ("--now", "0001-01-01T00:00+07:00", "preview", "--days", "1"), ("--now",)),
    Case("now-year-9999", lambda d: None, ("--now", "9999-12-31T23:00+07:00", "plan"), ("--now",)),
    Case("from-year-9999", lambda d: None, ("preview", "--from", "9999-12-30"), ("--from",)),
    Case("history-to-year-9999", lambda d: None, ("history", "--to", "9999-12-31"), ("--to",)),
    Case(
        "approve-by-empty",
        lambda d: None,
        ("catalogue", "approve", "surat-pengantar-kelurahan-wa", "--by", ""),
        ("--by",),
    ),
    Case(
        "reject-reason-blank",
        lambda d: None,
        ("catalogue", "reject", "bank-sampah-jemput", "--by", "Rina", "--reason", "   "),
        ("--reason",),
    ),
    Case("pause-reason-empty", lambda d: None, ("pause", "--reason", ""), ("--reason",)),
    Case("cancel-reason-empty", lambda d: None, ("post", "cancel", "1", "--reason", ""), ("--reason",)),
    Case(
        "resolve-published-javascript",
        lambda d: None,
        ("post", "resolve", "1", "--published", "javascript:alert(1)"),
        ("--published", "https://"),
    ),
    Case(
        "confirm-url-not-web",
        lambda d: None,
        ("post", "confirm", "1", "--url", "file:///etc/passwd"),
        ("--url", "https://"),
    ),
    Case(
        "lint-text-latin1",
        write_file("draf.txt", "Kafe Caf\xe9 buka.\nSemua warga datang.\n".encode("latin-1")),
        ("lint-text", "{d}/draf.txt"),
        ("draf.txt:1", "UTF-8"),
    ),
    # A template's rendering is bounded in time and size: each case below would otherwise keep
    # `check` busy for minutes, or fill memory.
    Case(
        "tpl-huge-power", broken_template("Halo\n{{ 7**(10**9) }}\n"), CHECK, ("perkenalan.j2", "line 2", "too large")
    ),
    Case(
        "tpl-huge-repetition", broken_template("{{ 'x' * 10**9 }}\n"), CHECK, ("perkenalan.j2", "line 1", "too large")
    ),
    Case(
        "tpl-nested-loops",
        broken_template(
            "{{ innovation.nama }}\n{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}\n"
        ),
        CHECK,
        ("perkenalan.j2", "line 2", "more than 1,000 times"),
    ),
    Case(
        "tpl-endless-recursion",
        broken_template(  # 2**40 calls, only 40 deep, no loop
            "{{ innovation.nama }}\n{% macro dua(n) %}{% if n %}{{ dua(n - 1) }}{{ dua(n - 1) }}{% endif %}{% endmacro %}"
            "{{ dua(40) }}\n"
        ),
        CHECK,
        ("perkenalan.j2", "line 2", "took longer than"),
    ),
    Case(
        "tpl-growing-list",
        broken_template("{% set daftar = [1] %}\n{% for i in range(40) %}{{ daftar.extend(daftar) }}{% endfor %}\n"),
        CHECK,
        ("perkenalan.j2", "line 2", "longer than 100,000"),
    ),
    Case(
        "tpl-huge-output",
        broken_template(
            "{{ innovation.nama }}\n{% for a in range(1000) %}\n{{ innovation.ringkasan * 10 }}\n{% endfor %}\n"
        ),
        CHECK,
        ("perkenalan.j2", "line 3", "characters"),
    ),
]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "config", tmp_path / "config")
    # Catalogue files written beside it find their images, as the bundled one does.
    shutil.copytree(REPO / "config" / "catalogue" / "gambar", tmp_path / "gambar")
    result = invoke(tmp_path, "check")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "var" / "outreach.sqlite3").is_file()
    return tmp_path


def _fix_args(d: Path, args: tuple[str, ...]) -> list[str]:
    if args[:2] == ("catalogue", "import"):
        return [*args[:2], str(d / args[2])]
    return [arg.replace("{d}", str(d)) for arg in args]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_bad_input(case: Case, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in case.env_missing:
        monkeypatch.delenv(name, raising=False)
    before = store_digest(workdir)
    assert before
    case.mutate(workdir)
    config = workdir / case.config if case.config else None
    result = invoke(workdir, *_fix_args(workdir, case.args), config=config)
    output = result.output
    assert result.exit_code != 0, output
    assert result.exit_code in (1, 2), (result.exit_code, repr(result.exception))
    assert "Traceback" not in output
    assert "report it" not in output, output  # the CLI's wording for an error it did not foresee
    for needle in case.expect:
        assert needle in output, f"{needle!r} not in:\n{output}"
    for secret in case.absent:
        assert secret not in output, f"{secret!r} repeated in:\n{output}"
    problem_lines = [
        line
        for line in output.splitlines()
        if line.strip() and "problems" not in line and "problem in" not in line and not line.endswith(": 1 problem")
    ]
    assert store_digest(workdir) == before, "the store changed"
    # One message: one line, or one row's problems listed under one heading.
    places = {":".join(line.split(":")[:2]) for line in problem_lines}
    if len(places) != 1 or len(output) > 4000:
        raise NotOneMessage(f"expected one message, got {len(problem_lines)} lines:\n{output[:3000]}")


# ---- property tests ----------------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from outreach.catalogue import CatalogueErrors, import_files  # noqa: E402
from outreach.errors import ConfigError  # noqa: E402
from outreach.model import Innovation  # noqa: E402
from outreach.render import CampaignView, PostTooLong  # noqa: E402

CELL = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
COLUMNS = ["id", "nama", "opd", "ringkasan", "manfaat", "cara_akses", "tautan", "tagar", "mulai", "selesai", "status"]
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory):
    from outreach.app import Workspace
    from outreach.clock import FixedClock
    from outreach.config import load_config

    d = tmp_path_factory.mktemp("prop")
    shutil.copytree(REPO / "config", d / "config")
    shutil.copytree(REPO / "config" / "catalogue" / "gambar", d / "gambar")
    ws = Workspace(load_config(config_file(d)), FixedClock(NOW))
    ws.planning.catalogue()
    yield d, ws
    ws.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(column=st.sampled_from(COLUMNS), value=CELL, extra=st.sampled_from(["", "\n", ";", '"']))
def test_catalogue_import_only_raises_catalogue_errors(workspace, column: str, value: str, extra: str) -> None:
    d, ws = workspace
    header, rows = good_rows(d)
    names = header.split(";")
    buffer = io.StringIO()
    import csv

    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(names)
    cells = rows[0].split(";")
    cells[names.index(column)] = value + extra
    writer.writerow(cells)
    target = d / "prop.csv"
    target.write_text(buffer.getvalue(), encoding="utf-8")
    before = store_digest(d)
    try:
        import_files(ws.store, [target], NOW)
    except CatalogueErrors as error:
        assert error.problems and all(str(target) in problem for problem in error.problems)
        assert store_digest(d) == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    nama=CELL,
    ringkasan=st.text(max_size=600),
    manfaat=st.text(max_size=300),
    tagar=st.lists(st.from_regex(r"[A-Za-z0-9]{1,20}", fullmatch=True), max_size=8),
    kind=st.sampled_from(["perkenalan", "cara_pakai", "manfaat", "pengingat"]),
)
def test_renderer_fits_x_or_raises_config_error(workspace, nama, ringkasan, manfaat, tagar, kind) -> None:
    _, ws = workspace
    innovation = Innovation(
        id="uji",
        nama=nama or "Uji",
        opd="Dinas Uji",
        ringkasan=ringkasan,
        manfaat=manfaat,
        cara_akses="Datang | Bawa KTP",
        tautan="https://bandarlampungkota.go.id/uji",
        tagar=tuple(tagar),
    )
    view = ws.channel_view("x")
    try:
        post = ws.renderer.render(innovation, kind, view, CampaignView("kenali-inovasi", "k"), NOW)
    except (PostTooLong, ConfigError):
        return
    assert post.length <= post.limit <= 280


def test_a_store_that_cannot_be_opened_is_one_clear_line(tmp_path: Path) -> None:
    for store, expected in (
        ("mysql://kominfo@db/outreach", "No module named"),  # with a password it is refused before (test_store_engines)
        ("/proc/tidak-bisa/outreach.sqlite3", "cannot create its folder"),
        ("/proc/outreach.sqlite3", "unable to open database file"),
    ):
        config = tmp_path / "outreach.toml"
        config.write_text(f'store = "{store}"\n', encoding="utf-8")
        result = CliRunner().invoke(cli, ["--config", str(config), "status"])
        assert result.exit_code == 1
        assert result.output.startswith("Error: store ") and expected in result.output
        assert "set 'store' in the config" in result.output and "Traceback" not in result.output
        assert "rahasia" not in result.output


def test_a_pasted_token_is_not_repeated_by_the_debug_traceback_either(workdir: Path) -> None:
    """pydantic's own error text would quote the input; --debug must not bring it back."""
    append_config(TELEGRAM_WITH_PASTED_TOKEN)(workdir)
    before = store_digest(workdir)
    result = invoke(workdir, "--debug", "channels", "check")
    assert PASTED_TOKEN not in result.output and "AAHpasted" not in result.output, result.output
    assert result.exit_code == 1 and "Traceback" in result.output
    assert "channels.telegram-humas.token_env: must be the name of an environment variable" in result.output
    assert store_digest(workdir) == before
