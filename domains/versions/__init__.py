"""Charter versions, test cases, shadow runs and rollback (CONTRACT §7.7).

Entry points: `service` (sync the files, activate, roll back, notes), `cases` (a charter's own
test cases), `shadow` (a candidate beside the active version), `report`, `active` (the kernel's
`ActiveSource`) and `feature` (chat command, buttons, dashboard).
"""
