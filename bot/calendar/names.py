"""User-facing festival names (source text for translation; keys as in festivals.json)."""

from __future__ import annotations

from bot.domain.errors import N_

FESTIVAL_NAMES: dict[str, str] = {
    "black_friday": N_("Black Friday"),
    "cyber_monday": N_("Cyber Monday"),
    "singles_day": N_("Singles' Day (11.11)"),
    "double_12": N_("Double 12 (12.12)"),
    "christmas": N_("Christmas"),
    "boxing_day": N_("Boxing Day"),
    "chinese_new_year": N_("Chinese New Year"),
    "korea_sale_festa": N_("Korea Sale Festa"),
    "prime_day": N_("Prime Day"),
    "prime_big_deal_days": N_("Prime Big Deal Days"),
    "mid_year_618": N_("618 mid-year sale"),
    "consumer_day_br": N_("Consumer Day (Brazil)"),
    "mothers_day": N_("Mother's Day"),
}
