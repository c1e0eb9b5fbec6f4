"""`intake-bot status`: where the campaign stands, as JSON (docs/json.md) or a table."""
from __future__ import annotations

import datetime as dt

from .categories import CATEGORIES
from .config import Campaign
from .followup import campaign_end, campaign_over
from .progress import unit_progress
from .store import secretary
from .store.db import OUTGOING_STATES, Store



def status_report(campaign: Campaign, store: Store, now: dt.datetime) -> dict:
    secretary.ensure_refs(store, now)
    outgoing_refs = secretary.refs_of(store, "outgoing")
    by_category = {name: 0 for name in CATEGORIES}
    by_category.update(store.counts_by_category())
    outbox = {name: 0 for name in OUTGOING_STATES}
    outbox.update(store.outbox_counts())
    return {
        "campaign": campaign.id,
        "now": now.isoformat(),
        "deadline": campaign.deadline.isoformat(),
        # After `end` no reminder nor digest is sent (followup.campaign_end).
        "end": campaign_end(campaign).isoformat(),
        "ended": campaign_over(campaign, now.astimezone(campaign.tz).date()),
        "database": store.display_url,
        "messages": {"total": sum(by_category.values()), "by_category": by_category},
        "units": [p.to_json() for p in unit_progress(store, campaign, now)],
        "review": review_items(campaign, store, now),
        "outbox": outbox,
        # Mail that did not go out, or may not have (connection lost after DATA): for a person.
        "outbox_failed": [{"ref": outgoing_refs.get(row.id), "key": row.key, "kind": row.kind, "to": row.to, "subject": row.subject,
                           "state": row.state, "reason": row.last_error}
                          for row in store.outgoing_in_states("failed", "unknown")],
        # The secretary's commands (commands/), by mail or `intake-bot command`, oldest first.
        "commands": [{"ref": row.ref, "from": row.commander, "line": row.line, "result": row.result,
                      "at": row.at.astimezone(campaign.tz).isoformat()} for row in secretary.commands(store)],
    }


def review_items(campaign: Campaign, store: Store, now: dt.datetime) -> list[dict]:
    """The review queue as `status --json` and `review --json` show it, each item with its `#N`."""
    secretary.ensure_refs(store, now)
    refs = secretary.refs_of(store, "message")
    return [{"ref": refs.get(item.message_row_id), "message_id": item.message_id, "category": item.category,
             "unit": item.unit, "from": item.sender, "subject": item.subject,
             "bounced_addresses": item.bounced_addresses,
             "received_at": item.received_at.astimezone(campaign.tz).isoformat(),
             "reasons": item.reasons} for item in store.review_queue()]


def _local(iso: str | None, campaign: Campaign) -> str:
    if not iso:
        return "-"
    return dt.datetime.fromisoformat(iso).astimezone(campaign.tz).strftime("%Y-%m-%d %H:%M")


def format_status(campaign: Campaign, report: dict) -> str:
    """The same facts as a plain table for a terminal."""
    names = {uid: unit.short_name for uid, unit in campaign.units.items()}
    lines = [f"campaign {report['campaign']} · now {report['now']} · deadline {report['deadline']}",
             f"database {report['database']}", ""]
    if report["ended"]:
        lines[-1:-1] = [f"the campaign ended on {report['end']}: no more reminders nor digests are sent"]
    header = f"{'unit':<28} {'status':<14} {'received':<17} {'ver':>3} {'rows':>4} {'rem':>3}  missing"
    lines += [header, "-" * len(header)]
    for u in report["units"]:
        received = _local(u["received_at"], campaign)
        lines.append(f"{names.get(u['unit'], u['unit'])[:28]:<28} {u['status']:<14} {received:<17} "
                     f"{u['version'] or '-':>3} {u['appendix_rows']:>4} {u['reminders_sent']:>3}  "
                     f"{', '.join(u['missing']) or '-'}")
        notes = ([f"deadline {u['deadline']}"] if u["deadline"] != report["deadline"] else []) + \
                (["reminders paused"] if u["reminders_paused"] else [])
        notes += [f"request #{r['ref']} ({r['status']}, by {r['deadline']}): {r['text'][:50]}" for r in u["requests"]]
        lines += [f"{'':<28} {note}" for note in notes]
    counts = ", ".join(f"{k} {v}" for k, v in report["messages"]["by_category"].items() if v)
    lines += ["", f"messages: {report['messages']['total']} ({counts or 'none'})",
              "outbox: " + ", ".join(f"{k} {v}" for k, v in report["outbox"].items())]
    for item in report["outbox_failed"]:
        lines.append(f"  #{item['ref']} mail {item['state']}: {item['kind']} to {', '.join(item['to'])}: {item['reason'] or '-'}")
    if report["review"]:
        lines += ["", f"to review ({len(report['review'])}):"]
        for item in report["review"]:
            who = ", ".join(item["bounced_addresses"]) or item["from"]
            unit = names.get(item["unit"], item["unit"]) if item["unit"] else ""
            lines.append(f"  #{item['ref']} [{item['category']}] {unit + ' · ' if unit else ''}{who} · {item['subject'][:60]}")
            lines += [f"      - {reason}" for reason in item["reasons"][:4]]
    if report["commands"]:
        lines += ["", f"commands ({len(report['commands'])}):"]
        lines += [f"  #{c['ref']} {_local(c['at'], campaign)} {c['from']} {c['result']}: {c['line'][:70]}"
                  for c in report["commands"]]
    return "\n".join(lines)
