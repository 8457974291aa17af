"""The master-data services read our world with SAP's meanings: products (plants, sales
data, units), business partners (customers and their contacts, sales area, company code,
partner functions), sales pricing condition records from the price lists, and stock. Every
value is checked against the dataset."""

from __future__ import annotations

import sqlite3

import pytest
import requests

from simulator.erp_server.sap.catalog import service
from simulator.erp_server.sap.codes import Codes, sap_unit

PRODUCT = "/API_PRODUCT_SRV"
PARTNER = "/API_BUSINESS_PARTNER"
PRICING = "/API_SLSPRICINGCONDITIONRECORD_SRV"
STOCK = "/API_MATERIAL_STOCK_SRV"

MAPPED = {
    "API_PRODUCT_SRV": (
        "A_ProductPlant",
        "A_ProductSales",
        "A_ProductSalesDelivery",
        "A_ProductUnitsOfMeasure",
        "A_ProductUnitsOfMeasureEAN",
    ),
    "API_BUSINESS_PARTNER": (
        "A_BusinessPartner",
        "A_BusinessPartnerAddress",
        "A_AddressEmailAddress",
        "A_AddressPhoneNumber",
        "A_BusinessPartnerContact",
        "A_BusinessPartnerRole",
        "A_Customer",
        "A_CustomerCompany",
        "A_CustomerSalesArea",
        "A_CustSalesPartnerFunc",
    ),
    "API_SLSPRICINGCONDITIONRECORD_SRV": (
        "A_SlsPrcgConditionRecord",
        "A_SlsPrcgCndnRecdValidity",
        "A_SlsPrcgCndnRecordScale",
    ),
    "API_MATERIAL_STOCK_SRV": ("A_MaterialStock", "A_MatlStkInAcctMod"),
    "API_OUTBOUND_DELIVERY_SRV": (
        "A_OutbDeliveryHeader",
        "A_OutbDeliveryItem",
        "A_OutbDeliveryPartner",
    ),
    "API_BILLING_DOCUMENT_SRV": (
        "A_BillingDocument",
        "A_BillingDocumentItem",
        "A_BillingDocumentItemPrcgElmnt",
        "A_BillingDocumentPartner",
    ),
}


