"""Charts: the /floor waterfall is the engine's breakdown; the /plan chart shows every priced
enrolled SKU (or, for a large plan, a histogram and the tightest 20); PNGs come out for 5
and 5,000 SKUs in English and Chinese; Chinese and Korean text renders with real glyphs."""

from __future__ import annotations

import io
import random
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from matplotlib import image as mpimg

from bot.charts import render
from bot.charts.draw import draw
from bot.charts.specs import BarKind, StepKind
from bot.config import Settings
from bot.db import models
from bot.i18n import Translator
from bot.pricing import (
    CampaignRules,
    Channel,
    FxTable,
    Listing,
    PricingContext,
    RunSettings,
    SkuCost,
    Subsidy,
    get_preset,
)
from bot.runtime.workers import CHART_PRELOAD, WorkerPool
from bot.services.catalog import FloorCard
from bot.services.plan import (
    STATUS_ORDER,
    CampaignPricing,
    ListingPrices,
    Plan,
    PlanItem,
    PlanStatus,
    PriceChoice,
    PriceMode,
    SkuData,
    price_items,
    sort_rows,
)
from bot.views import charts

EN, ZH, KO = (
    Translator("en", "Asia/Shanghai"),
    Translator("zh_CN", "Asia/Shanghai"),
    Translator("ko"),
)
FX = FxTable.from_base_rates(
    {"USD": Decimal("1.08"), "CNY": Decimal("7.71"), "KRW": Decimal("1466.5")}
)
NAMES = ("保温杯 600毫升", "텀블러 600ml", "Insulated tumbler", "儿童水杯 · 어린이 물병")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@contextmanager
def glyphs_required() -> Iterator[None]:
    """matplotlib warns "Glyph 20445 (\\N{...}) missing from font(s) …" when it draws a box
    instead of a character: that fails the test."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"Glyph \d+ .*missing", category=UserWarning)
        yield


def make_plan(skus: int, *, seed: int = 7) -> Plan:
    """A Temu US campaign priced by the plan's own batch pricing: most SKUs at the
    suggested price, some at the deepest safe discount, a few at a fixed price under the
    floor, one without a list price."""
    params = get_preset("temu-us-semi").channel
    params = replace(params, commission=Decimal("0.05"), fulfilment_fee=Decimal("1.20"))
    subsidy = Subsidy.none()
    context = PricingContext(params, RunSettings(Decimal("0.15"), Decimal("0.02")), FX, subsidy)
    campaign = models.Campaign(
        id=3,
        name="黑色星期五 Black Friday",
        starts_at=datetime(2026, 11, 27, 5, tzinfo=UTC),
        ends_at=datetime(2026, 12, 1, 5, tzinfo=UTC),
        timezone="America/New_York",
    )
    pricing = CampaignPricing(
        campaign,
        models.Channel(name="temu-us", currency="USD"),
        models.Team(name="t"),
        context,
        CampaignRules(min_discount=Decimal("0.2")),
        subsidy,
    )
    rnd = random.Random(seed)
    items = []
    for i in range(skus):
        sku = SkuData(
            id=i + 1,
            code=f"SKU-{i:05d}",
            name=NAMES[i % len(NAMES)],
            unit_cost=Decimal(rnd.randint(500, 9_000)) / 100,
            cost_currency="CNY",
            packaging=Decimal(rnd.randint(0, 300)) / 100,
            first_mile=Decimal(rnd.randint(50, 900)) / 100,
            other_cost=Decimal(0),
            duty_rate=Decimal("0.075"),
        )
        listing = None if i == 4 else ListingPrices(Decimal(rnd.randint(900, 9_000)) / 100, None)
        choice = PriceChoice(PriceMode.SUGGESTED)
        if i % 5 == 1:
            choice = PriceChoice(PriceMode.MAX)
        elif i % 5 == 2:
            choice = PriceChoice(PriceMode.PRICE, price=Decimal("2.00"))  # under any floor
        items.append(PlanItem(sku, listing, choice))
    rows = sort_rows(price_items(pricing, items))
    counts = Counter(row.status for row in rows)
    return Plan(pricing, rows, [], [], datetime(2026, 11, 10, 3, tzinfo=UTC), dict(counts))


def floor_card(channel: Channel, list_price: Decimal | None, name: str) -> FloorCard:
    cost = SkuCost(
        "KR-01",
        Decimal("38.50"),
        "CNY",
        packaging=Decimal("2.10"),
        first_mile=Decimal("6.40"),
        duty_rate=Decimal("0.08"),
        name=name,
    )
    context = PricingContext(channel, RunSettings(Decimal("0.2"), Decimal("0.02")), FX)
    result = context.discount(cost, Listing(list_price=list_price))
    return FloorCard(
        sku=models.Sku(code="KR-01", name=name, cost_currency="CNY"),
        channel=models.Channel(name="aliexpress-kr", currency=channel.currency),
        margin=Decimal("0.2"),
        margin_given=False,
        fx_buffer=Decimal("0.02"),
        result=result,
        quote=context.quote("CNY"),
        fx_stale=False,
        list_price_unusable=None,
        today=date(2026, 11, 10),
    )


def check_png(png: bytes) -> tuple[int, int]:
    """The PNG's (width, height), read back by matplotlib; within Telegram's photo limits."""
    assert png.startswith(PNG_SIGNATURE)
    pixels = mpimg.imread(io.BytesIO(png), format="png")
    height, width = pixels.shape[:2]
    assert width + height <= 10_000 and max(width, height) <= 20 * min(width, height)
    assert len(png) < 10 * 1024 * 1024
    return width, height


# -- /floor ----------------------------------------------------------------------------------


def test_waterfall_is_the_engines_breakdown_down_to_the_margin() -> None:
    channel = get_preset("aliexpress-kr").channel
    channel = replace(channel, commission=Decimal("0.08"), fulfilment_fee=Decimal(2500))
    card = floor_card(channel, Decimal(29_900), "텀블러")
    spec = charts.floor_chart(KO, card)
    assert spec is not None
    economics = card.result.at_list
    assert economics is not None and card.result.floor.landed is not None
    steps = spec.steps
    assert steps[0].kind is StepKind.PRICE and steps[0].amount == Decimal(29_900)
    assert steps[-1].kind is StepKind.MARGIN and steps[-1].amount == economics.profit.amount
    assert [s.kind for s in steps[1:-1]][:1] == [StepKind.VAT]
    assert steps[1].amount == economics.vat.amount
    fees = [s.amount for s in steps if s.kind is StepKind.FEE]
    assert fees == [f.amount.amount for f in economics.fees if f.amount.amount]
    costs = sum(s.amount for s in steps if s.kind is StepKind.COST)
    # the cost lines (unit cost, packaging, first mile, duty) add up to the landed cost
    assert abs(costs - economics.landed_cost.amount) < Decimal("1e-20")
    assert len([s for s in steps if s.kind is StepKind.COST]) == 4
    deductions = sum(s.amount for s in steps[1:-1])
    assert abs(steps[0].amount - deductions - steps[-1].amount) < Decimal("1e-20")
    floor = card.result.floor
    assert floor.floor is not None and floor.break_even is not None
    assert [(m.style, m.amount) for m in spec.markers] == [
        ("floor", floor.floor.amount),
        ("break_even", floor.break_even.amount),
    ]
    assert spec.markers[0].label == KO(
        "Floor: {amount}", amount=KO.money(floor.floor.amount, "KRW")
    )
    assert steps[-1].label == KO("Margin {margin}", margin=charts._margin(KO, economics.margin))
    caption = charts.floor_caption(KO, card)
    assert KO.money(floor.floor.amount, "KRW") in caption
    assert KO.money(economics.profit.amount, "KRW") in caption
    with glyphs_required():
        width, height = check_png(render.render_waterfall(spec))
    assert (width, height) == (1000, 600)


def test_waterfall_starts_at_the_floor_without_a_list_price_and_is_skipped_without_fx() -> None:
    channel = replace(get_preset("amazon-de").channel, fulfilment_fee=Decimal("3.20"))
    card = floor_card(channel, None, "Becher")
    spec = charts.floor_chart(EN, card)
    assert spec is not None and spec.steps[0].label == EN("Floor price")
    at_floor = card.result.floor.at_floor
    assert at_floor is not None and spec.steps[0].amount == at_floor.seller_price.amount
    # at the floor the margin is the target (the floor is rounded up: a hair above it)
    assert at_floor.margin is not None and Decimal("0.2") <= at_floor.margin < Decimal("0.201")
    no_fx = floor_card(replace(channel, currency="CHF"), None, "Becher")
    assert no_fx.result.floor.landed is None and charts.floor_chart(EN, no_fx) is None


# -- /plan -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("skus", "t"), [(5, EN), (5, ZH), (5000, EN), (5000, ZH)])
def test_plan_chart_png_for_small_and_large_plans(skus: int, t: Translator) -> None:
    plan = make_plan(skus)
    spec = charts.plan_chart(t, plan)
    assert spec is not None
    priced = [r for r in plan.rows if r.margin is not None and r.status in charts.KINDS]
    assert len(spec.margins) == len(priced)  # every priced SKU is in the picture
    margins = [m for m, _ in spec.margins]
    assert margins == sorted(margins)
    if skus > charts.AGGREGATE_ABOVE:
        assert spec.aggregate and len(spec.bars) == charts.TIGHTEST  # the tightest 20, named
        assert [b.margin for b in spec.bars] == margins[:20]
    else:
        assert not spec.aggregate and len(spec.bars) == len(priced)
    # under-floor SKUs stand out; each bar carries its margin as the reader writes it
    under = {r.code for r in priced if r.status is PlanStatus.BELOW_FLOOR}
    assert under and {b.kind for b in spec.bars if b.label.split(" · ")[0] in under} == {
        BarKind.UNDER_FLOOR
    }
    lowest = min(priced, key=lambda r: (r.margin, r.code))
    assert lowest.margin is not None
    assert spec.bars[0].value_text == charts._margin(t, lowest.margin)
    # counts per status, translated, in the legend
    assert {label for _, label in spec.legend} == {
        f"{t(charts.STATUS_LABELS[s])}: {t.number(n)}" for s, n in plan.counts.items()
    }
    with glyphs_required():
        png = render.render_plan(spec)
    width, height = check_png(png)
    assert width == 1000
    assert 250 <= height <= 2400  # 5 bars, or the histogram and 20 bars


def test_plan_chart_in_chinese_is_translated() -> None:
    plan = make_plan(5)
    english, chinese = charts.plan_chart(EN, plan), charts.plan_chart(ZH, plan)
    assert english is not None and chinese is not None
    assert chinese.axis_label != english.axis_label
    assert chinese.title != english.title and "黑色星期五" in chinese.title
    assert ZH.date(date(2026, 11, 27)) in chinese.subtitle  # dates as the reader writes them


def test_plan_caption_keeps_the_numbers() -> None:
    plan = make_plan(40)
    caption = charts.plan_caption(EN, plan)
    under = sum(1 for r in plan.rows if r.status is PlanStatus.BELOW_FLOOR and r.margin is not None)
    assert (
        EN.ngettext(
            "⛔ {n} SKU is under the floor (red).", "⛔ {n} SKUs are under the floor (red).", under
        )
        in caption
    )
    for status, count in plan.counts.items():
        assert f"{EN(charts.STATUS_LABELS[status])}: {count}" in caption
    assert len(caption) <= 1024


def test_no_chart_for_a_plan_without_margins() -> None:
    plan = make_plan(5)
    unpriced = Plan(
        plan.pricing, [r for r in plan.rows if r.margin is None], [], [], plan.computed_at
    )
    assert charts.plan_chart(EN, unpriced) is None


# -- fonts -----------------------------------------------------------------------------------


def test_chinese_and_korean_labels_have_their_glyphs() -> None:
    plan = make_plan(8)
    for t in (ZH, KO, EN):  # an English reader's chart shows Chinese and Korean names too
        spec = charts.plan_chart(t, plan)
        assert spec is not None
        assert any("保温杯" in b.label for b in spec.bars)
        assert any("텀블러" in b.label for b in spec.bars)
        with glyphs_required():
            check_png(render.render_plan(spec))


def test_the_glyph_check_fails_without_a_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: with the Latin font alone matplotlib warns of the missing
    glyphs (what a deployment without fonts-noto-cjk would draw as boxes)."""
    spec = charts.plan_chart(ZH, make_plan(5))
    assert spec is not None
    monkeypatch.setattr(render, "families", lambda locale: ["DejaVu Sans"])
    with pytest.raises(UserWarning, match=r"Glyph \d+ .*missing"), glyphs_required():
        render.render_plan(spec)


