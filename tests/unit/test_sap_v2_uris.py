"""Entity URIs as SAP Gateway writes them: a key's typed literal, percent-encoded where SAP
encodes (the colons of a datetime key are %3A, as the API hub sandbox answers for
A_SlsPrcgCndnRecdValidity), so a client that compares or re-requests the uri gets SAP's."""

from __future__ import annotations

from simulator.erp_server.sap.catalog import service
from simulator.erp_server.sap.v2 import entity_id, key_predicate


def test_datetime_key_colons_are_percent_encoded() -> None:
    validity = service("API_SLSPRICINGCONDITIONRECORD_SRV").sets["A_SlsPrcgCndnRecdValidity"]
    row = {"ConditionRecord": "0000008431", "ConditionValidityEndDate": "2016-09-15"}
    assert key_predicate(validity, row) == (
        "(ConditionRecord='0000008431',ConditionValidityEndDate=datetime'2016-09-15T00%3A00%3A00')"
    )


def test_string_keys_keep_quotes_and_encode_what_a_uri_cannot_hold() -> None:
    description = service("API_PRODUCT_SRV").sets["A_ProductDescription"]
    row = {"Product": "A B/'C", "Language": "EN"}
    assert entity_id("b/", description, row) == (
        "b/A_ProductDescription(Product='A%20B%2F''C',Language='EN')"
    )
