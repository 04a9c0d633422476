"""The plain-language checker against a labelled corpus of Bandar Lampung public-service posts.

Each problem case carries exactly one known problem; a hit is that code among the findings
(any severity). A clean case is a false alarm when any error is reported. Precision counts
every error finding: it is right when its code is the label of a problem case.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pytest

from outreach.plainlang import check_text

CORPUS = Path(__file__).parent / "data" / "plainlang_corpus.toml"
CODES = {"acronym", "jargon", "long_sentence", "opening", "shouting"}


def _cases() -> list[dict[str, str]]:
    return tomllib.loads(CORPUS.read_text(encoding="utf-8"))["case"]


def test_corpus_is_balanced_and_labelled() -> None:
    cases = _cases()
    labels = Counter(case["expect"] for case in cases)
    assert len(cases) >= 70
    assert set(labels) == CODES | {"clean"}
    clean_share = labels["clean"] / len(cases)
    assert 0.4 <= clean_share <= 0.6


def test_recall_and_false_alarms(capsys: pytest.CaptureFixture[str]) -> None:
    cases = _cases()
    misses: list[str] = []
    false_alarms: list[str] = []
    per_code: Counter[str] = Counter()
    per_code_hits: Counter[str] = Counter()
    true_errors = 0
    all_errors = 0
    for case in cases:
        report = check_text(case["text"])
        label = case["expect"]
        all_errors += len(report.errors)
        if label == "clean":
            if report.errors:
                false_alarms.append(f"{case['text']!r}: {[f.code + ':' + f.excerpt for f in report.errors]}")
            continue
        per_code[label] += 1
        true_errors += sum(1 for f in report.errors if f.code == label)
        if any(f.code == label for f in report.findings):
            per_code_hits[label] += 1
        else:
            misses.append(f"{label}: {case['text']!r} -> {[f.code for f in report.findings]}")

    problems = sum(per_code.values())
    clean = len(cases) - problems
    recall = sum(per_code_hits.values()) / problems
    false_alarm_rate = len(false_alarms) / clean
    precision = true_errors / all_errors if all_errors else 1.0
    with capsys.disabled():
        print(f"\nplain-language corpus: {len(cases)} cases, {problems} with a problem, {clean} clean")
        for code in sorted(per_code):
            print(f"  {code:<14} recall {per_code_hits[code]}/{per_code[code]}")
        print(f"  recall {recall:.3f}  precision {precision:.3f}  false alarms {false_alarm_rate:.3f}")
        for line in misses + false_alarms:
            print(f"  ! {line}")
    assert recall >= 0.95, misses
    assert false_alarm_rate <= 0.05, false_alarms