# -- the chart worker --------------------------------------------------------------------------


async def test_a_prestarted_chart_worker_draws_within_the_default_limits() -> None:
    """The bot's chart pool as configured by default (512 MB, matplotlib preloaded): started
    ahead of the first chart, it draws a 5,000-SKU plan chart from a pickled spec."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    pool = WorkerPool(
        workers=1,
        seconds=120,  # generous: a shared test machine, not the bot's limit under test
        memory_mb=settings.file_worker_memory_mb,
        preload=CHART_PRELOAD,
    )
    try:
        await pool.prestart()
        assert len(pool.pids) == 1
        started = pool.pids
        spec = charts.plan_chart(ZH, make_plan(5000))
        assert spec is not None
        png = await pool.run(draw, spec)
        assert check_png(png)[0] == 1000
        assert pool.pids == started  # the prestarted worker drew it
    finally:
        await pool.close()


def test_plan_rows_sort_eligible_first_then_by_status_then_by_code() -> None:
    rows = make_plan(60).rows
    assert {row.status for row in rows} >= {PlanStatus.OK, PlanStatus.BELOW_FLOOR}
    shuffled = list(rows)
    random.Random(3).shuffle(shuffled)
    order = {status: index for index, status in enumerate(STATUS_ORDER)}
    expected = sorted(shuffled, key=lambda r: (not r.eligible, order[r.status], r.code))
    assert sort_rows(shuffled) == expected
    assert sort_rows(reversed(shuffled)) == expected
