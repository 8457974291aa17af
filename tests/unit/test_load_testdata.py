"""Test data from the dataset: distinct logins per user and per worker, real assortments."""

from __future__ import annotations

import sqlite3

from loadtests.testdata import CREDIT_ROOM, load_testdata
from simulator.erp.credit import credit_headroom
from simulator.erp.generate import GenerationSummary
from simulator.store.accounts import demo_password, is_initially_registered


def test_logins_are_registered_contacts_with_demo_passwords(history_run: GenerationSummary):
    data = load_testdata(history_run.path, secret="s", registered_share=0.3)
    assert data.buyers.logins
    assert data.clerks.logins
    assert data.reps.logins
    for login in data.buyers.logins + data.clerks.logins:
        assert is_initially_registered("s", login.email, 0.3)
        assert login.password == demo_password("s", login.email)
    conn = sqlite3.connect(history_run.path)
    try:
        blocked = {row[0] for row in conn.execute("SELECT no FROM customers WHERE blocked <> ''")}
    finally:
        conn.close()
    assert not {login.customer_no for login in data.buyers.logins} & blocked


def test_workers_never_share_a_login(history_run: GenerationSummary):
    """Worker w of n takes positions w, w+n, ...: disjoint until the pool runs out."""
    workers = [load_testdata(history_run.path, secret="s", seed=3) for _ in range(3)]
    size = len(workers[0].buyers.logins)
    per_worker = size // 3
    taken = [
        [data.buyers.take(index, 3).email for _ in range(per_worker)]
        for index, data in enumerate(workers)
    ]
    emails = [email for chunk in taken for email in chunk]
    assert len(set(emails)) == len(emails) == per_worker * 3
    assert all(data.buyers.reused == 0 for data in workers)
    single = load_testdata(history_run.path, secret="s", seed=3)
    for _ in range(size):
        single.buyers.take(0, 1)
    assert single.buyers.reused == 0
    single.buyers.take(0, 1)
    assert single.buyers.reused == 1


def test_same_seed_same_order(history_run: GenerationSummary):
    first = [
        login.email for login in load_testdata(history_run.path, secret="s", seed=5).buyers.logins
    ]
    again = [
        login.email for login in load_testdata(history_run.path, secret="s", seed=5).buyers.logins
    ]
    other = [
        login.email for login in load_testdata(history_run.path, secret="s", seed=6).buyers.logins
    ]
    assert first == again
    assert first != other


def test_accounts_order_their_assortment_in_their_quantities(history_run: GenerationSummary):
    data = load_testdata(history_run.path, secret="s")
    customer = data.buyers.logins[0].customer_no
    assert customer is not None
    account = data.account(customer)
    assert account.items
    assert account.orders
    conn = sqlite3.connect(history_run.path)
    try:
        allowed = {
            row[0]
            for row in conn.execute(
                "SELECT i.no FROM items i JOIN item_categories c ON c.code = i.item_category_code "
                "JOIN customer_assortment a ON a.customer_no = ? AND a.item_category_code IN "
                "(c.code, c.parent_code) WHERE i.blocked = 0",
                (customer,),
            )
        }
        bought = {
            row[0]
            for row in conn.execute(
                "SELECT l.item_no FROM sales_order_lines l JOIN sales_orders o "
                "ON o.no = l.document_no WHERE o.customer_no = ?",
                (customer,),
            )
        }
        own = {
            row[0]
            for row in conn.execute(
                "SELECT no FROM sales_orders WHERE customer_no = ?", (customer,)
            )
        }
    finally:
        conn.close()
    numbers = [item for item, _, _ in account.items]
    assert set(numbers) <= allowed
    assert all(quantity >= 1 for _, _, quantity in account.items)
    first = numbers[: len(bought & set(numbers))]
    assert set(first) <= bought  # items the account bought come first
    assert set(account.orders) <= own
    assert data.today is not None


def test_buyers_with_credit_room_come_first(history_run: GenerationSummary):
    """Accounts over their credit limit would only collect refusals: their buyers are
    taken after every buyer whose account has room for a cart."""
    conn = sqlite3.connect(history_run.path)
    try:
        headroom = credit_headroom(conn)
    finally:
        conn.close()
    data = load_testdata(history_run.path, secret="s", seed=5)
    room = [headroom[login.customer_no] >= CREDIT_ROOM for login in data.buyers.logins]
    assert True in room
    assert False in room  # the history leaves some accounts over their limit
    assert data.buyers_with_credit_room == room.count(True)
    assert room == sorted(room, reverse=True)  # all with room, then the others
    assert data.checks()["buyers_with_credit_room"] == room.count(True)
    over = next(no for no, left in headroom.items() if left < CREDIT_ROOM)
    fine = next(no for no, left in headroom.items() if left >= CREDIT_ROOM)
    assert (data.has_credit_room(over), data.has_credit_room(fine)) == (False, True)
