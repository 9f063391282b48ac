"""The cross-domain inbox (CONTRACT §7.3): `Ask <domain>: …` becomes an entry in that domain's
inbox, with a card (Accept, Done, Decline) in its channel.

Entry points: `service.ask` (from a status line or an agent's handoff), `feature.feature` (the
`inbox` command, buttons, dashboard view and export file). `models` holds the tables, `cards`
what each status looks like, `views` the dashboard and Markdown renderings.
"""
