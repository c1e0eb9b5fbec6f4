"""The `intake-bot` command line. Global options (README, "Commands") go before the command name;
the JSON that commands print is described in docs/json.md.

Each command is a thin function over the modules that do the work; no traceback ever reaches the
user: errors are one clear line on stderr and a non-zero exit (details go to the log file under
the data dir).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from pathlib import Path

from .config import ConfigError
from .lock import PassLocked, WorkerRunning
from .mailbox.base import MailboxError
from .runtime import Runtime, Services, UserError, clock, one_pass, sending_refused, worker_jobs

log = logging.getLogger("intake_bot")

# Failures whose message is written for the operator: shown as they are.
KNOWN_FAILURES = (PassLocked, WorkerRunning, MailboxError)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREADABLE, EXIT_INTERNAL = 0, 1, 2, 3, 70


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=1, default=str) + "\n")


def read_input_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None


# ------------------------------------------------------------------ commands


def cmd_extract(rt: Runtime) -> int:
    from .reader.isolated import extract_isolated

    args = rt.args
    if args.unit and args.unit not in rt.campaign.units:
        raise UserError(f"--unit: unknown unit {args.unit!r}; known: {', '.join(rt.campaign.units)}")
    data = read_input_file(args.file)
    result = extract_isolated(data, Path(args.file).name, rt.campaign, args.unit)
    if args.json:
        print_json(result.to_json())
    else:
        print(_describe_extraction(result))
    if not result.readable:
        print(f"intake-bot: {args.file}: {result.error}", file=sys.stderr)
        return EXIT_UNREADABLE
    return EXIT_OK


def _describe_extraction(result) -> str:
    lines = [f"{result.file}: {result.format}{' (scanned)' if result.scanned else ''}, unit {result.unit or '-'}"]
    if result.error:
        lines.append(f"  cannot read: {result.error}")
    for name, value in (result.metadata or {}).items():
        if value:
            lines.append(f"  {name}: {value}")
    if result.outline:
        lines.append(f"  outline {result.outline['id']}: present {', '.join(result.outline['present']) or '-'}; "
                     f"missing {', '.join(result.outline['missing']) or '-'}")
    lines.append(f"  appendix rows: {len(result.tables)}")
    lines.extend(f"  warning: {w}" for w in result.warnings)
    return "\n".join(lines)


def cmd_classify(rt: Runtime) -> int:
    from .classify import classify
    from .message import parse_message

    raw = read_input_file(rt.args.file)
    message = parse_message(raw, rt.campaign.limits)
    decision = classify(message, rt.campaign)
    output = decision.to_json(message)
    if rt.args.json:
        print_json(output)
    else:
        print(f"{output['category']} · unit {output['unit'] or '-'} · action {output['action']}")
        for reason in output["reasons"]:
            print(f"  - {reason}")
    return EXIT_OK


def cmd_poll(rt: Runtime) -> int:
    summary = one_pass(rt, rescan=rt.args.rescan)
    if rt.args.json:
        print_json(summary)
    else:
        print(_describe_pass(summary))
    return EXIT_FAILED if summary["errors"] else EXIT_OK


def _describe_pass(summary: dict) -> str:
    per = ", ".join(f"{k} {v}" for k, v in sorted(summary["by_category"].items())) or "none"
    sent = ", ".join(f"{k} {v}" for k, v in summary["outbox"].items() if v) or "nothing to send"
    lines = [f"new messages: {summary['new']} ({per})",
             f"replies queued: {summary['replies_queued']}; outbox: {sent}"]
    if summary["replies_suppressed"]:
        lines.append(f"recorded again without a reply (answered before): {summary['replies_suppressed']}")
    if summary["already_recorded"] or summary["seen_again"]:
        lines.append(f"already recorded: {summary['already_recorded']}; seen again under a new key: "
                     f"{summary['seen_again']}")
    lines += [f"error: {e}" for e in summary["errors"]]
    return "\n".join(lines)


def cmd_status(rt: Runtime) -> int:
    from .status import format_status, status_report

    services = Services(rt, create=False)
    try:
        report = status_report(rt.campaign, services.store, rt.now)
    finally:
        services.close()
    if rt.args.json:
        print_json(report)
    else:
        print(format_status(rt.campaign, report))
    return EXIT_OK


def cmd_remind(rt: Runtime) -> int:
    from .followup import run_reminders

    services = Services(rt)
    try:
        refusal = sending_refused(rt, services)
        if refusal and not rt.args.dry_run:
            raise UserError(refusal)
        if refusal:
            print(f"intake-bot: warning: {refusal}", file=sys.stderr)
        report = run_reminders(rt.campaign, services.store, services.outbox, services.transport, rt.now,
                               dry_run=rt.args.dry_run)
    finally:
        services.close()
    if rt.args.json:
        print_json(report)
    elif not report:
        print("no reminder is due at this time")
    else:
        for item in report:
            note = " (already in the outbox)" if item.get("already_in_outbox") else ""
            print(f"{item['slot']} {item['kind']:<18} {item['unit']:<16} to {', '.join(item['to'])}"
                  f"{' cc ' + ', '.join(item['cc']) if item['cc'] else ''}{note}")
    return EXIT_OK


def cmd_digest(rt: Runtime) -> int:
    from .digest import build_digest, digest_day, queue_digest, write_digest
    from .followup import campaign_end, campaign_over
    from .lock import pass_lock

    services = Services(rt)
    try:
        if rt.args.out:
            paths = write_digest(build_digest(rt.campaign, services.store, rt.now), rt.args.out)
            print("digest written: " + ", ".join(str(p) for p in paths))
        if rt.args.send:
            with pass_lock(rt.data_dir, wait=30):
                refusal = sending_refused(rt, services)
                if refusal:
                    raise UserError(refusal)
                try:
                    queued = queue_digest(rt.campaign, services.store, services.outbox, rt.now)
                except ValueError as exc:
                    raise UserError(str(exc)) from None
                counts = services.outbox.flush(services.transport, rt.now)
            if queued:
                said = "digest queued"
            elif campaign_over(rt.campaign, digest_day(rt.campaign, rt.now)):
                said = f"the campaign ended on {campaign_end(rt.campaign)}: no digest is sent"
            else:
                said = "today's digest was already queued"
            print(said +
                  f"; outbox: {', '.join(f'{k} {v}' for k, v in counts.items() if v) or 'nothing sent'}")
        if not (rt.args.out or rt.args.send):
            raise UserError("digest: give --out DIR (write the files) and/or --send (mail it to the secretary)")
    finally:
        services.close()
    return EXIT_OK


def cmd_reconcile(rt: Runtime) -> int:
    from .progress import unit_progress
    from .reconcile import describe, reconcile

    services = Services(rt)
    try:
        result = reconcile(rt.campaign, unit_progress(services.store, rt.campaign, rt.now))
    finally:
        services.close()
    if rt.args.json:
        print_json(result.to_json())
    else:
        print(describe(rt.campaign, result))
    return EXIT_OK


def cmd_command(rt: Runtime) -> int:
    """One command line, as if the secretary had mailed it (no confirmation mail)."""
    from .commands import Context, SourceRef, execute, help_text
    from .lock import pass_lock

    with pass_lock(rt.data_dir, wait=30):
        services = Services(rt)
        try:
            ctx = Context(rt.campaign, services.store, services.outbox, rt.now)
            commander = rt.campaign.secretary_email or "operator"
            results = execute(ctx, rt.args.line.splitlines() or [""], commander, rt.now, SourceRef(via="cli"))
            if results:
                services.outbox.flush(services.transport, rt.now)
        finally:
            services.close()
    if not results:
        if rt.args.json:
            print_json({"result": "not_a_command", "line": rt.args.line, "help": help_text(rt.campaign)})
        else:
            print(f"“{rt.args.line}” is not a command.\n\n{help_text(rt.campaign)}")
        return EXIT_FAILED
    if rt.args.json:
        print_json(results[0].to_json() if len(results) == 1 else [r.to_json() for r in results])
    else:
        for r in results:
            print(f"#{r.ref} {'done' if r.ok else 'refused'}: {r.line}\n  {r.effect_vi}")
            if r.suggestion_vi:
                print(f"  gợi ý: {r.suggestion_vi}")
            if r.undo_vi:
                print(f"  hoàn tác: {r.undo_vi}")
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILED


def cmd_review(rt: Runtime) -> int:
    """The review queue with the #N references the commands use."""
    from .status import review_items

    services = Services(rt)
    try:
        items = review_items(rt.campaign, services.store, rt.now)
    finally:
        services.close()
    if rt.args.json:
        print_json(items)
    elif not items:
        print("the review queue is empty")
    else:
        for item in items:
            print(f"#{item['ref']:<4} {item['received_at'][:16]} [{item['category']}] {item['from']} · "
                  f"{item['subject'][:60]}")
            print("".join(f"       - {reason}\n" for reason in item["reasons"][:4]), end="")
    return EXIT_OK


