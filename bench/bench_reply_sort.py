"""Benchmark of reply sorting: 100,000 citizens' replies sorted in at most 5 seconds (#15).

Run:  python bench/bench_reply_sort.py [--replies N] [--runs R] [--seed S]

The replies are the labelled corpus (``tests/data/replies_corpus.tsv``) varied the way people write:
capitals, a letter held down ("tolonggg"), short forms swapped in (yang → yg, tidak → gak), another
kecamatan named, a greeting or emoji added, a typo, now and then two replies in one. Nearly every
generated text is different. Each run sorts them all with a freshly loaded ``ReplyRules`` (its word
cache starts empty), as the collector's first run after a start would. Two baselines over the same
texts, measured in the same run: ``str.lower`` (the least any sorter must do) and the rules'
normalisation alone (``ReplyRules.normalise``: the share that is not matching).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import time
from collections import Counter

from _common import KECAMATAN, REPO, median, print_machine, print_table, verdict

from outreach.reply_rules import load_rules

TARGET_SECONDS = 5.0
CORPUS = REPO / "tests" / "data" / "replies_corpus.tsv"
SHORT_FORMS = {
    "yang": "yg",
    "tidak": "gak",
    "saya": "sy",
    "bagaimana": "gmn",
    "berapa": "brp",
    "sudah": "udh",
    "terima kasih": "makasih",
    "kapan": "kpn",
    "di mana": "dmn",
    "bisa": "bs",
    "untuk": "utk",
}
OPENINGS = ["", "", "", "min, ", "kak ", "Assalamualaikum, ", "pak ", "@pemkot_balam ", "Halo admin "]
ENDINGS = ["", "", "", " 🙏", " 😡", "!!!", "??", " #BandarLampung", " min", " 👍🏽", " ya kak", " tq"]


def vary(text: str, rng: random.Random, others: list[str]) -> str:
    """One way a person might have written ``text``."""
    for full, short in SHORT_FORMS.items():
        if full in text and rng.random() < 0.5:
            text = text.replace(full, short)
    for place in KECAMATAN:
        if place in text:
            text = text.replace(place, rng.choice(KECAMATAN))
            break
    words = text.split()
    if words and rng.random() < 0.4:  # a letter held down
        at = rng.randrange(len(words))
        words[at] = words[at] + words[at][-1] * rng.randint(2, 5)
    if words and rng.random() < 0.2:  # a typo: one letter dropped
        at = rng.randrange(len(words))
        if len(words[at]) > 3:
            cut = rng.randrange(len(words[at]))
            words[at] = words[at][:cut] + words[at][cut + 1 :]
    text = " ".join(words)
    style = rng.random()
    if style < 0.15:
        text = text.upper()
    elif style < 0.3:
        text = text.lower()
    if rng.random() < 0.05:
        text = text + " " + rng.choice(others)
    return rng.choice(OPENINGS) + text + rng.choice(ENDINGS) + (f" {rng.randint(1, 99)}" if rng.random() < 0.3 else "")


def main() -> None:
    """Generate the replies, time the sorting and the baselines, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()

    print_machine("bench_reply_sort: sorting citizens' replies")
    print("load average (1, 5, 15 min): " + " ".join(f"{load:.2f}" for load in os.getloadavg()))
    with CORPUS.open(encoding="utf-8", newline="") as file:
        corpus = [row["text"] for row in csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE)]
    rng = random.Random(args.seed)
    replies = [vary(rng.choice(corpus), rng, corpus) for _ in range(args.replies)]
    chars = sum(map(len, replies)) / len(replies)
    print(f"{len(replies):,} replies from {len(corpus)} corpus rows: {len(set(replies)):,} different texts,")
    print(f"{chars:.0f} characters each on average")

    t0 = time.perf_counter()
    load_rules()
    print(f"rules load + compile: {(time.perf_counter() - t0) * 1000:.1f} ms (once, not in the timings below)")

    lower, normalise, sort = [], [], []
    kinds: Counter[str] = Counter()
    for _run in range(args.runs):
        t0 = time.perf_counter()
        for reply in replies:
            reply.lower()
        lower.append(time.perf_counter() - t0)

        rules = load_rules()
        t0 = time.perf_counter()
        for reply in replies:
            rules.normalise(reply)
        normalise.append(time.perf_counter() - t0)

        rules = load_rules()  # an empty word cache again
        kinds.clear()
        t0 = time.perf_counter()
        for reply in replies:
            got = rules.sort(reply)
            kinds[got.kind + (" urgent" if got.urgent else "")] += 1
        sort.append(time.perf_counter() - t0)

    print("sorted as: " + ", ".join(f"{kind} {count:,}" for kind, count in sorted(kinds.items())))
    wall = median(sort)
    runs = " / ".join(f"{s:.2f}" for s in sort)
    scaled = wall * 100_000 / len(replies)
    print_table(
        ["measure (medians of the runs)", "measured", "target", "verdict"],
        [
            [f"baseline: str.lower over {len(replies):,} replies", f"{median(lower):.3f} s", "", ""],
            ["baseline: ReplyRules.normalise alone", f"{median(normalise):.3f} s", "", ""],
            [f"ReplyRules.sort (runs: {runs} s)", f"{wall:.3f} s", "", ""],
            ["ReplyRules.sort per 100,000 replies", f"{scaled:.3f} s", f"≤ {TARGET_SECONDS:.0f} s", verdict(scaled, 5)],
            ["ratio sort / str.lower", f"{wall / median(lower):.0f}×", "", ""],
            ["ratio sort / normalise", f"{wall / median(normalise):.2f}×", "", ""],
        ],
    )


if __name__ == "__main__":
    main()
