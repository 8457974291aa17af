"""The store's master data from SAP S/4HANA's A2X services (the ``sap`` flavor's sync).

It fills the same mirror tables as `simulator.store.sync.Synchronizer` reads from Business
Central, so the catalog, accounts and carts work unchanged, but every value comes from
what a real S/4HANA serves, and keys are SAP's:

- ``items`` and ``item_units_of_measure``: ``A_Product`` of API_PRODUCT_SRV with its
  description, sales-area data and units. The category is the product hierarchy node
  (``ProductHierarchy``), the blocked flag the cross-plant status ``01``;
- ``customers``: organization business partners (category 2) of API_BUSINESS_PARTNER with
  their standard address, e-mail and phone, the customer's sales area (currency, payment
  terms, price group, supplying plant as the shipping location, customer group as the
  segment, partner function ``VE`` as the salesperson) and ``CustomerClassification`` ``A``
  for a key account;
- ``contacts``: person business partners and their contact-person relationship
  (``A_BusinessPartnerContact``) to the company. A contact is the company's accounts-payable
  clerk when its e-mail is the company code's ``AccountingClerkInternetAddress`` (SAP keeps
  one clerk per company code);
- ``item_categories``, ``salespeople`` and ``customer_assortment``: customizing the A2X
  services do not carry (hierarchy texts, sales employees, listings), from the customizing
  file when one is given (`simulator.store.sap_customizing`), else derived from the nodes.

Deltas: what changed since the newest change seen, less `OVERLAP` (a change committed while
we paged may carry a stamp just before the newest we saw): products by
``LastChangeDateTime``, business partners by ``LastChangeDate`` and ``LastChangeTime``.
A first scan asks only keys and stamps; the entities whose stamp is not the mirror's are
then read with their expansions, by key. SAP serves no deletions here, as the ERP deletes
no mirrored rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from simulator.erp_server.bc_sets import LCY
from simulator.erp_server.sap.codes import our_unit
from simulator.store import sap_customizing
from simulator.store.sap_client import SapClient, v2_date, v2_number, v2_quoted, v2_results
from simulator.store.sap_orders import SALES_AREA
from simulator.store.sync import SyncResult, record_sync, utc_stamp

__all__ = ["SAP_TABLES", "SapSynchronizer"]

PRODUCTS = "API_PRODUCT_SRV"
PARTNERS = "API_BUSINESS_PARTNER"
SAP_TABLES = ("items", "item_units_of_measure", "customers", "contacts")
CUSTOMIZED = ("item_categories", "salespeople", "customer_assortment")
OVERLAP = dt.timedelta(hours=1)
KEYS_PER_CALL = 40  # keys per filter of changed entities (a flat OR of eq)
LANGUAGE = "EN"
IDS = uuid.UUID("3d0f5c1e-8a4b-4c53-9e61-5341505f4944")  # namespace of ids SAP has not
_TIME = re.compile(r"PT(\d+)H(\d+)M(\d+)S")
_STAMP = re.compile(r"/Date\((-?\d+)(?:[+-]\d{4})?\)/")

PRODUCT_EXPAND = "to_Description,to_SalesDelivery,to_ProductUnitsOfMeasure"
PARTNER_EXPAND = ",".join(
    [
        "to_BusinessPartnerAddress/to_EmailAddress",
        "to_BusinessPartnerAddress/to_PhoneNumber",
        "to_Customer/to_CustomerSalesArea/to_PartnerFunction",
        "to_Customer/to_CustomerCompany",
    ]
)
COLUMNS = {
    "items": (
        "id", "no", "display_name", "item_category_code", "blocked", "gtin", "unit_price",
        "unit_cost", "base_unit_of_measure", "last_modified_date_time", "gross_weight",
        "item_disc_group",
    ),
    "item_units_of_measure": ("item_no", "code", "qty_per_unit_of_measure",
                              "last_modified_date_time"),
    "customers": (
        "id", "no", "name", "address", "city", "country_code", "post_code", "phone_no",
        "email", "salesperson_code", "credit_limit", "currency_code", "blocked",
        "last_modified_date_time", "payment_terms_code", "customer_price_group",
        "customer_disc_group", "allow_line_disc", "location_code", "key_account", "segment",
    ),
    "contacts": ("id", "no", "job_title", "phone_no", "email", "last_modified_date_time",
                 "customer_no", "first_name", "surname", "role"),
}  # fmt: skip
CLERKS_DDL = (
    "CREATE TABLE IF NOT EXISTS sap_accounting_clerks("
    "customer_no TEXT PRIMARY KEY, email TEXT NOT NULL) WITHOUT ROWID"
)


def _upsert(table: str) -> str:
    columns = COLUMNS[table]
    marks = ", ".join("?" * len(columns))
    return f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({marks})"


def v2_stamp(value: Any) -> str | None:
    """An Edm.DateTimeOffset (``/Date(ms+0000)/``) as our UTC stamp text, whole seconds."""
    found = _STAMP.fullmatch(str(value or ""))
    if found is None:
        return None
    moment = dt.datetime.fromtimestamp(int(found.group(1)) / 1000, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def partner_stamp(partner: dict[str, Any]) -> str:
    """A business partner's last change (``LastChangeDate`` and ``LastChangeTime``)."""
    day = v2_date(partner.get("LastChangeDate")) or v2_date(partner.get("CreationDate"))
    found = _TIME.fullmatch(str(partner.get("LastChangeTime") or ""))
    hours, minutes, seconds = (int(g) for g in found.groups()) if found else (0, 0, 0)
    return f"{day or '1900-01-01'}T{hours:02d}:{minutes:02d}:{seconds:02d}Z"