def _d(response: requests.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()["d"]


@pytest.mark.parametrize(
    ("service_name", "set_name"),
    [(s, name) for s, names in MAPPED.items() for name in names],
)
def test_every_sap_property_is_served(
    sap: str, session: requests.Session, service_name: str, set_name: str
) -> None:
    rows = _d(session.get(f"{sap}/{service_name}/{set_name}", params={"$top": "2"}))["results"]
    assert rows, f"{set_name} has no rows"
    entity = service(service_name).sets[set_name]
    served = {k for k in rows[0] if not k.startswith("__") and k not in entity.navigations}
    assert served == {p.name for p in entity.properties}


def test_product_plants_sales_data_and_units(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    codes = Codes(sql)
    item, base, disc_group, gtin = sql.execute(
        "SELECT i.no, i.base_unit_of_measure, i.item_disc_group, i.gtin FROM items i"
        " WHERE EXISTS (SELECT 1 FROM item_units_of_measure u WHERE u.item_no = i.no"
        " AND u.qty_per_unit_of_measure > 1) ORDER BY i.no LIMIT 1"
    ).fetchone()
    body = _d(
        session.get(
            f"{sap}{PRODUCT}/A_Product('{item}')",
            params={
                "$expand": "to_Plant,to_SalesDelivery,to_ProductUnitsOfMeasure,to_ProductSales"
            },
        )
    )
    plants = {p["Plant"] for p in body["to_Plant"]["results"]}
    locations = [
        r[0] for r in sql.execute("SELECT location_code FROM item_stock WHERE item_no = ?", (item,))
    ]
    assert plants == {codes.to_sap("plant", code) for code in locations}
    assert all(len(plant) == 4 for plant in plants)
    (delivery,) = body["to_SalesDelivery"]["results"]
    assert (delivery["ProductSalesOrg"], delivery["ProductDistributionChnl"]) == ("1010", "10")
    assert delivery["PriceSpecificationProductGroup"] == codes.to_sap("pricing_group", disc_group)
    assert body["to_ProductSales"]["TaxClassification"] == "1"
    units = {u["AlternativeUnit"]: u for u in body["to_ProductUnitsOfMeasure"]["results"]}
    for code, factor in sql.execute(
        "SELECT code, qty_per_unit_of_measure FROM item_units_of_measure WHERE item_no = ?",
        (item,),
    ):
        unit = units[sap_unit(code)]
        assert int(unit["QuantityNumerator"]) / int(unit["QuantityDenominator"]) == factor
        assert unit["BaseUnit"] == sap_unit(base)
    assert units[sap_unit(base)]["GlobalTradeItemNumber"] == gtin
    ean = _d(
        session.get(
            f"{sap}{PRODUCT}/A_ProductUnitsOfMeasure(Product='{item}',AlternativeUnit='{sap_unit(base)}')/to_InternationalArticleNumber"
        )
    )["results"]
    assert [e["ProductStandardID"] for e in ean] == [gtin]


def test_category_tree_is_sap_product_hierarchy(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    """Each item's category is a node of SAP's 5/5/8 product hierarchy whose prefixes are
    its ancestors' nodes: a connector rebuilds the tree from the keys alone."""
    codes = Codes(sql)
    parents = dict(sql.execute("SELECT code, parent_code FROM item_categories"))
    rows = _d(
        session.get(
            f"{sap}{PRODUCT}/A_Product",
            params={
                "$top": "40",
                "$select": "Product,ProductHierarchy",
                "$expand": "to_SalesDelivery",
            },
        )
    )["results"]
    category = dict(sql.execute("SELECT no, item_category_code FROM items"))
    assert rows
    for row in rows:
        node = row["ProductHierarchy"]
        assert len(node) == 18
        assert node.isdigit()
        assert node == codes.to_sap("product_hierarchy", category[row["Product"]])
        assert codes.from_sap("product_hierarchy", node) == category[row["Product"]]
        parent = parents[category[row["Product"]]]
        assert codes.to_sap("product_hierarchy", parent) == node[:10]
        assert codes.to_sap("product_hierarchy", parents[parent]) == node[:5]
        assert row["to_SalesDelivery"]["results"][0]["ProductHierarchy"] == node
    nodes = {codes.to_sap("product_hierarchy", code) for code in parents}
    assert len(nodes) == len(parents)  # one node per category


def test_customer_is_a_business_partner_with_sales_area_and_company_code(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    codes = Codes(sql)
    no, name, terms, price_group, segment, location, currency, salesperson = sql.execute(
        "SELECT no, name, payment_terms_code, customer_price_group, segment, location_code,"
        " currency_code, salesperson_code FROM customers WHERE salesperson_code <> ''"
        " AND customer_price_group <> '' ORDER BY no LIMIT 1"
    ).fetchone()
    body = _d(
        session.get(
            f"{sap}{PARTNER}/A_BusinessPartner('{no}')",
            params={
                "$expand": "to_Customer/to_CustomerSalesArea/to_PartnerFunction,"
                "to_Customer/to_CustomerCompany,to_BusinessPartnerRole,"
                "to_BusinessPartnerAddress/to_EmailAddress,to_BusinessPartnerContact"
            },
        )
    )
    assert body["BusinessPartnerCategory"] == "2"
    assert body["Customer"] == no
    assert body["OrganizationBPName1"] == name[:40]
    customer = body["to_Customer"]
    assert customer["Industry"] == codes.to_sap("customer_group", segment)
    (area,) = customer["to_CustomerSalesArea"]["results"]
    assert (area["SalesOrganization"], area["DistributionChannel"], area["Division"]) == (
        "1010",
        "10",
        "00",
    )
    assert area["CustomerPaymentTerms"] == codes.to_sap("payment_terms", terms)
    assert area["CustomerPriceGroup"] == codes.to_sap("price_group", price_group)
    assert area["SupplyingPlant"] == codes.to_sap("plant", location)
    assert area["Currency"] == (currency or "EUR")
    functions = {f["PartnerFunction"]: f for f in area["to_PartnerFunction"]["results"]}
    assert {functions[f]["BPCustomerNumber"] for f in ("AG", "RE", "RG", "WE")} == {no}
    assert functions["VE"]["PersonnelNumber"] == codes.to_sap("personnel", salesperson)
    (company,) = customer["to_CustomerCompany"]["results"]
    assert company["CompanyCode"] == "1010"
    assert company["PaymentTerms"] == codes.to_sap("payment_terms", terms)
    assert {r["BusinessPartnerRole"] for r in body["to_BusinessPartnerRole"]["results"]} == {
        "FLCU00",
        "FLCU01",
    }
    (address,) = body["to_BusinessPartnerAddress"]["results"]
    city, email = sql.execute("SELECT city, email FROM customers WHERE no = ?", (no,)).fetchone()
    assert address["CityName"] == city
    assert [e["EmailAddress"] for e in address["to_EmailAddress"]["results"]] == [email]
    contacts = [
        r[0]
        for r in sql.execute("SELECT no FROM contacts WHERE customer_no = ? ORDER BY no", (no,))
    ]
    related = body["to_BusinessPartnerContact"]["results"]
    assert [r["BusinessPartnerPerson"] for r in related] == contacts
    assert sum(r["IsStandardRelationship"] for r in related) == 1


def test_contact_is_a_person_partner(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    no, first, last, email = sql.execute(
        "SELECT no, first_name, surname, email FROM contacts ORDER BY no LIMIT 1"
    ).fetchone()
    body = _d(
        session.get(
            f"{sap}{PARTNER}/A_BusinessPartner('{no}')",
            params={"$expand": "to_BusinessPartnerRole,to_BusinessPartnerAddress/to_EmailAddress"},
        )
    )
    assert (body["BusinessPartnerCategory"], body["FirstName"], body["LastName"]) == (
        "1",
        first,
        last,
    )
    assert [r["BusinessPartnerRole"] for r in body["to_BusinessPartnerRole"]["results"]] == [
        "BUP001"
    ]
    emails = body["to_BusinessPartnerAddress"]["results"][0]["to_EmailAddress"]["results"]
    assert [e["EmailAddress"] for e in emails] == [email]


def test_blocked_customers_carry_sap_blocks(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    blocked = dict(sql.execute("SELECT no, blocked FROM customers WHERE blocked <> ''"))
    assert blocked
    rows = _d(
        session.get(
            f"{sap}{PARTNER}/A_Customer",
            params={
                "$filter": "DeliveryIsBlocked eq '01'",
                "$select": "Customer,OrderIsBlockedForCustomer,PostingIsBlocked",
            },
        )
    )["results"]
    assert {r["Customer"] for r in rows} == {n for n, b in blocked.items() if b in ("All", "Ship")}
    for row in rows:
        assert (row["OrderIsBlockedForCustomer"] == "01") == (blocked[row["Customer"]] == "All")
        assert row["PostingIsBlocked"] == (blocked[row["Customer"]] == "All")


def test_filter_sales_areas_by_price_group(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    group, members = sql.execute(
        "SELECT customer_price_group, count(*) FROM customers GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    ).fetchone()
    code = Codes(sql).to_sap("price_group", group)
    count = session.get(
        f"{sap}{PARTNER}/A_CustomerSalesArea/$count",
        params={"$filter": f"CustomerPriceGroup eq '{code}'"},
    )
    assert int(count.text) == members


def test_customer_price_is_a_condition_record_with_scales(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    customer, item, start = sql.execute(
        "SELECT source_no, asset_no, starting_date FROM price_list_lines"
        " WHERE source_type = 'Customer' AND amount_type = 'Price' AND minimum_quantity > 0"
        " ORDER BY price_list_code, line_no LIMIT 1"
    ).fetchone()
    lines = sql.execute(
        "SELECT minimum_quantity, unit_price, ending_date FROM price_list_lines"
        " WHERE source_type = 'Customer' AND source_no = ? AND asset_no = ?"
        " AND starting_date = ? AND amount_type = 'Price' ORDER BY line_no",
        (customer, item, start),
    ).fetchall()
    validity = _d(
        session.get(
            f"{sap}{PRICING}/A_SlsPrcgCndnRecdValidity",
            params={
                "$filter": f"Customer eq '{customer}' and Material eq '{item}'"
                f" and ConditionValidityStartDate eq datetime'{start}T00:00:00'",
                "$expand": "to_SlsPrcgConditionRecord/to_SlsPrcgCndnRecordScale",
            },
        )
    )["results"]
    assert len(validity) == 1
    (found,) = validity
    assert (found["ConditionType"], found["SalesOrganization"]) == ("PPR0", "1010")
    record = found["to_SlsPrcgConditionRecord"]
    assert record["ConditionTable"] == "305"
    assert len(record["ConditionRecord"]) == 10
    assert float(record["ConditionRateValue"]) == pytest.approx(lines[0][1], abs=5e-4)
    assert record["ConditionValidityEndDate"] == found["ConditionValidityEndDate"]
    if lines[0][2] is None:
        assert record["ConditionValidityEndDate"] == "/Date(253402214400000)/"  # 9999-12-31
    scales = record["to_SlsPrcgCndnRecordScale"]["results"]
    assert [float(s["ConditionScaleQuantity"]) for s in scales] == [q for q, _, _ in lines]
    assert [float(s["ConditionRateAmount"]) for s in scales] == pytest.approx(
        [p for _, p, _ in lines]
    )
    assert [s["ConditionScaleLine"] for s in scales] == [
        f"{i:04d}" for i in range(1, len(lines) + 1)
    ]
    again = _d(
        session.get(f"{sap}{PRICING}/A_SlsPrcgConditionRecord('{record['ConditionRecord']}')")
    )
    assert again["ConditionRecord"] == record["ConditionRecord"]


def test_discounts_are_negative_percentages(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    customer, group, pct = sql.execute(
        "SELECT source_no, asset_no, line_discount_pct FROM price_list_lines"
        " WHERE source_type = 'Customer' AND amount_type = 'Discount'"
        " ORDER BY price_list_code, line_no LIMIT 1"
    ).fetchone()
    rows = _d(
        session.get(
            f"{sap}{PRICING}/A_SlsPrcgCndnRecdValidity",
            params={
                "$filter": f"Customer eq '{customer}' and ConditionType eq 'K030'"
                f" and MaterialPricingGroup eq '{Codes(sql).to_sap('pricing_group', group)}'",
                "$expand": "to_SlsPrcgConditionRecord",
            },
        )
    )["results"]
    record = rows[0]["to_SlsPrcgConditionRecord"]
    assert record["ConditionRateValueUnit"] == "%"
    assert float(record["ConditionRateValue"]) == pytest.approx(-pct)
    assert record["ConditionCalculationType"] == "A"


def test_stock_per_plant_is_item_stock(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    codes = Codes(sql)
    item, base = sql.execute(
        "SELECT no, base_unit_of_measure FROM items ORDER BY no LIMIT 1 OFFSET 7"
    ).fetchone()
    body = _d(
        session.get(
            f"{sap}{STOCK}/A_MaterialStock('{item}')", params={"$expand": "to_MatlStkInAcctMod"}
        )
    )
    assert body["MaterialBaseUnit"] == sap_unit(base)
    served = {
        s["Plant"]: float(s["MatlWrhsStkQtyInMatlBaseUnit"])
        for s in body["to_MatlStkInAcctMod"]["results"]
    }
    expected = {
        codes.to_sap("plant", location): inventory
        for location, inventory in sql.execute(
            "SELECT location_code, inventory FROM item_stock WHERE item_no = ?", (item,)
        )
    }
    assert served == expected
    assert {s["InventoryStockType"] for s in body["to_MatlStkInAcctMod"]["results"]} == {"01"}
    plant = next(iter(expected))
    filtered = _d(
        session.get(
            f"{sap}{STOCK}/A_MatlStkInAcctMod",
            params={
                "$filter": f"Material eq '{item}' and Plant eq '{plant}'"
                " and StorageLocation eq '0001'"
            },
        )
    )["results"]
    assert [float(r["MatlWrhsStkQtyInMatlBaseUnit"]) for r in filtered] == [expected[plant]]


def test_navigation_to_contacts_and_keys_with_dates(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    customer, contact = sql.execute(
        "SELECT customer_no, no FROM contacts ORDER BY no LIMIT 1"
    ).fetchone()
    related = _d(
        session.get(f"{sap}{PARTNER}/A_BusinessPartner('{customer}')/to_BusinessPartnerContact")
    )
    assert contact in [r["BusinessPartnerPerson"] for r in related["results"]]
    uri = related["results"][0]["__metadata"]["uri"]
    # SAP writes a datetime key's colons as %3A (the API hub sandbox's own URIs)
    assert "ValidityEndDate=datetime'9999-12-31T00%3A00%3A00'" in uri
    assert _d(session.get(uri))["RelationshipCategory"] == "BUR001"
