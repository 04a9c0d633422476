"""The ``outreach`` command line: thin commands that parse, call one stage, and print.

User mistakes surface as one clear line (no traceback) and a non-zero exit; ``--debug`` shows the
traceback. Heavy modules are imported inside commands so that ``outreach --help`` stays fast.
"""

from __future__ import annotations

import io
import json
import os
import sys
import traceback
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .i18n import _
from .platforms import PLATFORMS, POST_KINDS
from .textsafety import visible

if TYPE_CHECKING:
    from .app import Workspace
    from .model import Post
    from .operations import Move
    from .planning import Draft
    from .store import Store

DEFAULT_CONFIG = "config/outreach.toml"


class OutreachGroup(click.Group):
    """Turns outreach's own errors into one clear line; ``--debug`` keeps the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from .errors import OutreachError
        from .redaction import redact

        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            if error.ctx is None:
                raise
            # One line, like every other mistake, with where to read more (not click's usage block).
            one_line = click.UsageError(
                visible(
                    _("{problem} (see `{command} --help`)").format(
                        problem=error.format_message(), command=error.ctx.command_path
                    )
                )
            )
            raise one_line from None
        except (click.ClickException, click.Abort, click.exceptions.Exit):
            raise
        except BrokenPipeError:
            raise  # the reader went away (`outreach queue | head`): click ends quietly
        except Exception as error:
            if ctx.obj and ctx.obj.get("debug"):
                click.echo(visible(redact(traceback.format_exc())), err=True)
            if isinstance(error, OutreachError):  # it may quote a file's text: shown, never acted on
                raise click.ClickException(visible(redact(str(error)))) from None
            raise click.ClickException(
                visible(redact(f"unexpected {error.__class__.__name__}: {error}; run with --debug and report it"))
            ) from None


#: Years a clock or a date option may name: far enough from the ends of Python's calendar
#: (years 1 and 9999) that time zones, horizons and look-backs never run off it.
YEARS = range(2000, 2201)

#: Post ids are SQLite integers: 64-bit.
POST_ID = click.IntRange(1, 2**63 - 1)


def _out_of_years() -> str:
    return _("use a date between the years {first} and {last}").format(first=YEARS[0], last=YEARS[-1])


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("use ISO 8601, e.g. 2026-12-01T09:00+07:00"), param_hint="--now") from None
    if moment.year not in YEARS:
        raise click.BadParameter(_out_of_years(), param_hint="--now")
    return moment


def _day_in_years(_ctx: click.Context, _param: click.Parameter, value: datetime | None) -> datetime | None:
    """A --from/--to day, refused when it lies outside ``YEARS``."""
    if value is not None and value.year not in YEARS:
        raise click.BadParameter(_out_of_years())
    return value


def _not_blank(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A name or reason that is recorded: it must say something."""
    if value is not None and not value.strip():
        raise click.BadParameter(_("must not be empty"))
    return value.strip() if value is not None else None


def _web_address(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A post's public URL, as shown in reports: only an http(s) address with a host."""
    if value is None:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or any(ch.isspace() for ch in value.strip()):
        raise click.BadParameter(_("give the post's web address, e.g. https://x.com/kominfobdl/status/1234"))
    return value.strip()


@click.group(cls=OutreachGroup)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get("OUTREACH_CONFIG", DEFAULT_CONFIG),
    show_default=f"{DEFAULT_CONFIG} or $OUTREACH_CONFIG",
    help=_("The configuration file."),
)
@click.option("--debug", is_flag=True, help=_("Show tracebacks for errors."))
@click.option("--now", "now_text", metavar="ISO", help=_("Pretend it is this time (rehearsals and tests)."))
@click.version_option(package_name="outreach")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, debug: bool, now_text: str | None) -> None:
    """Publish a city's approved public-service innovations to social media, in plain Indonesian.

    Example: outreach --now 2026-12-01T09:00+07:00 preview --days 1
    """
    ctx.ensure_object(dict)
    ctx.obj.update(config_path=config_path, debug=debug, now=_parse_now(now_text))


