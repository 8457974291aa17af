"""API_BUSINESS_PARTNER: each customer as an organization business partner (category 2)
whose number is the customer number, each contact as a person business partner (category
1, number = contact number) related to its company as contact person (BUR001); one sales
area (1010 / 10 / 00) and one company code (1010) per customer.

Our codes become SAP keys through `sap_code` (payment terms, price group, segment as
customer group); a blocked customer gets SAP's central order / delivery / billing blocks.
"""

from __future__ import annotations

from simulator.erp_server.sap.mappings.common import (
    COMPANY_CODE,
    DISTRIBUTION_CHANNEL,
    DIVISION,
    OPEN_END,
    OPEN_END_STAMP,
    SALES_ORGANIZATION,
    USER,
    address_id,
    blocks,
    clock,
    currency,
    day,
    language,
    union,
)
from simulator.erp_server.sap.views import View

SERVICE = "API_BUSINESS_PARTNER"
ACCOUNT_GROUP = "'0001'"  # sold-to party
GROUPING = "'0002'"  # external numbering: our numbers are the partner numbers
RECONCILIATION_ACCOUNT = "'12100000'"  # receivables, domestic (S/4HANA's chart YCOA)
SEGMENT = "sap_code('customer_group', c.segment)"
CUSTOMERS = "FROM customers c"
CONTACTS = "FROM contacts k JOIN customers c ON c.no = k.customer_no"
BLOCK = blocks("c.blocked")
PERSON_NAME = "trim(k.first_name || ' ' || k.surname)"


def _created(stamp: str) -> dict[str, str]:
    return {
        "CreatedByUser": USER,
        "CreationDate": day(stamp),
        "CreationTime": clock(stamp),
        "LastChangeDate": day(stamp),
        "LastChangeTime": clock(stamp),
        "LastChangedByUser": USER,
    }


_PARTNER_COMMON = {
    "BusinessPartnerGrouping": GROUPING,
    "CorrespondenceLanguage": language("c.country_code"),
    "Language": language("c.country_code"),
}
ORGANIZATION = {
    "BusinessPartner": "c.no",
    "Customer": "c.no",
    "BusinessPartnerCategory": "'2'",
    "BusinessPartnerFullName": "substr(c.name, 1, 81)",
    "BusinessPartnerName": "substr(c.name, 1, 81)",
    "BusinessPartnerUUID": "c.id",
    **_PARTNER_COMMON,
    **_created("c.last_modified_date_time"),
    "OrganizationBPName1": "substr(c.name, 1, 40)",
    "OrganizationBPName2": "substr(c.name, 41, 40)",
    "SearchTerm1": "upper(substr(c.name, 1, 20))",
    "BusinessPartnerIsBlocked": "c.blocked = 'All'",
    "NameCountry": "c.country_code",
}
PERSON = {
    "BusinessPartner": "k.no",
    "Customer": "''",
    "BusinessPartnerCategory": "'1'",
    "BusinessPartnerFullName": f"substr({PERSON_NAME}, 1, 81)",
    "BusinessPartnerName": f"substr({PERSON_NAME}, 1, 81)",
    "BusinessPartnerUUID": "k.id",
    **_PARTNER_COMMON,
    **_created("k.last_modified_date_time"),
    "FirstName": "substr(k.first_name, 1, 40)",
    "LastName": "substr(k.surname, 1, 40)",
    "IsSexUnknown": "1",
    "GenderCodeName": "'0'",  # unknown
    "SearchTerm1": "upper(substr(k.surname, 1, 20))",
    "BusinessPartnerIsBlocked": "0",
    "NameCountry": "c.country_code",
    "PersonFullName": f"substr({PERSON_NAME}, 1, 80)",
    "NaturalPersonEmployerName": "substr(c.name, 1, 35)",
}


def _address(partner: str, name: str) -> dict[str, str]:
    """A partner's standard address: a contact works at its company's address."""
    return {
        "BusinessPartner": partner,
        "AddressID": address_id(partner),
        "ValidityStartDate": "substr(c.last_modified_date_time, 1, 10) || 'T00:00:00Z'",
        "ValidityEndDate": OPEN_END_STAMP,
        "CityName": "substr(c.city, 1, 40)",
        "Country": "c.country_code",
        "FullName": f"substr({name}, 1, 80)",
        "Language": language("c.country_code"),
        "PostalCode": "c.post_code",
        "PrfrdCommMediumType": "'INT'",  # e-mail
        "StreetName": "substr(c.address, 1, 60)",
    }


