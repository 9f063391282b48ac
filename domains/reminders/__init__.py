"""Reminders and follow-ups (CONTRACT §7.2 `Remind <when>: <what>`, §7.5).

Entry points: `parse.parse_when` (the `<when>` grammar, used by `domains.status_lines` and the
agent's `follow_up` tool), `service.create` (one row), `service.due_ids` / `service.post_due`
(the scheduler's tick, `jobs.reminder_tick`), `feature.feature` (the `reminders` command, the
Done and Snooze buttons, the dashboard view and `reminders.md`), `service.open_reminders` and
`service.overdue` (status and briefs). This package imports no other feature.
"""
