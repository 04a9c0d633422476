"""Benchmark of the plain-language checker: 10,000 realistic posts in under 2 seconds.

Run:  python bench/bench_plainlang.py [--posts N] [--seed S]

Posts are built from template-like sentences about varied Bandar Lampung innovations (with
lists, links, hashtags, emoji, times and amounts, and now and then an acronym or a
bureaucratic word). The checker's time is compared with a bare ``re.findall(r"\\w+", text)``
word split over the same posts, measured in the same run, so the ratio is comparable between
machines. The glossary is loaded (and its regexes compiled) once, outside the timed loop.
Every post is checked as a how-to post ("cara_pakai"), the kind with the most work.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from outreach.plainlang import Glossary, check_text

TARGET_SECONDS = 2.0

INNOVATIONS = [
    ("Jemput Bola Akta Kelahiran", "Dinas Kependudukan dan Pencatatan Sipil (Disdukcapil)", "akta kelahiran"),
    ("Bank Sampah Digital", "Dinas Lingkungan Hidup (DLH)", "tabungan sampah"),
    ("Puskesmas Keliling", "Dinas Kesehatan", "periksa kesehatan gratis"),
    ("Izin Usaha Sehari Jadi", "Mal Pelayanan Publik (MPP)", "izin usaha"),
    ("Bus Sekolah Gratis", "Dinas Perhubungan", "bus sekolah"),
    ("Lapor Jalan Rusak", "Dinas Pekerjaan Umum", "laporan jalan berlubang"),
    ("Posyandu Online", "kelurahan", "jadwal timbang balita"),
    ("Bayar PBB Lewat HP", "Badan Pendapatan Daerah (Bapenda)", "bayar pajak tanah dan bangunan"),
    ("KTP Elektronik Keliling", "Disdukcapil", "perekaman KTP elektronik"),
    ("Angkot Ramah Lansia", "Dinas Perhubungan", "kursi prioritas di angkot"),
    ("Air Bersih Keliling", "Perusahaan Daerah Air Minum", "air bersih saat kemarau"),
    ("Bantuan Sosial Tepat Sasaran", "Dinas Sosial", "cek penerima bantuan sosial"),
]
PLACES = [
    "Kelurahan Way Halim",
    "Kecamatan Kedaton",
    "Jl. Raden Intan No. 5",
    "Kel. Sukarame",
    "Lapangan Saburai",
    "Pasar Tugu",
    "Kecamatan Panjang",
    "Taman Gajah, Enggal",
]
DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"]
MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober"]
EMOJI = ["📢", "📍", "🕗", "✅", "🎉", "💧", "🚌", "🩺", "♻️", "👍🏽"]
TAGS = [
    "#BandarLampung",
    "#LayananPublik",
    "#InovasiDaerah",
    "#BandarLampungSehat",
    "#KotaTapis",
    "#WargaBalam",
    "#PemkotBalam",
]
EXTRAS = [
    "Layanan ini hadir dalam rangka memudahkan warga.",
    "Informasi terkait jadwal bisa dilihat di kantor kelurahan.",
    "Warga diimbau membawa KTP asli.",
    "Pemkot Bandar Lampung terus menambah layanan.",
    "SEMUA LAYANAN GRATIS TANPA PUNGUTAN.",
    "Ada keluhan? Sampaikan lewat SP4N-LAPOR! (kanal pengaduan nasional).",
    "Penerima PKH bisa mengecek namanya di kantor kelurahan.",
    "",
    "",
    "",
]


def make_post(rng: random.Random) -> str:
    """One post of 2-12 short lines, like the renderer's output."""
    name, office, what = rng.choice(INNOVATIONS)
    place = rng.choice(PLACES)
    day = rng.choice(DAYS)
    date = f"{day}, {rng.randint(1, 28)} {rng.choice(MONTHS)} 2026"
    hour = f"{rng.randint(7, 10):02d}.{rng.choice(['00', '30'])}"
    lines = [f"{rng.choice(EMOJI)} {name}", ""]
    lines.append(f"Kini warga bisa mengurus {what} lebih mudah. {office} membuka layanan ini untuk semua warga.")
    style = rng.random()
    if style < 0.35:
        lines += [
            "",
            "Caranya:",
            f"1. Datang ke {place} pada {date}.",
            "2. Bawa KTP asli dan fotokopi Kartu Keluarga (KK).",
            f"3. Ambil nomor antrean mulai pukul {hour} WIB.",
        ]
    elif style < 0.7:
        lines += [
            "",
            f"📍 {place}",
            f"🕗 {date}, pukul {hour} WIB",
            f"💰 Biaya: Rp{rng.randint(0, 50) * 1000:,}".replace(",", "."),
        ]
    else:
        link = f"https://layanan.bandarlampungkota.go.id/{name.split()[0].lower()}?hari={day.lower()}"
        count = f"{rng.randint(100, 9999):,}".replace(",", ".")
        lines.append(f"Pengguna aplikasi cukup membuka {link} lalu memilih jadwal. Sudah {count} warga mendaftar!")
    extra = rng.choice(EXTRAS)
    if extra:
        lines += ["", extra]
    lines += ["", "Info: layanan.bandarlampungkota.go.id atau WA 0811-7200-112 🙏"]
    lines.append(" ".join(rng.sample(TAGS, rng.randint(2, 7))))
    return "\n".join(lines)


def main() -> None:
    """Generate the posts, time the checker and the baseline, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    posts = [make_post(rng) for _ in range(args.posts)]
    platforms = ["x", "facebook", "instagram", "telegram", "mastodon", "bluesky", "webhook", "whatsapp"]

    t0 = time.perf_counter()
    glossary = Glossary.load()
    load_seconds = time.perf_counter() - t0

    words = re.compile(r"\w+")
    t0 = time.perf_counter()
    for post in posts:
        words.findall(post)
    baseline = time.perf_counter() - t0

    t0 = time.perf_counter()
    findings = 0
    for i, post in enumerate(posts):
        report = check_text(post, glossary=glossary, platform=platforms[i % len(platforms)], kind="cara_pakai")
        findings += len(report.findings)
    wall = time.perf_counter() - t0

    chars = sum(map(len, posts)) / len(posts)
    print(f"plain-language checker: {len(posts)} posts, {chars:.0f} characters each on average")
    print(f"glossary load + compile: {load_seconds * 1000:.1f} ms (once, not in the timings below)")
    print(f"{'run':<28} {'posts':>7} {'wall (s)':>9} {'posts/s':>10} {'ratio':>7}")
    baseline_name = r"baseline re.findall(\w+)"
    print(f"{baseline_name:<28} {len(posts):>7} {baseline:>9.3f} {len(posts) / baseline:>10.0f} {1:>7.1f}")
    print(f"{'check_text':<28} {len(posts):>7} {wall:>9.3f} {len(posts) / wall:>10.0f} {wall / baseline:>7.1f}")
    scaled = wall * 10_000 / len(posts)
    verdict = "met" if scaled < TARGET_SECONDS else "NOT met"
    print(f"findings: {findings}")
    print(f"target 10,000 posts < {TARGET_SECONDS:.0f} s: {verdict} ({scaled:.2f} s per 10,000 posts)")


if __name__ == "__main__":
    main()