def _blocked(sales_area: dict[str, Any]) -> str:
    """SAP's central blocks of the sales area as our customer block."""
    order = bool(sales_area.get("OrderIsBlockedForCustomer"))
    delivery = bool(sales_area.get("DeliveryIsBlockedForCustomer"))
    billing = bool(sales_area.get("BillingIsBlockedForCustomer"))
    if order or (delivery and billing):
        return "All"
    return "Ship" if delivery else "Invoice" if billing else ""


def _our_id(kind: str, key: str) -> str:
    return str(uuid.uuid5(IDS, f"{kind}:{key}"))


def _in_area(rows: Iterable[dict[str, Any]], org: str, channel: str) -> dict[str, Any]:
    """The row of the store's sales area (the first row when none matches)."""
    rows = list(rows)
    for row in rows:
        if (
            row.get("SalesOrganization", row.get("ProductSalesOrg")),
            row.get("DistributionChannel", row.get("ProductDistributionChnl")),
        ) == (org, channel):
            return row
    return rows[0] if rows else {}


def product_rows(product: dict[str, Any]) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """An A_Product with its expansions as an items row and its units' rows."""
    number = str(product["Product"])
    texts = {d.get("Language"): d.get("ProductDescription") for d in
             v2_results(product.get("to_Description"))}  # fmt: skip
    sales = _in_area(
        v2_results(product.get("to_SalesDelivery")),
        SALES_AREA["SalesOrganization"],
        SALES_AREA["DistributionChannel"],
    )
    stamp = v2_stamp(product.get("LastChangeDateTime")) or (
        f"{v2_date(product.get('LastChangeDate')) or '1900-01-01'}T00:00:00Z"
    )
    base = our_unit(str(product.get("BaseUnit") or "")) or str(product.get("BaseUnit") or "")
    item = (
        _our_id("product", number),
        number,
        texts.get(LANGUAGE) or next(iter(texts.values()), None) or number,
        str(product.get("ProductHierarchy") or sales.get("ProductHierarchy") or ""),
        int(str(product.get("CrossPlantStatus") or "") == "01"),
        str(product.get("ProductStandardID") or ""),
        0.0,  # prices are condition records, asked by order simulation
        0.0,  # costs are valuation data, outside the sales APIs
        base,
        stamp,
        v2_number(product.get("GrossWeight")),
        str(sales.get("PriceSpecificationProductGroup") or ""),
    )
    units = []
    for unit in v2_results(product.get("to_ProductUnitsOfMeasure")):
        code = str(unit.get("AlternativeUnit") or "")
        denominator = v2_number(unit.get("QuantityDenominator")) or 1.0
        factor = v2_number(unit.get("QuantityNumerator")) / denominator
        units.append((number, our_unit(code) or code, round(factor, 6), stamp))
    return item, units


def _address(partner: dict[str, Any]) -> dict[str, Any]:
    addresses = v2_results(partner.get("to_BusinessPartnerAddress"))
    return addresses[0] if addresses else {}


