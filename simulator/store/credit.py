"""What a buyer sees of the account's credit before checkout, and of a refused order.

The ERP refuses an order that would take the account over its credit limit (409
``credit_limit_exceeded``). A buyer should learn that before pressing "order", and in
words: `credit_json` turns the ERP's credit headroom (`Integration.credit`, asked of the
ERP when the cart is shown) into a field of the cart with one sentence; `refusal_sentence`
turns the ERP's refusal (``reason: message  CorrelationId: ...``) into a sentence without
the ERP's codes.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["credit_json", "refusal_reason", "refusal_sentence"]

REFUSALS = {
    "credit_limit_exceeded": (
        "this order would take your account over its credit limit{detail}. Pay an open "
        "invoice or order less, or ask your sales rep about the limit."
    ),
    "customer_blocked": (
        "your account is blocked for orders in our ERP. Please contact your sales rep or "
        "our accounts team."
    ),
    "item_blocked": "an item in it can no longer be sold. Remove it and order again.",
    "item_not_found": "an item in it is no longer in our range. Remove it and order again.",
    "unit_not_defined": (
        "an item in it is not sold in the unit of measure you chose. Choose another unit."
    ),
    "invalid_quantity": "a quantity in it is not one we can deliver. Check the quantities.",
    "no_exchange_rate": (
        "your currency has no exchange rate in our ERP today. Please try again tomorrow or "
        "contact your sales rep."
    ),
    "quote_expired": "the quote has expired. Ask for a new quote.",
    "quote_not_open": "the quote is no longer open. Ask for a new quote.",
    "customer_not_found": "your account is not known to our ERP. Please contact us.",
}
AMOUNTS = re.compile(r"of ([\d,]+\.\d\d) would exceed the credit limit of ([\d,]+\.\d\d)")
CORRELATION = re.compile(r"\s*CorrelationId:.*$", re.DOTALL)


def refusal_reason(error: str | None) -> str:
    """The ERP's reason code of a refusal (``reason: message``), '' when it has none."""
    reason = (error or "").partition(":")[0].strip()
    return reason if reason and " " not in reason else ""


def refusal_sentence(error: str | None) -> str:
    """The refusal in words, without the ERP's codes: 'this order would take your account
    over its credit limit (open orders and invoices would come to 7,646.38 against a limit
    of 5,000.00). Pay an open invoice ...'."""
    text = CORRELATION.sub("", error or "").strip()
    reason = refusal_reason(text)
    if reason in REFUSALS:
        detail = ""
        found = AMOUNTS.search(text)
        if found is not None:
            detail = (
                f" (open orders and invoices would come to {found.group(1)} against a limit "
                f"of {found.group(2)})"
            )
        return REFUSALS[reason].format(detail=detail)
    message = text.partition(":")[2].strip() if reason else text
    message = message.rstrip(".")
    return f"{message}." if message else "our ERP did not accept it. Please contact us."


def credit_json(credit: dict[str, Any] | None, amount: float, currency: str) -> dict[str, Any]:
    """The cart's ``credit`` field: the room under the account's credit limit (in the cart's
    currency), whether this cart fits in it, and one sentence for the buyer."""
    if credit is None:
        return {
            "known": False,
            "headroom": None,
            "limit": None,
            "currencyCode": currency,
            "fits": None,
            "message": "Your credit could not be checked just now; it is checked when you order.",
        }
    headroom = credit.get("headroom")
    money = f" {currency}" if currency else ""
    if headroom is None:
        fits: bool = True
        message = "Your account has no credit limit."
    else:
        headroom = float(headroom)
        fits = amount <= headroom
        if headroom <= 0:
            message = (
                f"Your account is over its credit limit by {-headroom:,.2f}{money}: the ERP "
                "will refuse new orders until open invoices are paid."
            )
        elif fits:
            message = f"Credit available: {headroom:,.2f}{money}; this cart fits."
        else:
            message = (
                f"This cart ({amount:,.2f}{money}) is over your available credit of "
                f"{headroom:,.2f}{money}: the ERP would refuse it. Order less or pay an open "
                "invoice first."
            )
    return {
        "known": True,
        "headroom": headroom,
        "limit": credit.get("limit"),
        "currencyCode": currency,
        "fits": fits,
        "message": message,
    }
