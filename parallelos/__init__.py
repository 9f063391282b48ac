"""The composition root: the one place that knows every layer.

`parallelos.wiring` builds the system explicitly for each process (web, worker, scheduler,
CLI): settings, database, charters, router, senders, queue, the staff, and the one list of
features. `parallelos.cli` is the `parallelos` command. Nothing below this package imports it,
except `bot.app`, the web process's entry point named in the Procfile.
"""