def workspace(ctx: click.Context) -> Workspace:
    """The command's workspace, created once and closed when the command ends."""
    if "workspace" not in ctx.obj:
        from .app import Workspace
        from .clock import FixedClock
        from .config import load_config

        config = load_config(ctx.obj["config_path"])
        now = ctx.obj["now"]
        if now is not None and now.tzinfo is None:
            now = now.replace(tzinfo=config.timezone)

        def announce(store: Store) -> None:
            # One line on stderr, whatever the command: a new store where one was expected may mean it was lost.
            click.echo(
                _(
                    "created a new, empty store at {location} on {time}; slots up to this moment are never "
                    "planned or caught up — if a store was lost, stop now and restore a backup with "
                    "`outreach db restore` (docs/operations.md)"
                ).format(location=store.location, time=_zoned(store.created_at(), ctx.obj["workspace"])),
                err=True,
            )

        ctx.obj["announce"] = announce
        ctx.obj["workspace"] = Workspace(config, FixedClock(now) if now else None, on_new_store=announce)
        ctx.call_on_close(ctx.obj["workspace"].close)
    return ctx.obj["workspace"]


def _ws() -> Workspace:
    return workspace(click.get_current_context().find_root())


format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help=_("Output format."),
)


def _local(moment: datetime | None, ws: Workspace) -> str:
    return moment.astimezone(ws.zone).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _zoned(moment: datetime, ws: Workspace) -> str:
    """A moment in local time with the zone's abbreviation (WIB)."""
    from .render import ZONE_ABBREVIATIONS

    return f"{_local(moment, ws)} {ZONE_ABBREVIATIONS.get(ws.zone.key, ws.zone.key)}"


def _iso(moment: datetime | None, ws: Workspace) -> str | None:
    return moment.astimezone(ws.zone).isoformat() if moment else None


def _day_start(value: date, ws: Workspace) -> datetime:
    return datetime.combine(value, time(0, 0), tzinfo=ws.zone)


