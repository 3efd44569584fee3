"""``gmcbot serve review``: the review console in the browser (docs/review.md). The web
framework is imported only when the command runs."""

from __future__ import annotations

import argparse

from adapters.cli.common import settings_from
from bot import ConfigError


def register(ssub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    review = ssub.add_parser(
        "review",
        help="run the review console for IG leads, moderators and auditors",
        description="Serve the review console (queue of flags, decisions, trends, export, retention) on "
        "HOST:PORT, reading the same database as the chat adapters. Accounts: gmcbot review-users. Put it "
        "behind a TLS reverse proxy for anything but this machine. See docs/review.md.",
    )
    review.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    review.add_argument("--port", type=int, default=8080, metavar="N", help="port (default 8080; 0 picks a free one)")
    review.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        metavar="IPS",
        help="proxies trusted for X-Forwarded-Proto/For (default 127.0.0.1)",
    )
    review.set_defaults(func=cmd_serve_review)


def cmd_serve_review(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be between 0 and 65535, got {args.port}")
    from adapters.cli.serve_cmds import configure_server_logging
    from adapters.review_web.runner import serve

    settings = settings_from(args)
    say = configure_server_logging(args, settings)
    serve(settings, host=args.host, port=args.port, forwarded_allow_ips=args.forwarded_allow_ips, say=say)
    return 0
