"""The buyer's view of credit: the cart's headroom sentence and refusals in words."""

from __future__ import annotations

import pytest

from simulator.store.credit import credit_json, refusal_reason, refusal_sentence

CREDIT = (
    "credit_limit_exceeded: customer C000002: open orders and invoices of 7,646.38 would "
    "exceed the credit limit of 5,000.00  CorrelationId:  0f3c2a1e-1111-2222-3333-444455556666."
)


def test_a_credit_refusal_reads_as_a_sentence():
    text = refusal_sentence(CREDIT)
    assert text == (
        "this order would take your account over its credit limit (open orders and invoices "
        "would come to 7,646.38 against a limit of 5,000.00). Pay an open invoice or order "
        "less, or ask your sales rep about the limit."
    )
    assert refusal_reason(CREDIT) == "credit_limit_exceeded"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("item_blocked: item 1000 is blocked  CorrelationId:  x.",
         "an item in it can no longer be sold. Remove it and order again."),
        ("some_new_code: the warehouse is closed", "the warehouse is closed."),
        ("invalid_request: missing 'lines'", "missing 'lines'."),
        ("", "our ERP did not accept it. Please contact us."),
        (None, "our ERP did not accept it. Please contact us."),
    ],
)  # fmt: skip
def test_no_refusal_shows_an_erp_code(error: str | None, expected: str):
    text = refusal_sentence(error)
    assert text == expected
    assert "_" not in text.replace("'lines'", "")


def test_the_cart_credit_field():
    fits = credit_json({"limit": 5000.0, "headroom": 1234.5}, 200.0, "EUR")
    assert fits["fits"] is True
    assert fits["message"] == "Credit available: 1,234.50 EUR; this cart fits."
    over = credit_json({"limit": 5000.0, "headroom": 1234.5}, 2000.0, "EUR")
    assert over["fits"] is False
    assert over["message"].startswith(
        "This cart (2,000.00 EUR) is over your available credit of 1,234.50 EUR: the ERP "
        "would refuse it."
    )
    already = credit_json({"limit": 5000.0, "headroom": -300.0}, 10.0, "")
    assert already["fits"] is False
    assert already["message"].startswith("Your account is over its credit limit by 300.00:")
    unlimited = credit_json({"limit": 0.0, "headroom": None}, 1e9, "EUR")
    assert unlimited["fits"] is True
    assert unlimited["message"] == "Your account has no credit limit."
    unknown = credit_json(None, 10.0, "EUR")
    assert unknown["known"] is False
    assert unknown["fits"] is None
    assert "checked when you order" in unknown["message"]