def _print_table(rows: list[list[str]], headers: list[str]) -> None:
    rows = [[visible(str(cell), line_breaks=False) for cell in row] for row in rows]
    widths = (
        [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
        if rows
        else [len(h) for h in headers]
    )
    for row in [headers, *rows]:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


def post_json(post: Post, ws: Workspace) -> dict[str, Any]:
    """The documented JSON shape of a post in the outbox (same keys as preview's, plus state)."""
    return {
        "id": post.id,
        "when": _iso(post.scheduled_at, ws),
        "campaign": post.campaign,
        "channel": post.channel,
        "innovation_id": post.innovation_id,
        "kind": post.kind,
        "text": post.text,
        "link": post.link,
        "image": post.image,
        "state": post.state.value,
        "attempts": post.attempts,
        "reason": post.reason,
        "remote_id": post.remote_id,
        "remote_url": post.remote_url,
        "published_at": _iso(post.published_at, ws),
    }


def draft_json(draft: Draft, ws: Workspace) -> dict[str, Any]:
    rendered = draft.rendered
    return {
        "id": draft.post_id,
        "when": _iso(draft.planned.when, ws),
        "campaign": draft.planned.campaign,
        "channel": draft.planned.channel,
        "innovation_id": draft.planned.innovation_id,
        "kind": draft.planned.kind,
        "text": rendered.text if rendered else None,
        "link": rendered.link if rendered else None,
        "image": str(rendered.image) if rendered and rendered.image else None,
        "length": rendered.length if rendered else None,
        "limit": rendered.limit if rendered else None,
        "warnings": draft.warnings(),
        "errors": [finding.label() for finding in draft.errors] + ([draft.error] if draft.error else []),
    }


# ---- preview, check, lint-text ---------------------------------------------------------------------


@cli.command()
@click.option(
    "--from", "start", type=click.DateTime(["%Y-%m-%d"]), callback=_day_in_years, help=_("First day (default: now).")
)
@click.option("--days", type=click.IntRange(1, 366), default=7, show_default=True)
@click.option("--campaign", help=_("Only this campaign."))
@click.option("--channel", help=_("Only this channel."))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def preview(start: datetime | None, days: int, campaign: str | None, channel: str | None, output_format: str) -> None:
    """Show every post that would go out, with its exact text and length; plans and publishes nothing.

    Example: outreach --now 2026-12-01T08:00+07:00 preview --days 7 --format json
    """
    ws = _ws()
    begin = _day_start(start.date(), ws) if start else ws.now()
    drafts = ws.planning.drafts(begin, days, campaign, channel)
    if output_format == "json":
        click.echo(json.dumps([draft_json(draft, ws) for draft in drafts], ensure_ascii=False, indent=2))
        return
    if not drafts:
        click.echo(
            _("No posts in this window. Check the campaign dates, slots and approvals (`outreach catalogue list`).")
        )
    for draft in drafts:
        planned = draft.planned
        length = draft.rendered.length_label if draft.rendered else "?"
        click.echo(
            visible(
                f"── {_local(planned.when, ws)} WIB · {planned.campaign} · {planned.channel} · "
                f"{planned.innovation_id} · {planned.kind} · {length}"
            )
        )
        click.echo(visible(draft.rendered.text if draft.rendered else f"ERROR: {draft.error}"))
        for warning in draft.warnings():
            click.echo(visible(f"  ! {warning}"))
        click.echo("")


@cli.command()
def check() -> None:
    """Validate config, catalogue and templates by rendering every approved innovation × kind × channel.

    Exit status 0 only when there is no problem.

    Example: outreach check
    """
    from .checks import check

    report = check(_ws().planning)
    for problem in report.problems:
        click.echo(visible(str(problem)))
    summary = _(
        "{entries} approved innovations × {kinds} kinds checked on {channels} channels: {problems} problems"
    ).format(entries=report.innovations, kinds=report.kinds, channels=report.channels, problems=len(report.problems))
    click.echo(summary)
    if report.problems:
        sys.exit(1)


@cli.command("lint-text")
@click.argument("source", type=click.File("rb"))
@click.option("--kind", type=click.Choice(POST_KINDS))
@click.option("--platform", type=click.Choice(PLATFORMS))
def lint_text(source: io.BufferedIOBase, kind: str | None, platform: str | None) -> None:
    """Check a draft text for plain Indonesian (FILE, or - for standard input); exit 1 on errors.

    Example: outreach lint-text draf-unggahan.txt   (or: echo "Dalam rangka ..." | outreach lint-text -)
    """
    from .plainlang import Glossary, check_text

    raw = source.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(
            _(
                "{file}:{line}: not UTF-8 text (byte {byte} cannot be read); save the file as UTF-8, "
                "e.g. in Notepad: File → Save As → Encoding: UTF-8"
            ).format(
                file=visible(str(source.name)),
                line=raw.count(b"\n", 0, error.start) + 1,
                byte=f"0x{raw[error.start]:02X}",
            )
        ) from None
    glossary_path = None
    config_path = click.get_current_context().find_root().obj["config_path"]
    if Path(config_path).is_file():
        glossary_path = _ws().config.glossary_path
    report = check_text(text, glossary=Glossary.load(glossary_path), kind=kind, platform=platform)
    line, counted = 1, 0
    for finding in report.findings:  # in text order: count each line break once
        line += text.count("\n", counted, finding.start)
        counted = finding.start
        excerpt = f" «{finding.excerpt}»" if finding.excerpt else ""
        click.echo(
            visible(
                f"{line}: {finding.severity}: {finding.message}{excerpt}"
                + (f" — {finding.suggestion}" if finding.suggestion else "")
            )
        )
    stats = report.stats
    click.echo(
        _(
            "{sentences} sentences, {words} words, {average:.1f} words per sentence, "
            "{long:.0%} long words, {syllables} syllables"
        ).format(
            sentences=stats.sentences,
            words=stats.words,
            average=stats.average_sentence_words,
            long=stats.long_word_share,
            syllables=stats.syllables,
        )
    )
    if report.errors:
        sys.exit(1)


# ---- catalogue -----------------------------------------------------------------------------------


@cli.group()
def catalogue() -> None:
    """Import, list and approve innovations.

    Example: outreach catalogue list --status approved
    """


@catalogue.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--sheet", help=_("Sheet name in an XLSX file (default: the first sheet that is not hidden)."))
def catalogue_import(files: tuple[Path, ...], sheet: str | None) -> None:
    """Validate FILES (CSV, XLSX, YAML) and import them; any error imports nothing.

    Example: outreach catalogue import kiriman/dinkes.xlsx --sheet Inovasi
    """
    from .catalogue import import_files

    ws = _ws()
    ws.planning.catalogue()
    sheets_read: dict[Path, str] = {}
    summary = import_files(ws.store, files, ws.now(), sheet, sheets_read, ws.config.media_folder)
    for path, name in sheets_read.items():
        click.echo(
            visible(
                _("{path}: read the sheet '{sheet}', because the sheets before it are hidden").format(
                    path=path, sheet=name
                )
            )
        )
    click.echo(
        _("imported: {added} new, {changed} changed, {unchanged} unchanged").format(
            added=len(summary.added), changed=len(summary.changed), unchanged=len(summary.unchanged)
        )
    )
    for identifier in summary.approvals_withdrawn:
        click.echo(_("approval withdrawn (content changed): {id}; approve it again to publish").format(id=identifier))


@catalogue.command("list")
@click.option("--status", type=click.Choice(["draft", "approved", "changed", "rejected", "retired"]))
@format_option
def catalogue_list(status: str | None, output_format: str) -> None:
    """List innovations with their approval status.

    Example: outreach catalogue list --status changed
    """
    ws = _ws()
    entries = [entry for entry in ws.planning.catalogue() if status is None or entry.status.value == status]
    if output_format == "json":
        click.echo(
            json.dumps(
                [
                    {
                        **entry.innovation.to_json(),
                        "status": entry.status.value,
                        "decided_by": entry.decided_by,
                        "decided_at": _iso(entry.decided_at, ws),
                        "reason": entry.reason,
                        "source": entry.source,
                    }
                    for entry in entries
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    labels = {"changed": _("changed since approval — approve again")}
    _print_table(
        [
            [
                entry.innovation.id,
                labels.get(entry.status.value, entry.status.value),
                entry.innovation.opd[:40],
                entry.decided_by or "-",
            ]
            for entry in entries
        ],
        ["id", "status", "opd", "by"],
    )


@catalogue.command("show")
@click.argument("innovation_id")
def catalogue_show(innovation_id: str) -> None:
    """Show one innovation, its status and its decision history.

    Example: outreach catalogue show ktp-sehari-jadi
    """
    ws = _ws()
    ws.planning.catalogue()  # show what the files say now
    entry = ws.planning.entry(innovation_id)
    for key, value in entry.innovation.to_json().items():
        click.echo(visible(f"{key:12} {value if value not in (None, [], '') else '-'}"))
    click.echo(f"{'status':12} {entry.status.value}")
    click.echo(visible(f"{'source':12} {entry.source}"))
    for decision in ws.store.decisions_of(innovation_id):
        current = "current" if decision["content_hash"] == entry.innovation.content_hash else "older content"
        click.echo(
            visible(
                f"  {_local(decision['decided_at'], ws)} {decision['decision']} by {decision['decided_by']} "
                f"({current}){': ' + decision['reason'] if decision['reason'] else ''}"
            )
        )


@catalogue.command("approve")
@click.argument("ids", nargs=-1, required=True)
@click.option("--by", required=True, callback=_not_blank, help=_("Who approves (name and unit)."))
def catalogue_approve(ids: tuple[str, ...], by: str) -> None:
    """Approve innovations in their current form; editing one later withdraws its approval.

    Example: outreach catalogue approve ktp-sehari-jadi bank-sampah-jemput --by "Rina (Diskominfo)"
    """
    ws = _ws()
    ws.planning.catalogue()
    for identifier in ws.store.decide(ids, "approved", by, ws.now()):
        click.echo(_("approved: {id}").format(id=identifier))


@catalogue.command("reject")
@click.argument("innovation_id")
@click.option("--by", required=True, callback=_not_blank)
@click.option("--reason", required=True, callback=_not_blank)
def catalogue_reject(innovation_id: str, by: str, reason: str) -> None:
    """Reject an innovation; its future planned posts are cancelled at the next plan.

    Example: outreach catalogue reject lapor-bantuan-sosial --by "Rina" --reason "Belum siap"
    """
    ws = _ws()
    ws.planning.catalogue()
    ws.store.decide([innovation_id], "rejected", by, ws.now(), reason)
    click.echo(_("rejected: {id}").format(id=innovation_id))


@catalogue.command("retire")
@click.argument("innovation_id")
@click.option("--by", default=lambda: os.environ.get("USER", "operator"), show_default="$USER", callback=_not_blank)
def catalogue_retire(innovation_id: str, by: str) -> None:
    """Retire an innovation (the service ended); it leaves the rotation.

    Example: outreach catalogue retire daftar-sekolah-tanpa-antre
    """
    ws = _ws()
    ws.planning.catalogue()
    ws.store.retire(innovation_id, by, ws.now())
    click.echo(_("retired: {id}").format(id=innovation_id))


# ---- planning and running ---------------------------------------------------------------------------


@cli.command()
@click.option(
    "--days", type=click.IntRange(1, 366), default=None, help=_("Horizon (default: publishing.horizon_days).")
)
def plan(days: int | None) -> None:
    """Write the planned posts for the coming days; running it twice changes nothing.

    Example: outreach plan --days 14
    """
    ws = _ws()
    outcome = ws.planning.write_plan(days or ws.config.publishing.horizon_days)
    click.echo(
        _("planned {inserted} new posts, refreshed {refreshed}, cancelled {cancelled}").format(
            inserted=outcome.inserted, refreshed=outcome.refreshed, cancelled=outcome.cancelled
        )
    )
    problems = outcome.unrendered + outcome.stale
    if problems:
        raise click.ClickException(
            _(
                "{count} posts could not be rendered ({new} new ones stored as failed, {kept} planned ones keep "
                "their earlier text); first: {reason}. Fix the template (`outreach check` shows every problem), "
                "then run `outreach plan` again"
            ).format(
                count=len(problems), new=len(outcome.unrendered), kept=len(outcome.stale), reason=visible(problems[0])
            )
        )


@cli.command()
@click.option("--once", is_flag=True, help=_("Publish what is due now, then exit (cron, systemd timers)."))
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def run(once: bool, log_format: str) -> None:
    """Run the publishing daemon (or one pass with --once).

    Example: outreach --now 2026-12-01T09:00+07:00 run --once
    """
    from . import daemon
    from .logs import configure_logging

    ws = _ws()
    configure_logging(log_format, debug=click.get_current_context().find_root().obj["debug"])
    if once:
        summary = daemon.run_once(ws)
        click.echo(summary)
    else:
        daemon.run_forever(ws)


@cli.command()
@click.option(
    "--from", "start", type=click.DateTime(["%Y-%m-%d"]), callback=_day_in_years, help=_("First day (default: today).")
)
@click.option("--days", type=click.IntRange(1, 60), default=7, show_default=True)
def rehearse(start: datetime | None, days: int) -> None:
    """Publish DAYS of posts to the local file channels in seconds, moving the clock slot by slot.

    Refuses to run when any channel is a real platform.

    Example: outreach rehearse --from 2026-12-01 --days 7
    """
    from . import rehearsal
    from .channels import adapter_class

    ws = _ws()
    begin = _day_start(start.date(), ws) if start else ws.now()
    counts = rehearsal.rehearse(ws.config, begin, days, click.get_current_context().find_root().obj["announce"])
    done = ", ".join(f"{count} {state}" for state, count in sorted(counts.items())) or _("nothing was due")
    click.echo(_("rehearsal of {days} days from {start}: {done}").format(days=days, start=_local(begin, ws), done=done))
    folders = sorted(
        {str(adapter_class(settings.type).outbox_for(settings)) for settings in ws.config.channels.values()}
    )
    click.echo(_("posts written to: {folders}").format(folders=", ".join(folders)))
    click.echo(_("see them with `outreach history`, or read the .txt files there"))


# ---- operator commands -----------------------------------------------------------------------------


def _posts_output(posts: Iterable[Post], ws: Workspace, output_format: str) -> None:
    posts = list(posts)
    if output_format == "json":
        click.echo(json.dumps([post_json(post, ws) for post in posts], ensure_ascii=False, indent=2))
    elif output_format == "csv":
        from .csvout import csv_text

        rows = [post_json(post, ws) for post in posts]
        click.echo(csv_text(list(rows[0]) if rows else ["id"], rows), nl=False)
    else:
        _print_table(
            [
                [
                    str(post.id),
                    _local(post.scheduled_at, ws),
                    post.state.value,
                    post.channel,
                    post.innovation_id,
                    post.kind,
                    (post.remote_url or post.reason or "")[:60],
                ]
                for post in posts
            ],
            ["id", "when (WIB)", "state", "channel", "innovation", "kind", "url / reason"],
        )


@cli.command()
@format_option
def queue(output_format: str) -> None:
    """Upcoming posts (planned, being published, or handed off to staff).

    Example: outreach queue --format json
    """
    from .model import PostState

    ws = _ws()
    _posts_output(ws.store.posts([PostState.PLANNED, PostState.PUBLISHING, PostState.HANDED_OFF]), ws, output_format)


@cli.command()
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), callback=_day_in_years)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), callback=_day_in_years, help=_("Last day, inclusive."))
@click.option(
    "--format", "output_format", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)
