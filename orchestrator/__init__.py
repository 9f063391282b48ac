"""The kernel: routing, dispatch, outbox, event log. Speaks only canonical events and posts."""