def _email(partner: str, email: str) -> dict[str, str]:
    return {
        "AddressID": address_id(partner),
        "Person": "''",
        "OrdinalNumber": "'1'",
        "IsDefaultEmailAddress": "1",
        "EmailAddress": email,
        "SearchEmailAddress": f"upper(substr({email}, 1, 20))",
    }


def _phone(partner: str, phone: str) -> dict[str, str]:
    return {
        "AddressID": address_id(partner),
        "Person": "''",
        "OrdinalNumber": "'1'",
        "DestinationLocationCountry": "c.country_code",
        "IsDefaultPhoneNumber": "1",
        "PhoneNumber": f"substr({phone}, 1, 30)",
        "InternationalPhoneNumber": (
            f"CASE WHEN {phone} LIKE '+%' THEN substr(replace(replace(replace(replace({phone},"
            " ' ', ''), '-', ''), '(', ''), ')', ''), 1, 30) ELSE '' END"
        ),
        "PhoneNumberType": "'1'",  # fixed line
    }


def _roles() -> tuple[str, dict[str, str]]:
    since = "substr({}.last_modified_date_time, 1, 10) || 'T00:00:00Z'"
    return union(
        [
            (
                {
                    "BusinessPartner": "c.no",
                    "BusinessPartnerRole": "r.role",
                    "ValidFrom": since.format("c"),
                },
                CUSTOMERS + " JOIN (SELECT 'FLCU00' AS role UNION ALL SELECT 'FLCU01') r",
            ),
            (
                {
                    "BusinessPartner": "k.no",
                    "BusinessPartnerRole": "'BUP001'",
                    "ValidFrom": since.format("k"),
                },
                "FROM contacts k",
            ),
        ]
    )


def _partner_functions() -> tuple[str, dict[str, str]]:
    """SAP's partner functions of a customer's sales area: the customer itself as sold-to
    (AG), bill-to (RE), payer (RG) and ship-to (WE); its salesperson as sales employee (VE);
    its contacts as contact persons (AP), counted 000, 001, 002..."""
    area = {
        "Customer": "c.no",
        "SalesOrganization": f"'{SALES_ORGANIZATION}'",
        "DistributionChannel": f"'{DISTRIBUTION_CHANNEL}'",
        "Division": f"'{DIVISION}'",
    }
    return union(
        [
            (
                area
                | {
                    "PartnerCounter": "'000'",
                    "PartnerFunction": "f.code",
                    "BPCustomerNumber": "c.no",
                    "AddressID": "''",
                },
                CUSTOMERS + " JOIN (SELECT 'AG' AS code UNION ALL SELECT 'RE' UNION ALL SELECT 'RG'"
                " UNION ALL SELECT 'WE') f",
            ),
            (
                area
                | {
                    "PartnerCounter": "'000'",
                    "PartnerFunction": "'VE'",
                    "PersonnelNumber": "sap_code('personnel', c.salesperson_code)",
                },
                CUSTOMERS + " WHERE c.salesperson_code <> ''",
            ),
            (
                area
                | {
                    "PartnerCounter": (
                        "printf('%03d', (SELECT count(*) FROM contacts o"
                        " WHERE o.customer_no = k.customer_no AND o.no < k.no))"
                    ),
                    "PartnerFunction": "'AP'",
                    "ContactPerson": "k.no",
                },
                CONTACTS,
            ),
        ]
    )


_AP_CLERK = (
    "(SELECT k.{} FROM contacts k WHERE k.customer_no = c.no AND k.role = 'ap_clerk'"
    " ORDER BY k.no LIMIT 1)"
)