def history(start: datetime | None, end: datetime | None, output_format: str) -> None:
    """What happened to posts: published (with links), failed, missed, unknown — evidence for reports.

    Example: outreach history --from 2026-12-01 --to 2026-12-31 --format csv > laporan-desember.csv
    """
    from .model import PostState

    ws = _ws()
    finished = [state for state in PostState if state not in (PostState.PLANNED, PostState.PUBLISHING)]
    posts = ws.store.posts(
        finished,
        _day_start(start.date(), ws) if start else None,
        _day_start(end.date(), ws) + timedelta(days=1) if end else None,
    )
    _posts_output(posts, ws, output_format)


@cli.group()
def post() -> None:
    """Look at and act on one post.

    Example: outreach post show 12
    """


def _actor() -> str:
    """Who acts, for the post's events: the login name of whoever runs the command."""
    return os.environ.get("USER") or os.environ.get("USERNAME") or "operator"


@post.command("show")
@click.argument("post_id", type=POST_ID)
def post_show(post_id: int) -> None:
    """Show a post, its exact text and every transition it went through.

    Example: outreach post show 12
    """
    ws = _ws()
    found = ws.store.post(post_id)
    for key, value in post_json(found, ws).items():
        if key != "text":
            click.echo(visible(f"{key:13} {value if value is not None else '-'}"))
    click.echo(visible(f"text:\n{found.text}\n"))
    for event in ws.store.events(post_id):
        click.echo(
            visible(
                f"  {_local(event.at, ws)}  {event.from_state or '·'} → {event.to_state}  "
                f"attempt {event.attempt}  {event.reason or ''}"
            )
        )


