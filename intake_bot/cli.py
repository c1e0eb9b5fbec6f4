"""The `intake-bot` command line. Global options (cli-contract.md) go before the command name.

Each command is a thin function over the modules that do the work; no traceback ever reaches the
user: errors are one clear line on stderr and a non-zero exit (details go to the log file under
the data dir).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path

from .config import Campaign, ConfigError, load_campaign

log = logging.getLogger("intake_bot")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREADABLE, EXIT_INTERNAL = 0, 1, 2, 3, 70


class UserError(Exception):
    """A problem the user can fix; its text is shown as is."""


class Runtime:
    """The global options resolved against the campaign file."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.campaign: Campaign = load_campaign(args.config)
        self.data_dir = Path(args.data_dir)
        self.now = parse_now(args.now, self.campaign)
        self.mailbox_url = args.mailbox or self.campaign.mailbox_url
        self.smtp_url = args.smtp or self.campaign.smtp_url

    def prepare_data_dir(self) -> Path:
        """Create the data dir readable by its owner only, and log into it."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        handler = logging.FileHandler(self.data_dir / "intake-bot.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(handler)
        return self.data_dir


def parse_now(text: str | None, campaign: Campaign) -> dt.datetime:
    """--now as an aware datetime; a naive one is in the campaign's time zone."""
    if not text:
        return dt.datetime.now(campaign.tz)
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"--now: {text!r} is not an ISO-8601 time such as 2024-05-13T08:00:00+07:00") from None
    return value if value.tzinfo else value.replace(tzinfo=campaign.tz)


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=1, default=str) + "\n")


def read_input_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None


# ------------------------------------------------------------------ commands


def cmd_extract(rt: Runtime) -> int:
    from .reader.extract import extract_bytes

    args = rt.args
    if args.unit and args.unit not in rt.campaign.units:
        raise UserError(f"--unit: unknown unit {args.unit!r}; known: {', '.join(rt.campaign.units)}")
    data = read_input_file(args.file)
    result = extract_bytes(data, Path(args.file).name, rt.campaign, args.unit)
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
    p.add_argument("--json", action="store_true", help="print the JSON of cli-contract.md")
    p.set_defaults(handler=cmd_extract)

    p = sub.add_parser("classify", help="what the worker would do with one .eml (nothing sent or stored)")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print the JSON of cli-contract.md")
    p.set_defaults(handler=cmd_classify)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return args.handler(Runtime(args))
    except ConfigError as exc:
        print(exc.explain(), file=sys.stderr)
        return EXIT_USAGE
    except UserError as exc:
        print(f"intake-bot: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: one clear line, the details in a file
        where = _record_crash(args)
        print(f"intake-bot: internal error ({type(exc).__name__}: {exc}); details in {where}", file=sys.stderr)
        return EXIT_INTERNAL


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
