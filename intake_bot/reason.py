"""A reason or a warning in both wordings: English for the operator, Vietnamese for the secretary."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    """One reason in both wordings: `en` for the operator (`classify --json`, `status`, the
    logs), `vi` for the secretary (the digest). Both are written as fragments (lower case first,
    unless a name starts them), so that one reason can be built into another; `Decision.add`
    makes the Vietnamese a sentence. The reader's warnings use the same pair, the Vietnamese
    written as a whole sentence (the digest shows it alone).
    Each reason is worded once, where it arises: a translation of the English afterwards would
    break on every file name, address and number it carries."""

    en: str
    vi: str

    def __add__(self, other: Reason) -> Reason:
        """The two wordings joined with "; " (one reason settled by a second one)."""
        return Reason(f"{self.en}; {other.en}", f"{self.vi}; {other.vi}")