def _report(move: Move) -> None:
    click.echo(f"post {move.post_id}: {move.before.value} → {move.after.value}")


@post.command("cancel")
@click.argument("post_id", type=POST_ID)
@click.option("--reason", default="no reason given", show_default=True, callback=_not_blank)
def post_cancel(post_id: int, reason: str) -> None:
    """Cancel a planned, failed or missed post; re-planning leaves its slot empty.

    Example: outreach post cancel 12 --reason "Acara ditunda"
    """
    _report(_ws().operations.cancel(post_id, reason, _actor()))


@post.command("retry")
@click.argument("post_id", type=POST_ID)
def post_retry(post_id: int) -> None:
    """Plan a failed, unknown or missed post again, due now.

    Example: outreach post retry 12
    """
    _report(_ws().operations.retry(post_id, _actor()))


@post.command("resolve")
@click.argument("post_id", type=POST_ID)
@click.option("--published", "url", callback=_web_address, help=_("It did go out: its public URL."))
@click.option("--not-published", is_flag=True, help=_("It did not go out (it stays failed, retry it if you wish)."))
def post_resolve(post_id: int, url: str | None, not_published: bool) -> None:
    """Settle an unknown post after looking at the platform.

    Example: outreach post resolve 12 --published https://x.com/kominfobdl/status/1234
    """
    if bool(url) == not_published:
        raise click.UsageError(_("give exactly one of --published URL or --not-published"))
    operations = _ws().operations
    if url:
        _report(operations.resolve_published(post_id, url, _actor()))
    else:
        _report(operations.resolve_unpublished(post_id, _actor()))


