"""Approvals (CONTRACT §7.4): nothing leaves the system without an operator's click.

Entry points: `service.propose` (a `Propose:` line or an agent's proposal), `feature.feature`
(the `approvals` command, Approve / Reject / Retry, dashboard view and export file).
`webhook` signs and POSTs an approved action; `delivery` runs that POST as a job, with retries,
and the reconciler's sweep of expired approvals and due deliveries.
"""
