"""intake-bot: collects supervision reports from a committee mailbox."""

__version__ = "0.1.0"
