"""`intake-bot status`: where the campaign stands, as JSON (cli-contract.md) or a table."""
from __future__ import annotations

import datetime as dt

from .config import Campaign
from .followup import campaign_end, campaign_over
from .progress import unit_progress
from .store.db import Store

CATEGORIES = ("report", "unmatched", "no_attachment", "link_only", "unsupported", "auto_reply", "bounce", "other")
OUTBOX_STATES = ("queued", "sending", "sent", "failed", "unknown")


def status_report(campaign: Campaign, store: Store, now: dt.datetime) -> dict:
    by_category = {name: 0 for name in CATEGORIES}
    by_category.update(store.counts_by_category())
    outbox = {name: 0 for name in OUTBOX_STATES}
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
        "review": [{"message_id": item.message_id, "category": item.category, "unit": item.unit,
                    "from": item.sender, "subject": item.subject,
                    "received_at": item.received_at.astimezone(campaign.tz).isoformat(),
                    "reasons": item.reasons} for item in store.review_queue()],
        "outbox": outbox,
        # Mail that did not go out, or may not have (connection lost after DATA): for a person.
        "outbox_failed": [{"key": row.key, "kind": row.kind, "to": row.to, "subject": row.subject,
                           "state": row.state, "reason": row.last_error}
                          for row in store.outgoing_in_states("failed", "unknown")],
    }


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
    counts = ", ".join(f"{k} {v}" for k, v in report["messages"]["by_category"].items() if v)
    lines += ["", f"messages: {report['messages']['total']} ({counts or 'none'})",
              "outbox: " + ", ".join(f"{k} {v}" for k, v in report["outbox"].items())]
    for item in report["outbox_failed"]:
        lines.append(f"  mail {item['state']}: {item['kind']} to {', '.join(item['to'])}: {item['reason'] or '-'}")
    if report["review"]:
        lines += ["", f"to review ({len(report['review'])}):"]
        for item in report["review"]:
            lines.append(f"  [{item['category']}] {item['from']} · {item['subject'][:60]}")
            lines += [f"      - {reason}" for reason in item["reasons"][:4]]
    return "\n".join(lines)