@post.command("confirm")
@click.argument("post_id", type=POST_ID)
@click.option("--url", callback=_web_address, help=_("Link to the forwarded message, if there is one."))
def post_confirm(post_id: int, url: str | None) -> None:
    """Confirm that staff sent a handed-off post (WhatsApp).

    Example: outreach post confirm 12 --url https://whatsapp.com/channel/...
    """
    _report(_ws().operations.confirm(post_id, url, _actor()))


@cli.command()
def status() -> None:
    """Is the daemon alive, when did it last tick, how many posts in each state, paused or not.

    Example: outreach status
    """
    from .status import status_lines

    ws = _ws()
    for line in status_lines(ws):
        click.echo(line)
    line = _("store: {location}, created {created}").format(
        location=ws.store.location, created=_zoned(ws.store.created_at(), ws)
    )
    restored = ws.store.restored()
    if restored:
        line += _(", restored {time} from {backup}").format(time=_zoned(restored[0], ws), backup=restored[1])
    click.echo(line)


@cli.command()
@click.option("--reason", required=True, callback=_not_blank, help=_("Why (shown in status and logs)."))
def pause(reason: str) -> None:
    """Stop every publication at once (kill switch), until `outreach resume`.

    Example: outreach pause --reason "Hari berkabung"
    """
    _ws().operations.pause(reason, _actor())
    click.echo(_("paused: {reason}").format(reason=reason))


