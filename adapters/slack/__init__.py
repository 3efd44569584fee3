"""The Slack adapter, on slack-bolt.

- :mod:`adapters.slack.translate`: pure functions, Slack payloads and markup -> core types;
- :mod:`adapters.slack.blocks`: pure functions, core types -> Block Kit (escaped, within limits);
- :mod:`adapters.slack.client`: the Web API client with retry handlers, and sending helpers;
- :mod:`adapters.slack.app`: ``build_app(bot, settings, client)``, the Bolt listeners;
- :mod:`adapters.slack.runner`: Socket Mode (default) or an HTTP server.

Importing this package imports nothing from slack-bolt; the modules that need it do.
"""
