"""Notifiers: where digests and immediate notices go (e-mail, a file drop, a JSON webhook,
a Telegram bot). Each registers under the ``monitor.notifiers`` entry-point group."""
