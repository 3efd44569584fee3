"""The review console: a small Starlette app (Jinja2 templates, htmx vendored under
``static/``, charts as server-rendered SVG) over the audit store. See docs/review.md."""
