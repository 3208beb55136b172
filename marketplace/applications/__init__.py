"""The provider side of pools: open calls, applications, attachments."""
