"""Files to download made in a child process and sent from the file it wrote: the whole evidence report (by
``outreach report``) and the calendar's ICS feed (by ``outreach calendar --format ics``).

Assembling a year's report holds every post, reading and innovation at once (~140 MB at its peak); a month's
feed builds its 8,000 posts' events batch by batch (~11 MB more while it is written, and the feeds of several
people at once add up). A Python process keeps much of what it once held: the server would carry that for the
rest of its life, once per concurrent download; a child process gives it all back when it exits, so the server
stays small. The child is the CLI itself with the server's configuration, clock and language, so a download is
the very file the command writes; the agency is passed as the page decided it (an approver's own).
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
from typing import BinaryIO, Protocol

from flask import Response, request
from werkzeug.exceptions import InternalServerError, ServiceUnavailable
from werkzeug.wsgi import wrap_file

from ..i18n import _, current_language
from . import waiting_elsewhere

log = logging.getLogger(__name__)

#: Reports made at once (each child peaks at ~140 MB for a year of posts); one more is refused, not queued: a
#: download waiting its turn would hold one of the server's few threads for seconds, and the pages behind it wait.
AT_ONCE = threading.BoundedSemaphore(2)
#: Calendar feeds made at once (a month's takes ~3 s and its child peaks at ~100 MB), apart from the reports' slots.
FEEDS_AT_ONCE = threading.BoundedSemaphore(2)
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


class ChildJob(Protocol):
    """A file a child process makes: its command, its file's name, its slots and what a person is told."""

    @property
    def file_name(self) -> str:
        """The file's name in the child's temporary folder."""

    @property
    def label(self) -> str:
        """What the server's log calls it."""

    def command(self, output: Path) -> list[str]: ...

    def slots(self) -> threading.BoundedSemaphore: ...

    def busy(self) -> str: ...

    def failed(self) -> str: ...


def _outreach(config: Path, now: datetime) -> list[str]:
    """``outreach --config … --now … --language …`` as the child runs it: the server's own configuration,
    clock and the reader's language."""
    line = [sys.executable, "-c", _ENTRY, "--config", str(config), "--now", now.isoformat()]
    return [*line, "--language", current_language()]


@dataclass(frozen=True)
class ReportJob:
    """One report to make: the configuration, the moment it is made at, the period, the agency and the format."""

    config: Path
    now: datetime
    start: date
    end: date
    agency: str | None
    kind: str
    label = "outreach report"

    @property
    def file_name(self) -> str:
        return f"laporan.{self.kind}"

    def command(self, output: Path) -> list[str]:
        """``outreach … report …`` as the child runs it."""
        line = [*_outreach(self.config, self.now), "report", "--from", self.start.isoformat()]
        line += ["--to", self.end.isoformat(), "--format", self.kind, "--output", str(output)]
        return [*line, "--opd", self.agency] if self.agency else line

    def slots(self) -> threading.BoundedSemaphore:
        return AT_ONCE

    def busy(self) -> str:
        return _("A report is being made for someone else right now. Please try again in a minute.")

    def failed(self) -> str:
        return _("The report could not be made; the server's log says why.")


@dataclass(frozen=True)
class FeedJob:
    """The calendar's feed of a month, or of the days from ``first`` to ``last``, and the agency (None: every
    one; "": an agency head without one, who sees only the office's announcements)."""

    config: Path
    now: datetime
    month: date | None
    first: date
    last: date
    agency: str | None
    file_name = "kalender.ics"
    label = "outreach calendar"

    def command(self, output: Path) -> list[str]:
        """``outreach … calendar --format ics …`` as the child runs it."""
        line = [*_outreach(self.config, self.now), "calendar", "--format", "ics", "--output", str(output)]
        if self.month is not None:
            line += ["--month", f"{self.month:%Y-%m}"]
        else:
            line += ["--from", self.first.isoformat(), "--to", self.last.isoformat()]
        return line if self.agency is None else [*line, "--opd", self.agency]

    def slots(self) -> threading.BoundedSemaphore:
        return FEEDS_AT_ONCE

    def busy(self) -> str:
        return _("Calendar files are being made for others right now. Please try again in a minute.")

    def failed(self) -> str:
        return _("The calendar file could not be made; the server's log says why.")


def make_file(job: ChildJob, folder: Path, environ: dict[str, str]) -> Path:
    """The file written by the child into ``folder``; a failure is logged with the child's words and is the
    server's error (500): the page checked what it asks for before asking. With the job's slots taken the
    answer is 503 at once, with ``Retry-After``."""
    output = folder / job.file_name
    slots = job.slots()
    if not slots.acquire(blocking=False):
        raise ServiceUnavailable(job.busy(), retry_after=RETRY_AFTER_SECONDS)
    try:
        with waiting_elsewhere():  # the pages are served meanwhile
            done = subprocess.run(
                job.command(output),
                env=environ,
                capture_output=True,
                text=True,
                check=False,
                timeout=CHILD_TIMEOUT_SECONDS,
            )
    except subprocess.TimeoutExpired:
        log.error("%s was stopped after %.0f s without finishing", job.label, CHILD_TIMEOUT_SECONDS)
        raise InternalServerError(job.failed()) from None
    finally:
        slots.release()
    if done.returncode != 0 or not output.exists():
        log.error("%s failed (%s): %s", job.label, done.returncode, done.stderr.strip()[-2000:])
        raise InternalServerError(job.failed())
    return output


def send_made(job: ChildJob, environ: Mapping[str, str], name: str, mimetype: str) -> Response:
    """The job's file as a download named ``name``, made before the first byte (so a failure is still an error
    page). ``environ``: the configuration's variables (``.env``), added to the server's own for the child.

    Its temporary folder is gone already (the open file stays readable until closed), so nothing is left
    behind however the download ends. The file goes to the WSGI server's file wrapper, which sends it from the
    file a socket buffer at a time: copied through Python in chunks, waitress's output buffers held ~10 MB of a
    year's report at once."""
    folder = Path(tempfile.mkdtemp(prefix="outreach-download-"))
    try:
        made: BinaryIO = make_file(job, folder, {**os.environ, **environ}).open("rb")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Content-Length": str(os.fstat(made.fileno()).st_size),
    }
    body = wrap_file(request.environ, made, CHUNK)
    return Response(body, mimetype=mimetype, headers=headers, direct_passthrough=True)