def _default(rows: list[dict[str, Any]], flag: str, field: str) -> str:
    for row in rows:
        if row.get(flag):
            return str(row.get(field) or "")
    return str(rows[0].get(field) or "") if rows else ""


def _reach(address: dict[str, Any]) -> tuple[str, str]:
    """The address's default phone number and e-mail."""
    phones = v2_results(address.get("to_PhoneNumber"))
    mails = v2_results(address.get("to_EmailAddress"))
    return (
        _default(phones, "IsDefaultPhoneNumber", "PhoneNumber"),
        _default(mails, "IsDefaultEmailAddress", "EmailAddress"),
    )


def customer_row(partner: dict[str, Any]) -> tuple[tuple[Any, ...], str | None] | None:
    """An organization partner as a customers row and its accounting clerk's e-mail; None
    when it is no customer of the store's sales area."""
    customer = partner.get("to_Customer") or {}
    if not customer or not customer.get("Customer"):
        return None
    areas = [
        a
        for a in v2_results(customer.get("to_CustomerSalesArea"))
        if a.get("Division", SALES_AREA["OrganizationDivision"])
        == SALES_AREA["OrganizationDivision"]
    ]
    area = _in_area(areas, SALES_AREA["SalesOrganization"], SALES_AREA["DistributionChannel"])
    if not area:
        return None
    functions = v2_results(area.get("to_PartnerFunction"))
    salesperson = next(
        (
            str(f.get("PersonnelNumber") or "")
            for f in functions
            if f.get("PartnerFunction") == "VE"
        ),
        "",
    )
    companies = v2_results(customer.get("to_CustomerCompany"))
    clerk = _default(companies, "", "AccountingClerkInternetAddress") or None
    address = _address(partner)
    phone, email = _reach(address)
    number = str(partner["BusinessPartner"])
    currency = str(area.get("Currency") or "")
    row = (
        str(partner.get("BusinessPartnerUUID") or "") or _our_id("partner", number),
        number,
        str(partner.get("BusinessPartnerFullName") or partner.get("BusinessPartnerName") or ""),
        str(address.get("StreetName") or ""),
        str(address.get("CityName") or ""),
        str(address.get("Country") or ""),
        str(address.get("PostalCode") or ""),
        phone,
        email,
        salesperson,
        0.0,  # credit limits are credit management's (the store asks the ERP per account)
        "" if currency in ("", LCY) else currency,
        _blocked(area),
        partner_stamp(partner),
        str(area.get("CustomerPaymentTerms") or ""),
        str(area.get("CustomerPriceGroup") or ""),
        str(area.get("AdditionalCustomerGroup1") or ""),
        1,  # SAP applies discount conditions to every item unless a condition excludes it
        str(area.get("SupplyingPlant") or ""),
        int(str(customer.get("CustomerClassification") or "") == "A"),
        str(area.get("CustomerGroup") or ""),
    )
    return row, clerk


def contact_row(partner: dict[str, Any], company: str) -> tuple[Any, ...]:
    """A person partner, contact person of `company`, as a contacts row (its role is set
    from the company's clerk afterwards)."""
    phone, email = _reach(_address(partner))
    number = str(partner["BusinessPartner"])
    return (
        str(partner.get("BusinessPartnerUUID") or "") or _our_id("partner", number),
        number,
        "",  # job titles are the relationship's function and department, not served here
        phone,
        email,
        partner_stamp(partner),
        company,
        str(partner.get("FirstName") or ""),
        str(partner.get("LastName") or ""),
        "buyer",
    )


