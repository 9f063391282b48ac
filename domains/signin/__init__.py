"""Signing in to the dashboard from elsewhere (CONTRACT §6): the `login` command.

Entry point: `feature.feature`. The command sends an operator a one-time link in their direct
message; the links and sessions themselves live in the kernel (`orchestrator.signin`), because
the web edge checks them on every request.
"""
