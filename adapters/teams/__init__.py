"""The Microsoft Teams adapter on the Teams SDK for Python: ``translate`` (activity JSON to
core types, pure), ``cards`` (Adaptive Cards, pure), ``app`` (the SDK app and its handlers),
``runner`` (uvicorn on a bound socket), ``checks``, ``manifest`` (the app package) and ``sdk``
(the SDK's loggers and environment). See docs/teams.md."""
