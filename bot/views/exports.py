"""The plan's files, from the bot's side: a `Plan` (database objects, the reader's
translator) becomes a `PlanDocument` of plain data with every label translated; a
worker process builds the XLSX and CSV from it (bot/views/spreadsheets.py, which also
describes the files). `plan_xlsx` / `plan_csv` build them in-process (tests, benches).
"""

from __future__ import annotations

import re
import unicodedata

from bot.domain.errors import N_
from bot.i18n import Translator
from bot.runtime.cooperative import in_slices
from bot.runtime.pieces import Pieces
from bot.services.plan import Plan, PlanRow, PlanStatus
from bot.services.plan_file import EDIT_COLUMNS, plan_token
from bot.views.campaigns import (
    MODE_LABELS,
    STATUS_LABELS,
    campaign_subsidy,
    rule_text,
    subsidy_text,
    when,
)
from bot.views.spreadsheets import (
    CSV_COLUMNS,
    PERCENT_FORMAT,
    PLAN_COLUMNS,
    CatalogueFiles,
    PlanDocument,
    PlanEditSheet,
    PlanLine,
    VoucherLine,
    catalogue_csv,
    catalogue_files,
    catalogue_xlsx,
    document_csv,
    document_xlsx,
    money_format,
    plan_files,
    safe_text,
    shipped_plan_files,
)

# re-exported: the builders live with the worker's code
__all__ = [
    "COLUMNS",
    "CSV_COLUMNS",
    "CSV_MIME",
    "PERCENT_FORMAT",
    "XLSX_MIME",
    "CatalogueFiles",
    "PlanDocument",
    "catalogue_csv",
    "catalogue_files",
    "catalogue_xlsx",
    "filename",
    "money_format",
    "plan_csv",
    "plan_document",
    "plan_files",
    "plan_xlsx",
    "safe_text",
    "shipped_plan_document",
    "shipped_plan_files",
]

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"

# The headers of the plan sheets' columns (bot/views/spreadsheets.py PLAN_COLUMNS)
COLUMNS: dict[str, str] = {
    "sku": N_("SKU"),
    "name": N_("Name"),
    "status": N_("Status"),
    "eligible": N_("Eligible"),
    "price_mode": N_("Priced by"),
    "list_price": N_("List price"),
    "reference_price": N_("Reference price"),
    "planned_price": N_("Campaign price"),
    "discount": N_("Discount"),
    "subsidy": N_("Platform subsidy"),
    "seller_price": N_("Seller price"),
    "floor": N_("Floor"),
    "customer_floor": N_("Lowest safe price"),
    "margin": N_("Margin"),
}
# The edit sheet's headers (bot/views/spreadsheets.py EDIT_COLUMNS)
EDIT_HEADERS: dict[str, str] = {
    **COLUMNS,
    "new_price": N_("✏️ New campaign price"),
    "planned_price": N_("Campaign price now"),
    "discount": N_("✏️ or new discount"),
}
EDIT_SHEET = N_("Edit prices")
NOT_ENROLLED = N_("Not enrolled")
STATUS_LABEL_HEADER = N_("Status (in words)")  # the CSV column beside the machine-readable one
ENROLLED_ANYWAY = N_("enrolled anyway")
SUMMARY = N_("Summary")
VOUCHERS = N_("Vouchers")


def filename(plan: Plan, extension: str) -> str:
    """`plan-7-黑五大促.csv`: the campaign's name as the seller wrote it, in any script.

    The name travels as UTF-8 in the multipart upload's `filename` (httpx writes it as
    is, escaping only quotes and control characters; Telegram shows it as sent), so it is
    not percent-encoded here — an encoded name would be shown encoded. What a file name
    cannot hold or could be spoofed with (separators, reserved characters, control and
    bidirectional-format characters) becomes "-"."""
    name = unicodedata.normalize("NFC", plan.campaign.name)
    kept = "".join(
        "-" if unicodedata.category(c)[0] in "CZ" or c in _FILENAME_RESERVED else c for c in name
    )
    slug = re.sub(r"-+", "-", kept).strip("-.").lower()[:40].strip("-.") or "campaign"
    return f"plan-{plan.campaign.id}-{slug}.{extension}"


_FILENAME_RESERVED = frozenset('/\\:*?"<>|%')


class _PlanLines:
    """Plan rows as the files' lines, in the reader's language."""

    def __init__(self, _: Translator) -> None:
        self.status_labels = {status: _(label) for status, label in STATUS_LABELS.items()}
        self.mode_labels = {mode: _(label) for mode, label in MODE_LABELS.items()}
        self.anyway = f" ({_(ENROLLED_ANYWAY)})"

    def __call__(self, row: PlanRow) -> PlanLine:
        return PlanLine(
            row.code,
            row.name,
            row.enrolled,
            row.status.value,
            self.status_labels[row.status] + (self.anyway if row.under_floor_accepted else ""),
            row.eligible,
            None if row.mode is None else row.mode.value,
            "" if row.mode is None else self.mode_labels[row.mode],
            row.list_price,
            row.reference_price,
            row.planned_price,
            row.discount,
            row.subsidy,
            row.seller_price,
            row.floor,
            row.customer_floor,
            row.margin,
        )