@cli.command()
def resume() -> None:
    """Lift the kill switch; overdue posts follow the catch-up rule.

    Example: outreach resume
    """
    _ws().operations.resume()
    click.echo(_("resumed"))


@cli.group()
def db() -> None:
    """Database maintenance.

    Example: outreach db backup var/cadangan-2026-12-01.sqlite3
    """


@db.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(destination: Path) -> None:
    """Copy the live store safely (SQLite online backup), even while the daemon runs.

    Example: outreach db backup var/cadangan.sqlite3
    """
    ws = _ws()
    ws.store.backup(destination)
    click.echo(_("backup written to {path}").format(path=destination))


@db.command("restore")
@click.argument("backup", type=click.Path(dir_okay=False, path_type=Path))
def db_restore(backup: Path) -> None:
    """Put a backup in place of the store (stop the daemon first); posts that fell due since are checked.

    A post due by now may have gone out after the backup was taken: it is recorded as published
    when the channel can prove it, else as unknown for a person to check. Slots up to now are
    never planned again.

    Example: outreach db restore /backup/outreach-2026-12-01.sqlite3
    """
    from .restore import restore

    ws = _ws()
    outcomes, kept = restore(ws, backup)
    if kept is not None:
        click.echo(_("the damaged store was kept as {path}").format(path=kept))
    click.echo(_("restored {location} from {backup}").format(location=ws.store.location, backup=backup))
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.state.value] = counts.get(outcome.state.value, 0) + 1
    done = ", ".join(f"{count} {state}" for state, count in sorted(counts.items())) or "-"
    click.echo(_("{count} posts due since the backup: {done}").format(count=len(outcomes), done=done))
    if counts.get("unknown"):
        click.echo(
            _(
                "check each unknown post on its platform, then `outreach post resolve ID` "
                "(list them with `outreach history`)"
            )
        )


@cli.group()
def channels() -> None:
    """Channel operations.

    Example: outreach channels check
    """


@channels.command("check")
@click.argument("name", required=False)
def channels_check(name: str | None) -> None:
    """Ask each channel's platform who we post as, or why we cannot post.

    Example: outreach channels check telegram
    """
    from .errors import ConfigError, LocalIOError, PublishError
    from .redaction import redact

    ws = _ws()
    names = [name] if name else list(ws.config.channels)
    failed = 0
    for channel_name in names:
        ws.channel_settings(channel_name)
        try:
            identity = ws.adapter(channel_name).check()
            click.echo(
                visible(
                    f"{channel_name:16} ok    {identity.handle}" + (f"  ({identity.detail})" if identity.detail else "")
                )
            )
        except (PublishError, ConfigError, LocalIOError) as error:  # the platform's own words, which it chose
            failed += 1
            click.echo(visible(redact(f"{channel_name:16} FAIL  {error}")))
    if failed:
        sys.exit(1)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="outreach")
