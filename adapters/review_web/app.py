"""The review console's routes (Starlette). ``build_app(settings, records, store)``.

Contract:
- without a live session only ``/signin`` (and the Entra ID sign-in when configured) and
  ``/static/*`` answer; a page redirects to ``/signin`` (303), anything else answers 401;
- every form carries a CSRF token (the session's; before sign-in, one tied to a random
  cookie) checked on every POST; cookies are HttpOnly, SameSite=Lax and Secure over TLS;
- a wrong password is a 401 with the form again, never an error page; repeated failures
  lock the account (bot.store.review_store);
- decisions go through bot.review like the chat buttons; every view and action is logged
  with the reviewer's pseudonym;
- pages show only redacted text, rule reasons, paragraph references, channel ids and
  pseudonyms (never a raw user id: the store has none).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from adapters.review_web.data import AGES, STATUS_LABELS, Explainer, Filters, now_utc, trends
from bot import (
    CONSOLE_PERMISSIONS,
    IDLE_MINUTES,
    LOCK_MINUTES,
    MAX_FAILURES,
    Actor,
    Category,
    FeedbackRecord,
    FlagRecord,
    FlagStatus,
    Permission,
    RateLimiter,
    ReviewStore,
    Role,
    Session,
    Settings,
    SqlRecords,
    decide,
    may,
)

log = logging.getLogger("adapters.review_web")
HERE = Path(__file__).parent
COOKIE = "gmcbot_review"
PRE_COOKIE = "gmcbot_signin"
SIGNIN_PER_MINUTE = 10  # sign-in attempts per client address, against password spraying
TOO_MANY = "Too many sign-in attempts from this address. Please wait a minute and try again."
SIGNIN_FAILED = (
    "That name and password did not match an account, or the account is locked after "
    f"{MAX_FAILURES} failed attempts (it unlocks after {LOCK_MINUTES} minutes, or ask the IG lead)."
)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
DONE = {
    "changed": "Your decision is recorded.",
    "unchanged": "The flag already had that outcome.",
    "refused": "That change is not allowed (see Help).",
    "unavailable": "The database is unavailable; try again.",
}
PERMISSION_TEXT = {
    Permission.VIEW: "view the queue, flags and trends",
    Permission.DECIDE: "decide flags",
    Permission.EXPORT: "export CSV",
    Permission.RETENTION: "purge old records",
    Permission.ACTIVITY: "see the console's activity log",
    Permission.ACCOUNTS: "manage accounts (command line)",
}


class Console:
    """Everything the routes share."""

    def __init__(
        self,
        settings: Settings,
        records: SqlRecords,
        store: ReviewStore,
        oidc: Any = None,
        signin_per_minute: int = SIGNIN_PER_MINUTE,
    ) -> None:
        self.settings = settings
        self.records = records
        self.store = store
        self.oidc = oidc
        self.explainer = Explainer()
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True)
        self.templates = Jinja2Templates(env=env)
        self.templates.env.globals.update(
            STATUS_LABELS=STATUS_LABELS,
            CATEGORIES=[c.value for c in Category],
            AGES=list(AGES),
            Permission=Permission,
            may=may,
        )
        self.templates.env.filters["utc"] = lambda ts: datetime.fromtimestamp(float(ts), UTC).strftime("%Y-%m-%d %H:%M")
        self._signin_key = hmac.new(store.derive("review-signin"), b"csrf", hashlib.sha256).digest()
        self.signin_limit = RateLimiter(signin_per_minute)

    # -- helpers --------------------------------------------------------------------------
    def secure(self, request: Request) -> bool:
        return request.url.scheme == "https" or self.settings.review_secure_cookies

    def set_cookie(self, request: Request, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name, value, max_age=max_age, httponly=True, samesite="lax", secure=self.secure(request), path="/"
        )

    def session(self, request: Request) -> Session | None:
        return self.store.session(request.cookies.get(COOKIE, ""))

    def signin_token(self, pre: str) -> str:
        return hmac.new(self._signin_key, pre.encode("utf-8"), hashlib.sha256).hexdigest()

    def page(
        self, request: Request, template: str, session: Session | None, status_code: int = 200, **context: Any
    ) -> Response:
        context.update(session=session, role=session.role if session else "", oidc=self.oidc is not None)
        return self.templates.TemplateResponse(request, template, context, status_code=status_code)

    def audit(self, session: Session, action: str, detail: str = "") -> None:
        self.store.log(session.reviewer_hash, session.role, action, detail)


def _csrf_ok(session: Session, form: Any, request: Request) -> bool:
    sent = str(form.get("csrf", "") or request.headers.get("x-csrf-token", ""))
    return bool(sent) and secrets.compare_digest(sent, session.csrf)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        if request.url.scheme == "https":
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response


def build_app(
    settings: Settings,
    records: SqlRecords,
    store: ReviewStore,
    *,
    oidc: Any = None,
    signin_per_minute: int = SIGNIN_PER_MINUTE,
) -> Starlette:
    c = Console(settings, records, store, oidc, signin_per_minute)

    def guarded(permission: Permission) -> Callable[[Callable[..., Any]], Callable[[Request], Awaitable[Response]]]:
        """A route needing a session whose role has ``permission``; the handler runs in a
        thread (the store is synchronous) with the form already read for POSTs."""

        def wrap(handler: Callable[..., Response]) -> Callable[[Request], Awaitable[Response]]:
            async def endpoint(request: Request) -> Response:
                session = await run_in_threadpool(c.session, request)
                if session is None:
                    if request.method == "GET" and not _is_htmx(request):
                        return RedirectResponse("/signin", status_code=303)
                    return PlainTextResponse("Sign in first.", status_code=401, headers={"HX-Redirect": "/signin"})
                form = await request.form() if request.method == "POST" else None
                if form is not None and not _csrf_ok(session, form, request):
                    return PlainTextResponse(
                        "The form expired or did not come from this console. Reload the page and try again.",
                        status_code=403,
                    )
                if not may(session.role, permission):
                    await run_in_threadpool(c.audit, session, "refused", permission.value)
                    return await run_in_threadpool(
                        lambda: c.page(
                            request,
                            "error.html",
                            session,
                            403,
                            title="Not for your role",
                            message=f"Your role ({session.role}) cannot {PERMISSION_TEXT[permission]}.",
                        )
                    )
                return await run_in_threadpool(handler, request, session, form)

            return endpoint

        return wrap

    # -- sign-in --------------------------------------------------------------------------
    def signin_form(request: Request, status_code: int = 200, error: str = "", name: str = "") -> Response:
        pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
        response = c.page(request, "signin.html", None, status_code, error=error, name=name, csrf=c.signin_token(pre))
        c.set_cookie(request, response, PRE_COOKIE, pre, 3600)
        return response

    async def signin(request: Request) -> Response:
        if request.method == "GET":
            session = await run_in_threadpool(c.session, request)
            if session is not None:
                return RedirectResponse("/queue", status_code=303)
            return signin_form(request)
        form = await request.form()
        name = str(form.get("name", ""))[:64].strip()
        password = str(form.get("password", ""))[:1024]
        pre = request.cookies.get(PRE_COOKIE, "")
        if not pre or not secrets.compare_digest(str(form.get("csrf", "")), c.signin_token(pre)):
            return signin_form(request, 403, "The sign-in form expired. Please try again.", name)
        if not name or not password:
            return signin_form(request, 401, "Enter your account name and password.", name)
        if not c.signin_limit.allow(request.client.host if request.client else "?"):
            return signin_form(request, 429, TOO_MANY, name)
        role = await run_in_threadpool(store.authenticate, name, password)
        identity = f"review:{name}"  # Session.identity
        if role is None:
            await run_in_threadpool(store.log, store.pseudonym(identity), "", "sign-in-failed", "local")
            return signin_form(request, 401, SIGNIN_FAILED, name)
        if request.cookies.get(COOKIE):  # a new session, never the one the browser came with
            await run_in_threadpool(store.end_session, request.cookies[COOKIE])
        token = await run_in_threadpool(store.start_session, name, role, identity, "local")
        await run_in_threadpool(store.log, store.pseudonym(identity), role, "sign-in", "local")
        response = RedirectResponse("/queue", status_code=303)
        c.set_cookie(request, response, COOKIE, token, IDLE_MINUTES * 60 * 24)
        response.delete_cookie(PRE_COOKIE, path="/")
        return response

    @guarded(Permission.VIEW)
    def signout(request: Request, session: Session, form: Any) -> Response:
        c.audit(session, "sign-out")
        store.end_session(request.cookies.get(COOKIE, ""))
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    async def home(request: Request) -> Response:
        session = await run_in_threadpool(c.session, request)
        return RedirectResponse("/queue" if session else "/signin", status_code=303)

    # -- queue, flag, decisions -------------------------------------------------------------
    def queue_rows(filters: Filters) -> tuple[list[Any], int]:
        status = None if filters.status == "all" else FlagStatus(filters.status)
        flags = filters.apply(
            records.flags(since=filters.since(now_utc()), status=status, channel=filters.channel or None)
        )
        now = now_utc().timestamp()
        return [c.explainer.row(f, now) for f in flags[:200]], len(flags)

    @guarded(Permission.VIEW)
    def queue(request: Request, session: Session, form: Any) -> Response:
        filters = Filters.parse(request.query_params)
        rows, total = queue_rows(filters)
        c.audit(session, "view-queue", filters.describe())
        template = (
            "_queue_table.html" if _is_htmx(request) and request.headers.get("hx-target") == "queue" else "queue.html"
        )
        return c.page(
            request, template, session, rows=rows, total=total, filters=filters, export_query=urlencode(filters.query())
        )

    @guarded(Permission.VIEW)
    def flag_page(request: Request, session: Session, form: Any) -> Response:
        flag_id = request.path_params["flag_id"]
        record = records.flag(flag_id)
        if record is None:
            return c.page(
                request,
                "error.html",
                session,
                404,
                title="No such flag",
                message="That flag does not exist (it may have been purged).",
            )
        c.audit(session, "view-flag", flag_id)
        done = DONE.get(request.query_params.get("done", ""), "")
        return c.page(
            request,
            "flag.html",
            session,
            row=c.explainer.row(record, now_utc().timestamp()),
            events=records.flag_events(flag_id),
            done=done,
        )

    @guarded(Permission.DECIDE)
    def decide_flag(request: Request, session: Session, form: Any) -> Response:
        flag_id = request.path_params["flag_id"]
        try:
            status = FlagStatus(str(form.get("status", "")))
        except ValueError:
            return PlainTextResponse("Unknown decision.", status_code=400)
        decision = decide(
            records,
            flag_id,
            status,
            Actor(user_id=session.identity),
            Role(session.role),
            vouched=True,
            source="console",
        )
        c.audit(session, "decide", f"{flag_id} {status.value} {decision.outcome.value}")
        if decision.flag is None:
            return c.page(request, "error.html", session, 404, title="No such flag", message=decision.message)
        notice = decision.message or f"Recorded: {STATUS_LABELS[status.value].lower()}."
        if _is_htmx(request):
            row = c.explainer.row(decision.flag, now_utc().timestamp())
            return c.page(
                request, "_row.html", session, row=row, notice=notice, refused=not decision.ok, status_code=200
            )
        return RedirectResponse(f"/flags/{flag_id}?{urlencode({'done': decision.outcome.value})}", status_code=303)

    # -- trends, export, retention, activity ------------------------------------------------
    @guarded(Permission.VIEW)
    def trends_page(request: Request, session: Session, form: Any) -> Response:
        try:
            weeks = min(max(int(request.query_params.get("weeks", "12")), 1), 104)
        except ValueError:
            weeks = 12
        now = now_utc()
        since = now - timedelta(weeks=weeks)
        charts = trends(
            records.flags(since=since),
            records.flag_events(),
            records.feedback(since),
            records.declines(since),
            now,
            weeks,
        )
        c.audit(session, "view-trends", f"weeks={weeks}")
        return c.page(request, "trends.html", session, charts=charts, weeks=weeks)

    @guarded(Permission.EXPORT)
    def export(request: Request, session: Session, form: Any) -> Response:
        from adapters.cli.audit_cmds import feedback_json, flag_json

        table = "feedback" if request.query_params.get("table") == "feedback" else "flags"
        if table == "flags":
            filters = Filters.parse({**request.query_params, "status": request.query_params.get("status", "all")})
            status = None if filters.status == "all" else FlagStatus(filters.status)
            rows = [
                flag_json(f)
                for f in filters.apply(
                    records.flags(since=filters.since(now_utc()), status=status, channel=filters.channel or None)
                )
            ]
            columns = [f.name for f in fields(FlagRecord)]
        else:
            rows = [feedback_json(f) for f in records.feedback()]
            columns = [f.name for f in fields(FeedbackRecord)]
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(v) for k, v in row.items()})
        c.audit(session, "export", f"{table} rows={len(rows)}")
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="gmcbot-{table}.csv"'},
        )

    def days_of(form: Any) -> int | None:
        try:
            days = int(str(form.get("days", "")))
        except ValueError:
            return None
        return days if 1 <= days <= 3650 else None

    @guarded(Permission.RETENTION)
    def retention(request: Request, session: Session, form: Any) -> Response:
        c.audit(session, "view-retention")
        return c.page(
            request,
            "retention.html",
            session,
            retention_days=settings.retention_days,
            days=settings.retention_days or 365,
        )

    @guarded(Permission.RETENTION)
    def retention_preview(request: Request, session: Session, form: Any) -> Response:
        days = days_of(form)
        if days is None:
            return c.page(
                request,
                "retention.html",
                session,
                400,
                retention_days=settings.retention_days,
                days=365,
                error="Enter a number of days between 1 and 3650.",
            )
        counts = records.purge(timedelta(days=days), dry_run=True)
        c.audit(session, "purge-preview", f"days={days} flags={counts.flags} feedback={counts.feedback}")
        return c.page(request, "purge_confirm.html", session, days=days, counts=counts)

    @guarded(Permission.RETENTION)
    def retention_purge(request: Request, session: Session, form: Any) -> Response:
        days = days_of(form)
        if days is None or form.get("confirm") != "yes":
            return c.page(
                request,
                "retention.html",
                session,
                400,
                retention_days=settings.retention_days,
                days=days or 365,
                error="Nothing was deleted: confirm the purge on the next page.",
            )
        counts = records.purge(timedelta(days=days))
        c.audit(session, "purge", f"days={days} flags={counts.flags} feedback={counts.feedback}")
        return c.page(
            request, "retention.html", session, retention_days=settings.retention_days, days=days, purged=counts
        )

    @guarded(Permission.ACTIVITY)
    def activity(request: Request, session: Session, form: Any) -> Response:
        entries = store.entries()
        c.audit(session, "view-activity")
        return c.page(request, "activity.html", session, entries=entries)

    @guarded(Permission.VIEW)
    def help_page(request: Request, session: Session, form: Any) -> Response:
        c.audit(session, "view-help")
        return c.page(request, "help.html", session, permissions=CONSOLE_PERMISSIONS, texts=PERMISSION_TEXT)

    routes: list[Any] = [
        Route("/", home),
        Route("/signin", signin, methods=["GET", "POST"]),
        Route("/signout", signout, methods=["POST"]),
        Route("/queue", queue),
        Route("/flags/{flag_id:str}", flag_page),
        Route("/flags/{flag_id:str}/decide", decide_flag, methods=["POST"]),
        Route("/trends", trends_page),
        Route("/export.csv", export),
        Route("/retention", retention),
        Route("/retention/preview", retention_preview, methods=["POST"]),
        Route("/retention/purge", retention_purge, methods=["POST"]),
        Route("/activity", activity),
        Route("/help", help_page),
        Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    if oidc is not None:
        routes[2:2] = oidc.routes(c)

    async def not_found(request: Request, exc: Exception) -> Response:
        session = await run_in_threadpool(c.session, request)
        if session is None:
            if request.method == "GET":
                return RedirectResponse("/signin", status_code=303)
            return PlainTextResponse("Sign in first.", status_code=401)
        return await run_in_threadpool(
            lambda: c.page(request, "error.html", session, 404, title="Not found", message="There is no page here.")
        )

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("review console error: %s", type(exc).__name__)
        return PlainTextResponse("Something went wrong on our side; it has been logged.", status_code=500)

    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={404: not_found, 405: not_found, 500: server_error},
    )
    app.state.console = c
    return app


def _cell(value: Any) -> Any:
    """A CSV cell that spreadsheets will not run as a formula."""
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