def plan_document(plan: Plan, _: Translator) -> PlanDocument:
    """The plan as plain data in the reader's language, for `plan_files`."""
    line = _PlanLines(_)
    return _document(plan, _, [line(row) for row in (*plan.rows, *plan.others)])


async def shipped_plan_document(plan: Plan, _: Translator) -> tuple[PlanDocument, Pieces[PlanLine]]:
    """`plan_document` for `shipped_plan_files` in a worker: the lines made and packed in
    slices, with turns for other chats between them (5,000 lines are ~100 ms of work)."""
    line = _PlanLines(_)
    lines: list[PlanLine] = []
    async for batch in in_slices([*plan.rows, *plan.others], 128):
        lines += map(line, batch)
    return _document(plan, _, []), await Pieces.pack(lines)


def _document(plan: Plan, _: Translator, lines: list[PlanLine]) -> PlanDocument:
    vouchers = [
        VoucherLine(
            check.threshold,
            check.value,
            check.share,
            check.cap,
            None if check.result.threshold is None else check.result.threshold.amount,
            check.safe,
        )
        for check in plan.vouchers
    ]
    return PlanDocument(
        title=plan.campaign.name,
        currency=plan.currency,
        labels={
            "plan": _("Plan"),
            "summary": _(SUMMARY),
            "vouchers": _(VOUCHERS),
            "yes": _("yes"),
            "no": _("no"),
            "status_label": _(STATUS_LABEL_HEADER),
        },
        header=[_(COLUMNS[key]) for key, _kind in PLAN_COLUMNS],
        voucher_header=[
            _("Threshold"),
            _("Voucher"),
            _("Platform share"),
            _("Platform cap"),
            _("Smallest safe threshold now"),
            _("Safe now"),
        ],
        summary=_summary(plan, _),
        sheet_titles={s.value: _(STATUS_LABELS[s]) for s in PlanStatus if s in STATUS_LABELS},
        others_title=_(NOT_ENROLLED),
        lines=lines,
        vouchers=vouchers,
        edit=_edit_sheet(plan, _) if plan.rows else None,
    )


def _edit_sheet(plan: Plan, _: Translator) -> PlanEditSheet:
    """The round trip: the sheet to change campaign prices on, and the file's identity."""
    campaign = plan.campaign
    return PlanEditSheet(
        title=_(EDIT_SHEET),
        header=[_(EDIT_HEADERS[key]) for key, _kind, _editable in EDIT_COLUMNS],
        campaign_id=campaign.id,
        team_id=campaign.team_id,
        token=plan_token(campaign.team_id, campaign.id, campaign.created_at),
    )


def plan_xlsx(plan: Plan, _: Translator) -> bytes:
    return document_xlsx(plan_document(plan, _))


def plan_csv(plan: Plan) -> bytes:
    return document_csv(plan_document(plan, Translator("en")))


def _summary(plan: Plan, _: Translator) -> list[tuple[str, str]]:
    campaign, channel = plan.campaign, plan.channel
    zone = campaign.timezone
    pairs: list[tuple[str, str]] = [
        (_("Campaign"), f"#{campaign.id} {campaign.name}"),
        (_("Channel"), f"{channel.name} ({plan.currency})"),
    ]
    if campaign.registration_deadline is not None:
        pairs.append((_("Registration deadline"), when(_, campaign.registration_deadline, zone)))
    pairs += [
        (_("Start"), when(_, campaign.starts_at, zone)),
        (_("End"), when(_, campaign.ends_at, zone)),
        (
            _("Minimum discount"),
            _.percent(campaign.min_discount) if campaign.min_discount else _("none"),
        ),
        (_("Reference price"), rule_text(_, campaign.reference_rule)),
        (_("Subsidy"), subsidy_text(_, campaign_subsidy(campaign), plan.currency)),
        (_("Target margin"), _.percent(plan.pricing.target_margin)),
        (_("Computed at"), _.datetime(plan.computed_at)),
        (_("Enrolled SKUs"), str(len(plan.rows))),
    ]
    if plan.rows:
        pairs.append(
            (
                _("Change prices"),
                _(
                    "Edit the yellow column on the sheet “{sheet}” (or the discount beside "
                    "it) and send this file back to me: I show the changes before saving them.",
                    sheet=_(EDIT_SHEET),
                ),
            )
        )
    pairs += [
        (_(STATUS_LABELS[status]), str(plan.counts[status]))
        for status in PlanStatus
        if plan.counts.get(status)
    ]
    return pairs
