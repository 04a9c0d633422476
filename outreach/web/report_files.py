"""The whole evidence report as a download, made by ``outreach report`` in a child process and sent from its file.

Assembling a year's report holds every post, reading and innovation at once (~140 MB at its peak, and a
Python process keeps most of what it once held). The server would carry that for the rest of its life, once
per concurrent download; a child process gives it all back when it exits, so the server stays small. The
child is the CLI itself with the server's configuration, clock and language, so a download is the very
file ``outreach report`` writes; the agency is passed as the page decided it (an approver's own).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from werkzeug.exceptions import InternalServerError, ServiceUnavailable

from ..i18n import _, current_language

log = logging.getLogger(__name__)

#: Reports made at once (each child peaks at ~140 MB for a year of posts); one more is refused, not queued: a
#: download waiting its turn would hold one of the server's few threads for seconds, and the pages behind it wait.
AT_ONCE = threading.BoundedSemaphore(2)
#: What a refused download is told to wait (``Retry-After``), about the time a year's report takes.
RETRY_AFTER_SECONDS = 60
#: A child still at work after this is stopped (a year's report takes seconds): a hung one would otherwise keep
#: its slot for good, and with both slots held every download would be refused.
CHILD_TIMEOUT_SECONDS = 600.0
#: How much of the file each read carries, where the WSGI server has no file wrapper of its own.
CHUNK = 64 * 1024
#: The child runs the CLI's entry point (the package has no ``__main__``), at a lower CPU priority: seconds of
#: report on a year must not take the cores from the pages and the daemon publishing beside them.
CHILD_NICENESS = 10
_ENTRY = f"import os; os.nice({CHILD_NICENESS}); from outreach.cli import main; main()"


@dataclass(frozen=True)
class ReportJob:
    """One report to make: the configuration, the moment it is made at, the period, the agency and the format."""

    config: Path
    now: datetime
    start: date
    end: date
    agency: str | None
    kind: str

    def command(self, output: Path) -> list[str]:
        """``outreach --config … --now … report …`` as the child runs it."""
        line = [sys.executable, "-c", _ENTRY, "--config", str(self.config), "--now", self.now.isoformat()]
        line += ["--language", current_language(), "report", "--from", self.start.isoformat()]
        line += ["--to", self.end.isoformat(), "--format", self.kind, "--output", str(output)]
        return [*line, "--opd", self.agency] if self.agency else line


def make_report(job: ReportJob, folder: Path, environ: dict[str, str]) -> Path:
    """The report written by the child into ``folder``; a failure is logged with the child's words and is the
    server's error (500): the page checked the period and the agency before asking. With both slots taken the
    answer is 503 at once, with ``Retry-After``."""
    output = folder / f"laporan.{job.kind}"
    if not AT_ONCE.acquire(blocking=False):
        message = _("A report is being made for someone else right now. Please try again in a minute.")
        raise ServiceUnavailable(message, retry_after=RETRY_AFTER_SECONDS)
    try:
        done = subprocess.run(
            job.command(output), env=environ, capture_output=True, text=True, check=False, timeout=CHILD_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        log.error("outreach report was stopped after %.0f s without finishing", CHILD_TIMEOUT_SECONDS)
        raise InternalServerError(_("The report could not be made; the server's log says why.")) from None
    finally:
        AT_ONCE.release()
    if done.returncode != 0 or not output.exists():
        log.error("outreach report failed (%s): %s", done.returncode, done.stderr.strip()[-2000:])
        raise InternalServerError(_("The report could not be made; the server's log says why."))
    return output


def open_report(job: ReportJob, environ: Mapping[str, str]) -> BinaryIO:
    """The report, open for reading, made before the first byte (so a failure is still an error page).
    ``environ``: the configuration's variables (``.env``), added to the server's own for the child.

    Its temporary folder is gone already (the open file stays readable until closed), so nothing is left
    behind however the download ends. The caller hands the file to the WSGI server's file wrapper, which sends
    it from the file a socket buffer at a time: copied through Python in chunks, waitress's output buffers
    held ~10 MB of a year's report at once."""
    folder = Path(tempfile.mkdtemp(prefix="outreach-laporan-"))
    try:
        return make_report(job, folder, {**os.environ, **environ}).open("rb")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