VIEWS: dict[str, View] = {
    "A_BusinessPartner": View(*union([(ORGANIZATION, CUSTOMERS), (PERSON, CONTACTS)])),
    "A_BusinessPartnerAddress": View(
        *union([(_address("c.no", "c.name"), CUSTOMERS), (_address("k.no", PERSON_NAME), CONTACTS)])
    ),
    "A_AddressEmailAddress": View(
        *union(
            [
                (_email("c.no", "c.email"), CUSTOMERS + " WHERE c.email <> ''"),
                (_email("k.no", "k.email"), CONTACTS + " WHERE k.email <> ''"),
            ]
        )
    ),
    "A_AddressPhoneNumber": View(
        *union(
            [
                (_phone("c.no", "c.phone_no"), CUSTOMERS + " WHERE c.phone_no <> ''"),
                (_phone("k.no", "k.phone_no"), CONTACTS + " WHERE k.phone_no <> ''"),
            ]
        )
    ),
    "A_BusinessPartnerContact": View(
        "FROM contacts k",
        {
            "RelationshipNumber": "k.no",
            "BusinessPartnerCompany": "k.customer_no",
            "BusinessPartnerPerson": "k.no",
            "ValidityEndDate": OPEN_END,
            "ValidityStartDate": day("k.last_modified_date_time"),
            "IsStandardRelationship": (
                "k.no = (SELECT min(o.no) FROM contacts o WHERE o.customer_no = k.customer_no)"
            ),
            "RelationshipCategory": "'BUR001'",  # has contact person
        },
    ),
    "A_BusinessPartnerRole": View(*_roles()),
    "A_Customer": View(
        CUSTOMERS,
        {
            "Customer": "c.no",
            "BillingIsBlockedForCustomer": BLOCK["billing"],
            "CreatedByUser": USER,
            "CreationDate": day("c.last_modified_date_time"),
            "CustomerAccountGroup": ACCOUNT_GROUP,
            "CustomerClassification": "CASE WHEN c.key_account THEN 'A' ELSE '' END",
            "CustomerFullName": "c.name",
            "BPCustomerFullName": "c.name",
            "CustomerName": "substr(c.name, 1, 80)",
            "BPCustomerName": "substr(c.name, 1, 81)",
            "DeliveryIsBlocked": BLOCK["delivery"],
            "OrderIsBlockedForCustomer": BLOCK["order"],
            "PostingIsBlocked": BLOCK["posting"],
            "Industry": SEGMENT,
            "VATRegistration": "c.country_code || substr(c.id, 1, 8)",
            "DeletionIndicator": "0",
        },
    ),
    "A_CustomerCompany": View(
        CUSTOMERS,
        {
            "Customer": "c.no",
            "CompanyCode": f"'{COMPANY_CODE}'",
            "AccountingClerkInternetAddress": f"ifnull({_AP_CLERK.format('email')}, '')",
            "AccountingClerkPhoneNumber": (
                f"ifnull(substr({_AP_CLERK.format('phone_no')}, 1, 30), '')"
            ),
            "PaymentTerms": "sap_code('payment_terms', c.payment_terms_code)",
            "PhysicalInventoryBlockInd": BLOCK["posting"],
            "ReconciliationAccount": RECONCILIATION_ACCOUNT,
            "RecordPaymentHistoryIndicator": "1",
            "DeletionIndicator": "0",
            "CustomerAccountGroup": ACCOUNT_GROUP,
        },
    ),
    "A_CustomerSalesArea": View(
        CUSTOMERS,
        {
            "Customer": "c.no",
            "SalesOrganization": f"'{SALES_ORGANIZATION}'",
            "DistributionChannel": f"'{DISTRIBUTION_CHANNEL}'",
            "Division": f"'{DIVISION}'",
            "BillingIsBlockedForCustomer": BLOCK["billing"],
            "CreditControlArea": "'1000'",
            "Currency": currency("c.currency_code"),
            "CustomerABCClassification": "CASE WHEN c.key_account THEN 'A' ELSE '' END",
            "CustomerAccountAssignmentGroup": (  # domestic revenue, or foreign
                "CASE WHEN c.country_code = 'ES' THEN '01' ELSE '02' END"
            ),
            "CustomerGroup": SEGMENT,
            "CustomerPaymentTerms": "sap_code('payment_terms', c.payment_terms_code)",
            "CustomerPriceGroup": "sap_code('price_group', c.customer_price_group)",
            "CustomerPricingProcedure": "'1'",  # standard
            "DeliveryIsBlockedForCustomer": BLOCK["delivery"],
            "MaxNmbrOfPartialDelivery": "9",
            "OrderCombinationIsAllowed": "1",
            "OrderIsBlockedForCustomer": BLOCK["order"],
            "SalesOffice": "sap_code('plant', c.location_code)",  # one office per hub
            "ShippingCondition": "'01'",  # standard
            "SupplyingPlant": "sap_code('plant', c.location_code)",
            "ExchangeRateType": "'M'",
            # our customer discount group: condition records of K031 key on it
            "AdditionalCustomerGroup1": "sap_code('discount_group', c.customer_disc_group)",
            "CustomerAccountGroup": ACCOUNT_GROUP,
        },
    ),
    "A_CustSalesPartnerFunc": View(*_partner_functions()),
}