def cmd_compile(rt: Runtime) -> int:
    from .draft_report import build_draft, draft_filename

    services = Services(rt)
    try:
        data = build_draft(rt.campaign, services.store, rt.now)
    finally:
        services.close()
    out = Path(rt.args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        path = out / draft_filename(rt.campaign, rt.now)
        path.write_bytes(data)
    except OSError as exc:
        raise UserError(f"compile: cannot write into {out}: {exc.strerror or exc}") from None
    print(f"draft written: {path}")
    return EXIT_OK


def cmd_dossier(rt: Runtime) -> int:
    from .dossier import build_dossier, describe, queue_dossier
    from .lock import pass_lock

    services = Services(rt)
    try:
        if not rt.args.send:
            print(describe(build_dossier(rt.campaign, services.store, rt.now), rt.campaign))
            return EXIT_OK
        with pass_lock(rt.data_dir, wait=30):
            try:
                result = queue_dossier(rt.campaign, services.store, services.outbox, rt.now)
            except ValueError as exc:
                raise UserError(str(exc)) from None
            counts = services.outbox.flush(services.transport, rt.now)
    finally:
        services.close()
    if rt.args.json:
        print_json({**result.to_json(), "outbox": counts})
    else:
        print(f"dossier {result.number}: queued {result.mails} mail(s) for {len(result.sent_to)} member(s)"
              + (f"; {len(result.already_had)} already had it" if result.already_had else "")
              + f"; outbox: {', '.join(f'{k} {v}' for k, v in counts.items() if v) or 'nothing sent'}")
    return EXIT_OK


def cmd_check(rt: Runtime) -> int:
    from .checks import run_checks

    outcomes = run_checks(rt)
    for outcome in outcomes:
        print(outcome, file=sys.stderr if outcome.state == "fail" else sys.stdout, flush=True)
    failed = sum(o.state == "fail" for o in outcomes)
    warned = sum(o.state == "warn" for o in outcomes)
    if failed:
        print(f"intake-bot: check: {failed} problem(s) to fix before `intake-bot run`", file=sys.stderr)
    else:
        print(f"campaign {rt.campaign.id} is ready" + (f" ({warned} warning(s) above)" if warned else ""))
    return EXIT_FAILED if failed else EXIT_OK


def cmd_run(rt: Runtime) -> int:
    from .followup import campaign_end, campaign_over
    from .lock import worker_lock
    from .worker import build_scheduler, run_forever

    def ready():
        end = campaign_end(rt.campaign)
        over = campaign_over(rt.campaign, clock(rt).date())
        sending = (f"the campaign ended on {end}: no reminders nor digests" if over else
                   f"reminders at {rt.campaign.reminder_time:%H:%M}, digest at {rt.campaign.digest_time:%H:%M} "
                   f"until {end}")
        print(f"intake-bot worker: campaign {rt.campaign.id}, poll every {rt.campaign.poll_minutes} min, "
              f"{sending} ({rt.campaign.timezone}); log in {rt.data_dir / 'intake-bot.log'}", flush=True)

    jobs = worker_jobs(rt)
    rt.prepare_data_dir()
    with worker_lock(rt.data_dir):
        run_forever(build_scheduler(rt.campaign, jobs.poll, jobs.remind, jobs.digest, startup=jobs.startup,
                                    reload=jobs.reload), ready=ready)
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    """A campaign file from a supervision plan; needs no campaign file itself."""
    from .campaign_file import campaign_text, summary
    from .config import Limits
    from .filetype import sniff
    from .plan import read_plan
    from .reader.extract import read_content
    from .reader.model import UnreadableFile

    source = Path(args.plan)
    out = Path(args.out) if args.out else Path.cwd() / f"{source.stem}.toml"
    if out.exists() and not args.force:
        raise UserError(f"{out} exists: give another --out, or --force to replace it")
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {source}: {exc.strerror or exc}") from None
    try:
        content = read_content(sniff(data, source.name), data, Limits())
    except UnreadableFile as exc:
        raise UserError(f"{source.name}: {exc.reason}") from None
    plan = read_plan(content)
    text, todos = campaign_text(plan, source.name)
    out.write_text(text, encoding="utf-8")
    print(summary(plan, todos, str(out)))
    return EXIT_OK


def cmd_demo(rt: Runtime) -> int:
    from .demo import run_demo

    return run_demo(rt)


# ------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intake-bot",
        description="Collects supervision reports from the committee's mailbox.")
    parser.add_argument("--config", default=None,
                        help="the campaign file (default config/hung-yen-2024.toml, else the bundled one)")
    parser.add_argument("--data-dir", default="./var", help="database, archive and file outbox (default ./var)")
    parser.add_argument("--mailbox", default=None,
                        help="maildir:PATH or imaps://USER@HOST:PORT/FOLDER (password in INTAKE_BOT_IMAP_PASSWORD)")
    parser.add_argument("--smtp", default=None,
                        help="file:DIR or smtp(s)://[USER@]HOST:PORT (password in INTAKE_BOT_SMTP_PASSWORD)")
    parser.add_argument("--now", default=None, help="the clock, ISO-8601 (for dry runs and tests)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("extract", help="read one report file and print what it holds")
    p.add_argument("file")
    p.add_argument("--unit", default=None, help="check against this unit's outline")
    p.add_argument("--json", action="store_true", help="print JSON (docs/json.md)")
    p.set_defaults(handler=cmd_extract)

    p = sub.add_parser("classify", help="what the worker would do with one .eml (nothing sent or stored)")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print JSON (docs/json.md)")
    p.set_defaults(handler=cmd_classify)

    p = sub.add_parser("poll", help="one pass over the mailbox")
    p.add_argument("--once", action="store_true", help="one pass, then exit (the only mode; `run` loops)")
    p.add_argument("--wait", type=float, default=0.0, help="seconds to wait for a running pass")
    p.add_argument("--rescan", action="store_true",
                   help="rebuild a lost database: record the processed mail too (and DATA/archive's), "
                        "without answering again what was answered before")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_poll)

    p = sub.add_parser("run", help="the worker: poll, reminders and digest on schedule")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("status", help="per unit: received, version, missing; the review queue")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser("remind", help="the reminders of the slot due now")
    p.add_argument("--dry-run", action="store_true", help="show them, queue nothing")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_remind)

    p = sub.add_parser("digest", help="the secretary's daily digest")
    p.add_argument("--out", default=None, help="write digest.html, digest.txt and the workbook here")
    p.add_argument("--send", action="store_true", help="queue it for the secretary and send")
    p.set_defaults(handler=cmd_digest)

    p = sub.add_parser("reconcile", help="the same zone as each unit reports it: disagreements and gaps")
    p.add_argument("--json", action="store_true", help="print the JSON documented in README")
    p.set_defaults(handler=cmd_reconcile)

    p = sub.add_parser("command", help="apply one of the secretary's commands, e.g. \"GÁN #12 Văn Lâm\"")
    p.add_argument("line", help="the command line, as in a command mail (TRỢ GIÚP lists them)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_command)

    p = sub.add_parser("review", help="the review queue with the #N references")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_review)

    p = sub.add_parser("compile", help="the compiled draft (Word) of the units' latest reports")
    p.add_argument("--out", required=True, help="write the .docx into this directory")
    p.set_defaults(handler=cmd_compile)

    p = sub.add_parser("dossier", help="the members' dossier: what each would get; --send mails it")
    p.add_argument("--send", action="store_true", help="queue it for every [[delegation]] member and send")
    p.add_argument("--json", action="store_true", help="with --send: the result as JSON")
    p.set_defaults(handler=cmd_dossier)

    p = sub.add_parser("check", help="validate the campaign file and templates, try the connections")
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser("demo", help="a fresh data dir with the sample mail, one pass, then the status")
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("init", help="write a campaign file from a supervision plan (.docx, .pdf, .doc)")
    p.add_argument("plan", help="the plan: PLAN.docx, PLAN.pdf or PLAN.doc")
    p.add_argument("--out", help="the campaign file to write (default: PLAN.toml here)")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.set_defaults(handler=cmd_init, campaign_free=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Everything the command creates (log, digest, outbox) readable by its owner only.
    earlier_umask = os.umask(0o077)
    try:
        return _main(argv)
    finally:
        os.umask(earlier_umask)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # The log file under the data dir takes everything from INFO; the terminal only warnings,
    # unless --verbose.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            handler.setLevel(logging.INFO if args.verbose else logging.WARNING)
            if not any(isinstance(f, _NotShownTwice) for f in handler.filters):
                handler.addFilter(_NotShownTwice())
    try:
        return args.handler(args if getattr(args, "campaign_free", False) else Runtime(args))
    except ConfigError as exc:
        print(exc.explain(), file=sys.stderr)
        return EXIT_USAGE
    except (*KNOWN_FAILURES, UserError) as exc:
        # The operator's log keeps it too (when the command got as far as opening it).
        log.error("%s: %s", args.command, exc, extra={SHOWN: True})
        print(f"intake-bot: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: one clear line, the details in a file
        where = _record_crash(args)
        print(f"intake-bot: internal error ({type(exc).__name__}: {exc}); details in {where}", file=sys.stderr)
        return EXIT_INTERNAL


SHOWN = "shown_on_stderr"


class _NotShownTwice(logging.Filter):
    """Keeps off the terminal a record that the command prints itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, SHOWN, False)


def _record_crash(args: argparse.Namespace) -> str:
    """Append the traceback to the data dir's crash log (a temp file if that is not writable)."""
    import tempfile
    import traceback

    text = f"--- {dt.datetime.now().isoformat()} intake-bot {args.command}\n{traceback.format_exc()}"
    for folder in (Path(args.data_dir), Path(tempfile.gettempdir())):
        try:
            path = folder / "intake-bot-crash.log"
            with open(path, "a", encoding="utf-8") as f:
                f.write(text)
            return str(path)
        except OSError:
            continue
    return "nowhere (no writable folder)"


if __name__ == "__main__":
    sys.exit(main())
