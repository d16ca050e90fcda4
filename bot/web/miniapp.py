"""The Mini App: a campaign's plan as a table inside Telegram (issue 14).

One page (server-rendered shell, `static/miniapp.js` draws the table and the chart; no
build step) and a small JSON API under `/miniapp/api/`. Every API call carries
Telegram's signed `initData` in the `X-Telegram-Init-Data` header; nothing in the URL
grants anything by itself. After the signature:

* the campaign is looked up by id and the signed user must be a member of its team
  (anyone else — an outsider, another team's member — gets "no such campaign", the
  same answer as for an id that does not exist);
* then the chat's role table (`bot.domain.permissions`): viewers read, editors edit.

Prices come from the plan service and edits go through the chat's enrolment path
(`campaigns.enrol`, held under the floor until confirmed, then
`campaigns.settle_under_floor`), so the pricing engine, the margin checks and the
audit trail are the chat's own. Typed numbers are read by the chat's parsers
(`parse_choice`: amounts and percentages within SPEC §4.2's bounds).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot import limits
from bot.config import Settings
from bot.context import RUNTIME_KEY, Runtime
from bot.db import models
from bot.db.uow import UnitOfWork
from bot.domain.enums import Role
from bot.domain.errors import N_, NotAllowed, NotFound, UserFacingError, UserInputError
from bot.domain.permissions import Action
from bot.handlers.common import render_user_error
from bot.handlers.enrolment import parse_choice
from bot.i18n import Translator, negotiate_locale
from bot.pricing import currency_digits
from bot.runtime.cooperative import heavy_work
from bot.services import access as access_service
from bot.services import campaigns
from bot.services.plan import PlanRow, PlanStatus, build_plan
from bot.views.campaigns import MODE_LABELS, STATUS_LABELS
from bot.web.initdata import InitData, InvalidInitData, sign_init_data, validate_init_data
from bot.web.links import PREFIX, page_url

log = logging.getLogger(__name__)

INIT_DATA_HEADER = "X-Telegram-Init-Data"
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"miniapp.js": "text/javascript", "miniapp.css": "text/css"}
MAX_BODY = 2048  # an edit is a few dozen bytes
# the page loads only its own files and Telegram's script, and talks only to this server
CSP = (
    "default-src 'none'; script-src 'self' https://telegram.org; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'"
)

SIGN_IN_AGAIN = N_(
    "This page could not confirm who you are (the sign-in is missing, not from Telegram, "
    "or too old). Close it and open it again from the chat."
)
NO_CAMPAIGN = N_("There is no campaign #{id} that you can see. /campaigns lists yours.")
NOT_ENROLLABLE = N_("That SKU is not in this team's catalogue.")
BAD_EDIT = N_("Send either a planned price or a discount, like 19.99 or 15%.")


# -- what the page shows -------------------------------------------------------------------


def ui_strings(_: Translator) -> dict[str, str]:
    """Every text the page's script shows, in the reader's language."""
    return {
        "title": _("Plan"),
        "loading": _("Loading the plan…"),
        "search": _("Search SKU"),
        "all_statuses": _("All statuses"),
        "all_margins": _("All margins"),
        "below_target": _("Below the target margin"),
        "at_target": _("At or above the target margin"),
        "sku": _("SKU"),
        "list_price": _("List price"),
        "planned_price": _("Planned price"),
        "discount": _("Discount"),
        "floor": _("Floor"),
        "customer_floor": _("Lowest safe price"),
        "margin": _("Margin"),
        "status": _("Status"),
        "edit": _("Edit"),
        "save": _("Save"),
        "cancel": _("Cancel"),
        "save_anyway": _("Save anyway"),
        "price_or_discount": _("New planned price, or a discount like 15%"),
        "price_placeholder": _("Price, e.g. 19.99"),
        "discount_placeholder": _("Discount, e.g. 15%"),
        "saving": _("Saving…"),
        "read_only": _("You can read this plan; editing needs the editor role."),
        "chart_title": _("Margins of the enrolled SKUs against the target"),
        "chart_target": _("target {value}"),
        "chart_empty": _("No enrolled SKU has a margin yet."),
        "shown": _("{shown} of {total} SKUs shown"),
        "no_rows": _("No SKU matches."),
        "not_enrolled_mark": _("not enrolled"),
        "accepted_mark": _("under floor, accepted"),
        "choose_campaign": _("Choose a campaign"),
        "no_campaigns": _("You have no campaigns to show yet."),
        "error": _("Something went wrong. Try again."),
        "sort_by": _("Sort by {column}"),
    }


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


class _Cells:
    """Formatted cells of one answer. Babel takes ~60 µs a number and a plan's prices
    repeat (price points, grid prices), so each value is formatted once."""

    def __init__(self, _: Translator, currency: str) -> None:
        self._ = _
        self.currency = currency
        self._money: dict[Decimal, str] = {}
        self._percent: dict[Decimal, str] = {}

    def money(self, value: Decimal | None) -> str:
        if value is None:
            return "—"
        if value not in self._money:
            self._money[value] = self._.money(value, self.currency)
        return self._money[value]

    def percent(self, value: Decimal | None) -> str:
        if value is None:
            return "—"
        if value not in self._percent:
            self._percent[value] = self._.percent(value)
        return self._percent[value]


def rows_json(_: Translator, rows: Sequence[PlanRow], currency: str) -> list[dict[str, Any]]:
    cells = _Cells(_, currency)
    return [row_json(_, row, currency, cells) for row in rows]


def row_json(
    _: Translator, row: PlanRow, currency: str, cells: _Cells | None = None
) -> dict[str, Any]:
    cells = cells or _Cells(_, currency)
    money, percent = cells.money, cells.percent

    return {
        "sku_id": row.sku_id,
        "code": row.code,
        "name": row.name,
        "enrolled": row.enrolled,
        "eligible": row.eligible,
        "mode": None if row.mode is None else row.mode.value,
        "mode_label": None if row.mode is None else _(MODE_LABELS[row.mode]),
        "status": row.status.value,
        "status_label": _(STATUS_LABELS[row.status]),
        "accepted": row.under_floor_accepted,
        "list_price": _amount(row.list_price),
        "planned_price": _amount(row.planned_price),
        "discount": _amount(row.discount),
        "floor": _amount(row.floor),
        "customer_floor": _amount(row.customer_floor),
        "margin": _amount(row.margin),
        "text": {
            "list_price": money(row.list_price),
            "planned_price": money(row.planned_price),
            "discount": percent(row.discount),
            "floor": money(row.floor),
            "customer_floor": money(row.customer_floor),
            "margin": percent(row.margin),
        },
    }


# -- the app ---------------------------------------------------------------------------------


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Caller:
    init: InitData
    translator: Translator


# a use case of the API: (HTTP status, JSON body), or a UserFacingError
Work = Callable[[UnitOfWork, Caller], Awaitable[tuple[int, dict[str, Any]]]]


class MiniApp:
    def __init__(self, application: Any, settings: Settings) -> None:
        self._application = application
        self.settings = settings

    @property
    def runtime(self) -> Runtime:
        runtime = self._application.bot_data[RUNTIME_KEY]
        assert isinstance(runtime, Runtime)
        return runtime

    def _bot_token(self) -> str:
        token = self.settings.bot_token
        assert token is not None  # the application cannot be built without one
        return token.get_secret_value()

    def _fallback_translator(self, request: Request) -> Translator:
        """Before the caller is known: the browser's language."""
        header = request.headers.get("accept-language", "")
        first = header.split(",", 1)[0].split(";", 1)[0].strip()[:16]
        return Translator(
            negotiate_locale(first or None, self.settings.default_locale),
            self.settings.default_timezone,
        )

    def _init_data(self, request: Request) -> InitData:
        raw = request.headers.get(INIT_DATA_HEADER, "")
        try:
            return validate_init_data(
                raw,
                self._bot_token(),
                max_age=self.settings.miniapp_max_age,
                now=self.runtime.clock.now(),
            )
        except InvalidInitData as exc:
            log.info("Mini App request refused: %s", exc)
            raise ApiError(401, self._fallback_translator(request)(SIGN_IN_AGAIN)) from None

    async def _caller(self, uow: UnitOfWork, init: InitData) -> Caller:
        """The reader's language and zone: their own choice in the bot, else Telegram's."""
        user = await uow.session.get(models.User, init.user.id)
        settings = self.settings
        language = init.user.language_code or (user.language_code if user is not None else None)
        locale = (user.locale if user is not None else None) or negotiate_locale(
            language, settings.default_locale
        )
        zone = (user.timezone if user is not None else None) or settings.default_timezone
        return Caller(init, Translator(locale, zone))

    async def _load(
        self, uow: UnitOfWork, caller: Caller, campaign_id: int, action: Action
    ) -> tuple[access_service.TeamAccess, models.Campaign]:
        """The campaign, if the signed user is a member of its team with the role for
        `action`; else the same "no such campaign" whether it exists or not."""
        campaign = (
            await uow.session.get(models.Campaign, campaign_id)
            if limits.row_id_in_range(campaign_id)
            else None
        )
        member = (
            None
            if campaign is None
            else await access_service.membership(uow, campaign.team_id, caller.init.user.id)
        )
        if campaign is None or member is None:
            raise NotFound(NO_CAMPAIGN, id=campaign_id)
        access = await access_service.access_to_team(uow, caller.init.user.id, campaign.team_id)
        access.require(action)
        return access, campaign

    async def _api(self, request: Request, work: Work, *, heavy: bool = False) -> Response:
        """Validate initData, run `work(uow, caller)` and answer JSON; refusals are
        localized messages with their HTTP status, never a traceback. `heavy`: the work
        prices a whole campaign (it takes its turn: `cooperative.heavy_work`)."""
        try:
            init = self._init_data(request)
            async with (
                heavy_work() if heavy else contextlib.nullcontext(),
                self.runtime.uow_factory() as uow,
            ):
                caller = await self._caller(uow, init)
                try:
                    status, body = await work(uow, caller)
                except UserFacingError as error:
                    raise ApiError(
                        _status_of(error), _plain(render_user_error(error, caller.translator))
                    ) from None
        except ApiError as error:
            return JSONResponse({"error": error.message}, status_code=error.status)
        return JSONResponse(body, status_code=status)

    # -- routes ----------------------------------------------------------------------------

    async def page(self, request: Request) -> Response:
        _ = self._fallback_translator(request)
        body = PAGE.format(
            lang=html.escape(_.locale.replace("_", "-")),
            title=html.escape(_("Plan")),
            loading=html.escape(_("Loading the plan…")),
            no_script=html.escape(_("This page needs JavaScript.")),
            prefix=PREFIX,
        )
        return HTMLResponse(body, headers={"Content-Security-Policy": CSP})

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC_FILES:
            return Response(status_code=404)
        return FileResponse(
            STATIC_DIR / name,
            media_type=STATIC_FILES[name],
            headers={"Cache-Control": "no-cache"},
        )

    async def campaign_list(self, request: Request) -> Response:
        async def work(uow: UnitOfWork, caller: Caller) -> tuple[int, dict[str, Any]]:
            rows = (
                await uow.session.execute(
                    select(models.Campaign.id, models.Campaign.name, models.Team.name)
                    .join(models.Team, models.Team.id == models.Campaign.team_id)
                    .join(models.Membership, models.Membership.team_id == models.Team.id)
                    .where(models.Membership.user_id == caller.init.user.id)
                    .order_by(models.Campaign.starts_at.desc(), models.Campaign.id)
                )
            ).all()
            return 200, {
                "locale": caller.translator.locale,
                "strings": ui_strings(caller.translator),
                "campaigns": [{"id": cid, "name": name, "team": team} for cid, name, team in rows],
            }

        return await self._api(request, work)

    async def plan(self, request: Request) -> Response:
        campaign_id = int(request.path_params["campaign_id"])

        async def work(uow: UnitOfWork, caller: Caller) -> tuple[int, dict[str, Any]]:
            access, campaign = await self._load(uow, caller, campaign_id, Action.READ)
            now = self.runtime.clock.now()
            plan = await build_plan(uow, access.team, campaign, now)
            _ = caller.translator
            currency = plan.currency
            target = plan.pricing.target_margin
            return 200, {
                "locale": _.locale,
                "strings": ui_strings(_),
                "statuses": {status.value: _(STATUS_LABELS[status]) for status in PlanStatus},
                "campaign": {
                    "id": campaign.id,
                    "name": campaign.name,
                    "channel": plan.channel.name,
                    "currency": currency,
                    "target_margin": _amount(target),
                    "target_margin_text": _.percent(target),
                },
                "role": access.role.value,
                "role_label": _(access.role.label),
                "can_edit": access.role.at_least(Role.EDITOR),
                # formatting 5,000 rows takes a second or two: not on the event loop,
                # which also serves the bot's webhook
                "rows": await asyncio.to_thread(rows_json, _, [*plan.rows, *plan.others], currency),
            }

        return await self._api(request, work, heavy=True)

    async def edit(self, request: Request) -> Response:
        campaign_id = int(request.path_params["campaign_id"])
        sku_id = int(request.path_params["sku_id"])
        payload = _json_object(await _bounded_body(request))

        async def work(uow: UnitOfWork, caller: Caller) -> tuple[int, dict[str, Any]]:
            access, campaign = await self._load(uow, caller, campaign_id, Action.EDIT_CAMPAIGN)
            if payload is None:
                raise UserInputError(BAD_EDIT)
            sku = (
                await uow.session.get(models.Sku, sku_id)
                if limits.row_id_in_range(sku_id)
                else None
            )
            if sku is None or sku.team_id != access.team_id:
                raise NotFound(NOT_ENROLLABLE)
            channel = await uow.session.get(models.Channel, campaign.channel_id)
            assert channel is not None
            options = {
                key: value
                for key, value in payload.items()
                if key in ("price", "discount") and isinstance(value, str) and value.strip()
            }
            if len(options) != 1 or set(payload) - {"price", "discount", "confirm"}:
                raise UserInputError(BAD_EDIT)
            choice = parse_choice(options, currency_digits(channel.currency))
            assert choice is not None
            confirm = payload.get("confirm") is True
            now = self.runtime.clock.now()
            before = await _planned(uow, campaign.id, sku.id)
            _ = caller.translator
            currency = channel.currency
            result = await campaigns.enrol(uow, access, campaign, [sku.code], choice, now)
            if result.pending_id is not None:  # under the floor: nothing saved unless confirmed
                held = result.held[0]
                if not confirm:
                    return 409, {
                        "needs_confirm": True,
                        "question": _under_floor_question(_, held, currency, result.target_margin),
                        "row": row_json(_, held, currency),
                    }
                settled = await campaigns.settle_under_floor(
                    uow, access, result.pending_id, True, now
                )
                assert settled is not None and settled.result is not None
                rows = settled.result.rows
            else:
                rows = result.rows
            row = rows[0]
            campaigns.audit(
                uow,
                campaign.id,
                access.team_id,
                access.user.id,
                now,
                "plan_edit",
                {
                    "sku": sku.code,
                    "planned_price": [before, _amount(row.planned_price)],
                    "mode": choice.mode.value,
                    "discount": _amount(choice.discount),
                    "via": "miniapp",
                },
            )
            await uow.commit()
            return 200, {
                "row": row_json(_, row, currency),
                "message": _(
                    "Saved {code}: planned price {price}, margin {margin}.",
                    code=row.code,
                    price="—"
                    if row.planned_price is None
                    else _.money(row.planned_price, currency),
                    margin="—" if row.margin is None else _.percent(row.margin),
                ),
            }

        return await self._api(request, work)

    def routes(self) -> list[BaseRoute]:
        return [
            Route(PREFIX, lambda request: RedirectResponse(f"{PREFIX}/"), methods=["GET"]),
            Route(f"{PREFIX}/", self.page, methods=["GET"]),
            Route(f"{PREFIX}/static/{{name}}", self.static, methods=["GET"]),
            Route(f"{PREFIX}/api/campaigns", self.campaign_list, methods=["GET"]),
            Route(f"{PREFIX}/api/campaigns/{{campaign_id:int}}/plan", self.plan, methods=["GET"]),
            Route(
                f"{PREFIX}/api/campaigns/{{campaign_id:int}}/skus/{{sku_id:int}}",
                self.edit,
                methods=["POST"],
            ),
        ]