class SapSynchronizer:
    """Delta sync of the store's master data from SAP (the `Synchronizer` of the ``sap``
    flavor; same `run_once`, `last`, `generation`, `clock` and `today`)."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        sap: SapClient,
        *,
        customizing: sap_customizing.Customizing | None = None,
        on_call: Callable[[str, float, bool], None] | None = None,
    ) -> None:
        self._connect = connect
        self.erp = sap
        self.customizing = customizing
        self._on_call = on_call
        self._lock = threading.Lock()
        self.clock: dict[str, Any] = {}
        # the server's date (its HTTP Date): the store's business date when no ERP clock
        # answers, as on a real S/4HANA (erpsim's own clock, on its BC API, comes first)
        self.today: dt.date | None = None
        self.last: SyncResult | None = None
        self.generation = 0

    def run_once(self, entities: Iterable[str] | None = None) -> dict[str, int]:
        """One delta sync of every master table (`entities` is accepted for the BC
        synchronizer's signature; SAP's partners carry customers and contacts together)."""
        del entities
        with self._lock:
            started = time.perf_counter()
            conn = self._connect()
            try:
                conn.execute(CLERKS_DDL)
                rows = self._sync_products(conn, _watermark(conn, "items"))
                rows |= self._sync_partners(conn, _watermark(conn, "customers"))
                newest = _watermark(conn, "items")  # the newest product change seen
                rows |= self._customize(conn, newest or utc_stamp())
            finally:
                conn.close()
            self.clock = {"source": "sap", "lastChange": newest}
            self.last = SyncResult(rows, self.clock, time.perf_counter() - started, utc_stamp())
            self.generation += 1
            return rows

    def _dated(self, header: str | None) -> None:
        with contextlib.suppress(TypeError, ValueError):
            self.today = email.utils.parsedate_to_datetime(header or "").date()

    def _entities(self, entity_set: str, **options: Any) -> Iterator[dict[str, Any]]:
        """Every entity of an API_BUSINESS_PARTNER or API_PRODUCT_SRV set, following
        ``__next``; each page's call recorded (`on_call`)."""
        service = PRODUCTS if entity_set == "A_Product" else PARTNERS
        url: str | None = self.erp.url(service, entity_set)
        params: dict[str, Any] | None = {f"${k}": v for k, v in options.items()}
        while url is not None:
            started = time.perf_counter()
            ok = False
            try:
                response = self.erp.request("GET", url, params=params)
                page = response.json()["d"]
                ok = True
                self._dated(response.headers.get("Date"))
            finally:
                if self._on_call is not None:
                    self._on_call("sync", time.perf_counter() - started, ok)
            yield from page["results"]
            url, params = page.get("__next"), None

    def _sync_products(self, conn: sqlite3.Connection, watermark: str | None) -> dict[str, int]:
        since = None
        if watermark is not None:
            moment = _since(watermark).strftime("%Y-%m-%dT%H:%M:%SZ")
            since = f"LastChangeDateTime ge datetimeoffset'{moment}'"
        known = dict(conn.execute("SELECT no, last_modified_date_time FROM items"))
        products = self._changed(
            "A_Product", "Product", "LastChangeDateTime", since, PRODUCT_EXPAND, known,
            lambda row: v2_stamp(row.get("LastChangeDateTime")),
        )  # fmt: skip
        items: list[tuple[Any, ...]] = []
        units: list[tuple[Any, ...]] = []
        for product in products:
            item, its_units = product_rows(product)
            items.append(item)
            units.extend(its_units)
        newest = max((row[9] for row in items), default=watermark)
        with conn:
            conn.executemany(
                "DELETE FROM item_units_of_measure WHERE item_no = ?", [(i[1],) for i in items]
            )
            conn.executemany(_upsert("items"), items)
            conn.executemany(_upsert("item_units_of_measure"), units)
            record_sync(conn, "items", newest)
            record_sync(conn, "item_units_of_measure", newest)
        return {"items": len(items), "item_units_of_measure": len(units)}

    def _sync_partners(self, conn: sqlite3.Connection, watermark: str | None) -> dict[str, int]:
        since = None
        if watermark is not None:
            start = _since(watermark)
            day, moment = start.strftime("%Y-%m-%dT00:00:00"), start.strftime("PT%HH%MM%SS")
            since = (
                f"LastChangeDate gt datetime'{day}' or (LastChangeDate eq datetime'{day}'"
                f" and LastChangeTime ge time'{moment}')"
            )
        known = dict(
            conn.execute(
                "SELECT no, last_modified_date_time FROM customers"
                " UNION ALL SELECT no, last_modified_date_time FROM contacts"
            )
        )
        partners = self._changed(
            "A_BusinessPartner", "BusinessPartner", "LastChangeDate,LastChangeTime", since,
            PARTNER_EXPAND, known, partner_stamp,
        )  # fmt: skip
        customers: list[tuple[Any, ...]] = []
        clerks: list[tuple[str, str]] = []
        persons: dict[str, dict[str, Any]] = {}
        for partner in partners:
            if str(partner.get("BusinessPartnerCategory")) == "1":
                persons[str(partner["BusinessPartner"])] = partner
                continue
            found = customer_row(partner)
            if found is not None:
                customers.append(found[0])
                if found[1]:
                    clerks.append((found[0][1], found[1]))
        companies = self._companies(list(persons), everyone=watermark is None)
        contacts = [
            contact_row(partner, companies[number])
            for number, partner in persons.items()
            if number in companies
        ]
        stamps = [row[13] for row in customers] + [row[5] for row in contacts]
        newest = max(stamps, default=watermark)
        with conn:
            conn.executemany(_upsert("customers"), customers)
            conn.executemany(
                "INSERT OR REPLACE INTO sap_accounting_clerks (customer_no, email) VALUES (?, ?)",
                clerks,
            )
            conn.executemany(_upsert("contacts"), contacts)
            if customers or contacts:
                conn.execute(
                    "UPDATE contacts SET role = CASE WHEN lower(email) = (SELECT lower(k.email)"
                    " FROM sap_accounting_clerks k WHERE k.customer_no = contacts.customer_no)"
                    " THEN 'ap_clerk' ELSE 'buyer' END"
                )
            record_sync(conn, "customers", newest)
            record_sync(conn, "contacts", newest)
        return {"customers": len(customers), "contacts": len(contacts)}

    def _changed(
        self,
        entity_set: str,
        key: str,
        stamps: str,
        since: str | None,
        expand: str,
        known: dict[str, str],
        stamp_of: Callable[[dict[str, Any]], str | None],
    ) -> list[dict[str, Any]]:
        """The entities to upsert, expanded: on the first run (`since` None) every one;
        later those changed since, whose stamp is not the mirror's. Those are found by a
        scan of keys and stamps alone and then read by key, so a delta that finds nothing
        new (the rows at the newest stamp seen again) costs one cheap scan."""
        if since is None:
            return list(self._entities(entity_set, expand=expand))
        changed = [
            str(row[key])
            for row in self._entities(entity_set, select=f"{key},{stamps}", filter=since)
            if known.get(str(row[key])) != stamp_of(row)
        ]
        found: list[dict[str, Any]] = []
        for start in range(0, len(changed), KEYS_PER_CALL):
            chunk = changed[start : start + KEYS_PER_CALL]
            condition = " or ".join(f"{key} eq '{v2_quoted(k)}'" for k in chunk)
            found.extend(self._entities(entity_set, expand=expand, filter=condition))
        return found

    def _companies(self, persons: list[str], *, everyone: bool) -> dict[str, str]:
        """Each person's company, from its contact-person relationship: the whole set on
        the first run, else asked for the changed persons only."""
        found: dict[str, str] = {}

        def take(rows: Iterator[dict[str, Any]]) -> None:
            for row in rows:
                if row.get("RelationshipCategory", "BUR001") == "BUR001":
                    found.setdefault(str(row["BusinessPartnerPerson"]), str(
                        row["BusinessPartnerCompany"]))  # fmt: skip

        select = "BusinessPartnerPerson,BusinessPartnerCompany,RelationshipCategory"
        if everyone:
            take(self._entities("A_BusinessPartnerContact", select=select))
            return found
        for start in range(0, len(persons), KEYS_PER_CALL):
            chunk = persons[start : start + KEYS_PER_CALL]
            condition = " or ".join(f"BusinessPartnerPerson eq '{v2_quoted(p)}'" for p in chunk)
            take(self._entities("A_BusinessPartnerContact", select=select, filter=condition))
        return found

    def _customize(self, conn: sqlite3.Connection, stamp: str) -> dict[str, int]:
        if self.customizing is not None:
            return sap_customizing.apply(conn, self.customizing, stamp=stamp)
        return sap_customizing.derive(conn, stamp=stamp)


def _watermark(conn: sqlite3.Connection, table: str) -> str | None:
    """Where the table's last run left its delta (the newest change it saw), or None."""
    found = conn.execute("SELECT watermark FROM sync_state WHERE entity = ?", (table,))
    row = found.fetchone()
    return None if row is None else row[0]


def _since(watermark: str) -> dt.datetime:
    """Where a delta starts: `OVERLAP` before the newest change the last run saw."""
    return dt.datetime.fromisoformat(watermark.replace("Z", "+00:00")) - OVERLAP
