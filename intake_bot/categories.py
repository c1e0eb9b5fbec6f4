"""The names of what classify decides about a message: its category (what it is) and its action
(what the pass does with it). One spelling for every module that decides, stores, counts or
shows them; the strings are what the database, `classify --json` and `status --json` hold.

    category       action
    report         acknowledge | ask_for_missing | ask_for_docx  (review when no reply may go)
    unmatched      review
    unsupported    ask_for_resend | review
    link_only      ask_for_file | review       (ask_for_file: a unit's link, answered and reviewed)
    no_attachment  acknowledge_note | review   (acknowledge_note: a unit's note, likewise)
    auto_reply     ignore
    bounce         notify_secretary | ignore
    other          ignore | review (a forged commander's mail)
                   | execute_commands (the secretary's command mail: the categories of docs/json.md
                                       are fixed, the action tells it)
"""
from __future__ import annotations

REPORT = "report"
UNMATCHED = "unmatched"
NO_ATTACHMENT = "no_attachment"
LINK_ONLY = "link_only"
UNSUPPORTED = "unsupported"
AUTO_REPLY = "auto_reply"
BOUNCE = "bounce"
OTHER = "other"
# In the order `status` counts them.
CATEGORIES = (REPORT, UNMATCHED, NO_ATTACHMENT, LINK_ONLY, UNSUPPORTED, AUTO_REPLY, BOUNCE, OTHER)
# Mail held for review that carries no readable report: the secretary may assign it, dismiss it,
# or mark the unit's paper copy.
WITHOUT_REPORT = (NO_ATTACHMENT, LINK_ONLY, UNSUPPORTED)

ACKNOWLEDGE = "acknowledge"
ASK_FOR_MISSING = "ask_for_missing"
ASK_FOR_DOCX = "ask_for_docx"
ASK_FOR_RESEND = "ask_for_resend"
ASK_FOR_FILE = "ask_for_file"
ACKNOWLEDGE_NOTE = "acknowledge_note"
REVIEW = "review"
NOTIFY_SECRETARY = "notify_secretary"
EXECUTE_COMMANDS = "execute_commands"
IGNORE = "ignore"
# The actions that answer the sender (compose.acknowledgement writes each).
REPLY_ACTIONS = (ACKNOWLEDGE, ASK_FOR_MISSING, ASK_FOR_DOCX, ASK_FOR_RESEND, ASK_FOR_FILE, ACKNOWLEDGE_NOTE)
# Replies that leave the message in the secretary's review: a link to fetch, a note to read.
REVIEWED_REPLIES = (ASK_FOR_FILE, ACKNOWLEDGE_NOTE)
# The actions that open an item in the secretary's review queue.
REVIEW_ACTIONS = (REVIEW, NOTIFY_SECRETARY, *REVIEWED_REPLIES)
