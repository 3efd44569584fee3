"""The Discord adapter on discord.py 2.x.

- :mod:`adapters.discord.translate`: pure conversions between discord.py objects and the
  core types, and the rendering of answers and notices within Discord's limits;
- :mod:`adapters.discord.buttons`: the persistent buttons (custom ids carry their state);
- :mod:`adapters.discord.cog`: the ``/gmc`` and ``/gmc-settings`` commands and the message
  listener (mentions, DMs, screening);
- :mod:`adapters.discord.runner`: the client, the invite URL and ``run``.

``bot/`` never imports this package.
"""
