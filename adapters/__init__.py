"""Platform adapters: each translates its platform's events into calls to
:class:`bot.service.GuidanceBot` and renders the results back."""
