"""Voucher floors (SPEC §3.6), worked by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.pricing import (
    Subsidy,
    VoucherFunding,
    VoucherLine,
    VoucherStatus,
    largest_voucher,
    minimum_threshold,
    voucher_line,
)

D = Decimal

# h_A = (50 − 40) / 50 = 0.2; h_B = (20 − 18) / 20 = 0.1 → B is the weakest, h = 0.1
LINES = [VoucherLine("A", D(50), D(50), D(40)), VoucherLine("B", D(20), D(20), D(18))]


@pytest.mark.parametrize(
    ("voucher", "funding", "threshold", "seller_funded"),
    [
        (D(5), VoucherFunding(), "50.00", "5"),  # 5 / 0.1
        (D(5), VoucherFunding(D("0.5")), "25.00", "2.5"),  # V_s = 2.5 → 2.5 / 0.1
        (D(5), VoucherFunding(D("0.5"), D(1)), "40.00", "4"),  # V_s = 5 − min(2.5, 1) = 4
        (D("3.33"), VoucherFunding(), "33.30", "3.33"),
    ],
)
def test_minimum_threshold(
    voucher: Decimal, funding: VoucherFunding, threshold: str, seller_funded: str
) -> None:
    result = minimum_threshold(LINES, voucher, "USD", funding)
    assert result.status is VoucherStatus.OK
    assert result.threshold is not None and result.seller_funded is not None
    assert str(result.threshold.amount) == threshold
    assert result.seller_funded.amount == D(seller_funded)
    assert result.weakest is not None and result.weakest.sku == "B"
    assert result.weakest.value == D("0.1")


@pytest.mark.parametrize(
    ("threshold", "funding", "voucher"),
    [
        (D(100), VoucherFunding(), "10.00"),  # 100 × 0.1
        (D(100), VoucherFunding(D("0.5")), "20.00"),  # 10 / (1 − 0.5)
        (D(100), VoucherFunding(D("0.5"), D(1)), "11.00"),  # min(20, 10 + 1)
        (D("99.99"), VoucherFunding(), "9.99"),  # 9.999 → rounded down
        (D(100), VoucherFunding(D(1)), "100.00"),  # fully funded: up to the threshold itself
    ],
)
def test_largest_voucher(threshold: Decimal, funding: VoucherFunding, voucher: str) -> None:
    result = largest_voucher(LINES, threshold, "USD", funding)
    assert result.status is VoucherStatus.OK
    assert result.voucher is not None
    assert str(result.voucher.amount) == voucher


def test_threshold_rounds_up() -> None:
    lines = [VoucherLine("C", D(30), D(30), D(21))]  # h = 9 / 30 = 0.3
    result = minimum_threshold(lines, D(1), "USD")
    assert result.threshold is not None
    assert str(result.threshold.amount) == "3.34"  # 1 / 0.3 = 3.333…


def test_threshold_is_never_below_the_voucher() -> None:
    # the platform funds it all: V_s = 0 would allow any threshold, but an order
    # cannot be worth less than its voucher
    result = minimum_threshold(LINES, D(5), "USD", VoucherFunding(D(1)))
    assert result.threshold is not None
    assert result.threshold.amount == D(5)


def test_krw_voucher_has_no_decimals() -> None:
    lines = [VoucherLine("K", D(30000), D(30000), D(21000))]  # h = 0.3
    result = minimum_threshold(lines, D(1000), "KRW")
    assert result.threshold is not None
    assert str(result.threshold.amount) == "3334"  # 1000 / 0.3 = 3333.3…
    largest = largest_voucher(lines, D(10001), "KRW")
    assert largest.voucher is not None
    assert str(largest.voucher.amount) == "3000"  # 3000.3 → 3000


def test_headroom_uses_seller_price_over_customer_price() -> None:
    # item subsidy 5: P = 45, R = 50, floor 47 → h = (50 − 47) / 45 = 1/15
    line = voucher_line("S", D(60), D(45), D(47), Subsidy.fixed(5))
    assert line.seller_price == D(50)
    result = minimum_threshold([line], D(2), "USD")
    assert result.threshold is not None
    assert result.threshold.amount == D(30)  # 2 / (1/15)


def test_blockers_are_named_with_the_threshold_without_them() -> None:
    lines = [*LINES, VoucherLine("C", D(10), D(10), D(10)), VoucherLine("Z", D(10), D(9), D(10))]
    result = minimum_threshold(lines, D(5), "USD")
    assert result.status is VoucherStatus.BLOCKED
    assert result.blockers == ("C", "Z")
    assert result.threshold is None
    assert result.without_blockers is not None
    assert result.without_blockers.status is VoucherStatus.OK
    assert result.without_blockers.threshold is not None
    assert result.without_blockers.threshold.amount == D(50)
    largest = largest_voucher(lines, D(100), "USD")
    assert largest.status is VoucherStatus.BLOCKED
    assert largest.without_blockers is not None and largest.without_blockers.voucher is not None
    assert largest.without_blockers.voucher.amount == D(10)


def test_only_blockers_leave_nothing_to_fall_back_on() -> None:
    result = minimum_threshold([VoucherLine("C", D(10), D(10), D(11))], D(1), "USD")
    assert result.status is VoucherStatus.BLOCKED
    assert result.without_blockers is None


def test_no_lines() -> None:
    assert minimum_threshold([], D(5), "USD").status is VoucherStatus.NO_LINES


def test_voucher_lines_need_a_positive_customer_price() -> None:
    with pytest.raises(ValueError):
        VoucherLine("X", D(0), D(1), D(1))
    with pytest.raises(TypeError):
        VoucherLine("X", 1.5, D(1), D(1))  # type: ignore[arg-type]
