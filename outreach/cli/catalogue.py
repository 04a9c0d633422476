"""The `catalogue` group: import, list, show, approve, reject and retire innovations."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..i18n import N_, _, ngettext
from ..textsafety import visible
from ..vocabulary import state_label
from . import _ws, cli
from .common import (
    _iso,
    _local,
    _not_blank,
    _print_table,
    format_option,
)

if TYPE_CHECKING:
    from ..store import ImportSummary


def announce_sync(summary: ImportSummary) -> None:
    """On stderr, once per sync: the importer's warnings, and every approval the new content withdrew."""
    for warning in summary.warnings:
        click.echo(visible(warning), err=True)
    withdrawn = summary.approvals_withdrawn
    if not withdrawn:
        return
    message = ngettext(
        "{count} innovation lost its approval (its content changed): {ids}; approve again with {command}",
        "{count} innovations lost their approval (their content changed): {ids}; approve again with {command}",
        len(withdrawn),
    )
    command = f'`outreach catalogue approve {" ".join(withdrawn)} --by "NAME"`'
    click.echo(visible(message.format(count=len(withdrawn), ids=", ".join(withdrawn), command=command)), err=True)


@cli.group()
def catalogue() -> None:
    """Import, list and approve innovations.

    Example: outreach catalogue list --status approved
    """


@catalogue.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--sheet", help=N_("Sheet name in an XLSX file (default: the first sheet that is not hidden)."))
def catalogue_import(files: tuple[Path, ...], sheet: str | None) -> None:
    """Validate FILES (CSV, XLSX, YAML) and import them; any error imports nothing.

    Example: outreach catalogue import kiriman/dinkes.xlsx --sheet Inovasi
    """
    from ..catalogue import import_files

    ws = _ws()
    announced: set[str] = set()

    def announce(synced: ImportSummary) -> None:
        announce_sync(synced)
        announced.update(synced.warnings)

    ws.planning.on_sync = announce
    ws.planning.catalogue()
    sheets_read: dict[Path, str] = {}
    summary = import_files(ws.store, files, ws.now(), sheet, sheets_read, ws.config.media_folder, lambda: ws.glossary)
    for warning in summary.warnings:
        if warning not in announced:  # a configured file was just synced and said so
            click.echo(visible(warning), err=True)
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
@click.option(
    "--status",
    type=click.Choice(["draft", "approved", "changed", "rejected", "retired"]),
    help=N_("Only innovations in this state."),
)
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
                labels.get(entry.status.value, state_label(entry.status.value)),
                entry.innovation.opd[:40],
                entry.decided_by or "-",
            ]
            for entry in entries
        ],
        [_("id"), _("status"), _("agency"), _("decided by")],
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
        shown = " ".join(f"#{tag}" for tag in value) if key == "tagar" else value
        click.echo(visible(f"{key:12} {shown if shown not in (None, '') else '-'}"))
    status, source = _("status"), _("source")
    click.echo(f"{status:12} {state_label(entry.status.value)}")
    click.echo(visible(f"{source:12} {entry.source}"))
    for decision in ws.store.decisions_of(innovation_id):
        current = _("current") if decision["content_hash"] == entry.innovation.content_hash else _("older content")
        line = _("{time} {decision} by {who} ({content})").format(
            time=_local(decision["decided_at"], ws),
            decision=state_label(decision["decision"]),
            who=decision["decided_by"],
            content=current,
        )
        click.echo(visible(f"  {line}" + (f": {decision['reason']}" if decision["reason"] else "")))


@catalogue.command("approve")
@click.argument("ids", nargs=-1, required=True)
@click.option("--by", required=True, callback=_not_blank, help=N_("Who approves (name and unit)."))
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
@click.option("--by", required=True, callback=_not_blank, help=N_("Who rejects (name and unit)."))
@click.option("--reason", required=True, callback=_not_blank, help=N_("Why (kept with the decision)."))
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
@click.option(
    "--by",
    default=lambda: os.environ.get("USER", "operator"),
    show_default="$USER",
    callback=_not_blank,
    help=N_("Who retires it."),
)
def catalogue_retire(innovation_id: str, by: str) -> None:
    """Retire an innovation (the service ended); it leaves the rotation.

    Example: outreach catalogue retire daftar-sekolah-tanpa-antre
    """
    ws = _ws()
    ws.planning.catalogue()
    ws.store.retire(innovation_id, by, ws.now())
    click.echo(_("retired: {id}").format(id=innovation_id))