def miniapp_routes(application: Any, settings: Settings) -> list[BaseRoute]:
    """The Mini App's page and API, to mount in the bot's web app."""
    return MiniApp(application, settings).routes()


def _status_of(error: UserFacingError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, NotAllowed):
        return 403
    return 400


def _plain(text: str) -> str:
    """A chat message (Telegram HTML) as plain text for the page."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


async def _bounded_body(request: Request) -> bytes | None:
    """The request's body, or None past `MAX_BODY` (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return body


def _json_object(raw: bytes | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


async def _planned(uow: UnitOfWork, campaign_id: int, sku_id: int) -> str | None:
    price = await uow.session.scalar(
        select(models.Enrolment.planned_price).where(
            models.Enrolment.campaign_id == campaign_id, models.Enrolment.sku_id == sku_id
        )
    )
    return _amount(price)


def _under_floor_question(
    _: Translator, row: PlanRow, currency: str, target: Decimal | None
) -> str:
    """The floor is a seller price; the reader typed a customer price, so the question
    names the lowest safe customer price when there is one (as the chat does)."""
    params = {
        "code": row.code,
        "price": "—" if row.planned_price is None else _.money(row.planned_price, currency),
        "margin": "—" if row.margin is None else _.percent(row.margin),
        "target": "—" if target is None else _.percent(target),
    }
    lowest = row.customer_floor
    if lowest is not None and row.list_price is not None and lowest <= row.list_price:
        return _(
            "{code} at {price} is under its floor: the lowest safe price is {lowest}, and "
            "the margin would be {margin}, below the target of {target}. Save it anyway?",
            lowest=_.money(lowest, currency),
            **params,
        )
    return _(
        "{code} at {price} is under its floor: even the list price is, and the margin would "
        "be {margin}, below the target of {target}. Save it anyway?",
        **params,
    )


# -- opening it ------------------------------------------------------------------------------


def demo_url(
    settings: Settings,
    base_url: str,
    user_id: int,
    *,
    campaign_id: int | None = None,
    first_name: str = "Demo",
    now: int | None = None,
) -> str:
    """A local URL that opens the Mini App in any browser as `user_id`: initData signed
    here with the bot's token, in the URL's fragment where Telegram itself puts it
    (`#tgWebAppData=…`). It grants nothing the server does not check."""
    assert settings.bot_token is not None
    init = sign_init_data(
        settings.bot_token.get_secret_value(),
        {"id": user_id, "first_name": first_name},
        int(time.time()) if now is None else now,
    )
    return f"{page_url(base_url, campaign_id)}#tgWebAppData={quote(init, safe='')}"


def demo_message(
    _: Translator, settings: Settings, base_url: str, user_id: int, *, first_name: str = "Demo"
) -> str:
    """The demo's line pointing at the Mini App, opened as the demo user."""
    url = demo_url(settings, base_url, user_id, first_name=first_name)
    return _("The plan as a table (the Mini App), as you, in any browser: {url}", url=url)


PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="light dark">
<title>{title}</title>
<link rel="stylesheet" href="{prefix}/static/miniapp.css">
<script src="https://telegram.org/js/telegram-web-app.js" async></script>
<script src="{prefix}/static/miniapp.js" defer></script>
</head>
<body data-prefix="{prefix}">
<main id="app" aria-live="polite"><p class="note" id="loading">{loading}</p></main>
<noscript><p class="note">{no_script}</p></noscript>
</body>
</html>
"""
