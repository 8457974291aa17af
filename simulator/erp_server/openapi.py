"""The OpenAPI document (`/openapi.json`): one path per entity set, typed from its Fields.

The reads are generic routes (``/{entity_set}({key})``) because routing must stay cheap,
but an OpenAPI document cannot say "any set name here": generators would call the literal
template. So the entity paths are written out per set, as Business Central's own OpenAPI
export does: ``/api/v2.0/items`` (GET with the OData query options as typed query
parameters), ``/api/v2.0/items({id})`` (GET, PATCH where the set is editable), and the
document lines under their header, ``/api/v2.0/salesOrders({id})/salesOrderLines``. Every
set has a component schema built from the same `entities` mapping the JSON and
`$metadata` come from (EDM types to JSON Schema, BC's enum members, nullability).

The rest of the API (service document, price calls, writes, subscriptions, admin) comes
from FastAPI's own generation over its routes, minus the generic templates and the
company-prefixed twins (documented once), with ``{key}`` named ``{id}``, typed request
bodies where we know them and OData error bodies instead of FastAPI's 422.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from simulator.erp_server import bc_writes
from simulator.erp_server.bc_sets import ENUMS
from simulator.erp_server.entities import ENTITY_SETS, EntitySet, Field
from simulator.erp_server.live import PATCHABLE
from simulator.erp_server.odata.metadata import (
    COMPANY_FIELDS,
    PRICE_PARAMETERS,
    PRICE_RESULT_FIELDS,
    PRICE_SOURCE_FIELDS,
)
from simulator.erp_server.routers import pricing
from simulator.erp_server.settings import API_ROOT

__all__ = ["GENERIC_PARAMETERS", "build_openapi", "install", "json_schema"]

# Path parameters of the generic routes: a path using them is not a real URL.
GENERIC_PARAMETERS = frozenset({"entity_set", "navigation"})
RENAMED_PARAMETERS = {"key": "id", "line_key": "lineId"}
ENUM_PREFIX = "Microsoft.NAV."
ERROR = "#/components/schemas/ODataError"
UNQUOTED_KEYS = frozenset({"Edm.Guid", "Edm.Int32"})
COMPANY_PREFIX = API_ROOT + "/companies({companyId})"

EDM_SCHEMAS: dict[str, dict[str, Any]] = {
    "Edm.String": {"type": "string"},
    "Edm.Guid": {"type": "string", "format": "uuid"},
    "Edm.Decimal": {"type": "number"},
    "Edm.Double": {"type": "number"},
    "Edm.Int32": {"type": "integer", "format": "int32"},
    "Edm.Int64": {"type": "integer", "format": "int64"},
    "Edm.Boolean": {"type": "boolean"},
    "Edm.Date": {"type": "string", "format": "date"},
    "Edm.DateTimeOffset": {"type": "string", "format": "date-time"},
    # BC's pictures: the value is a media link, never inline data (null here).
    "Edm.Stream": {"type": "string"},
}
QUERY_OPTIONS = (
    ("$filter", {"type": "string"}, "e.g. lastModifiedDateTime gt 2026-10-01T00:00:00Z"),
    ("$select", {"type": "string"}, "comma-separated fields, e.g. number,displayName"),
    ("$orderby", {"type": "string"}, "e.g. unitPrice desc,number"),
    ("$top", {"type": "integer", "minimum": 0}, "at most this many entities in all (paged)"),
    ("$skip", {"type": "integer", "minimum": 0}, "skip this many first"),
    ("$count", {"type": "boolean"}, "true: add @odata.count"),
    ("$skiptoken", {"type": "string"}, "opaque: copy it from @odata.nextLink"),
)
PREFER = {
    "name": "Prefer",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": r"^odata\.maxpagesize=[1-9][0-9]{0,5}$"},
    "description": "odata.maxpagesize=N: smaller pages than the server's",
}


def json_schema(edm: str, nullable: bool) -> dict[str, Any]:
    """The JSON Schema of one EDM-typed value (OpenAPI 3.1: null is a type)."""
    if edm.startswith(ENUM_PREFIX):
        ref = {"$ref": f"#/components/schemas/{edm}"}
        return {"anyOf": [ref, {"type": "null"}]} if nullable else ref
    schema = dict(EDM_SCHEMAS[edm])
    if nullable:
        schema["type"] = [schema["type"], "null"]
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _content(schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {media: {"schema": schema}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _content({"$ref": ERROR})}


ERRORS = {
    "400": _error("Bad request: malformed option, key, literal or body"),
    "401": _error("No valid API key"),
    "404": _error("No such entity, set or company"),
    "default": _error("Injected faults (429, 5xx) and other errors: an OData error body"),
}


def _object(
    properties: dict[str, Any], required: Iterable[str] = (), *, closed: bool = True
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    return schema


def _fields(fields: Iterable[tuple[str, str, bool]]) -> dict[str, Any]:
    return {name: json_schema(edm, nullable) for name, edm, nullable in fields}


def _entity_schema(entity: EntitySet) -> dict[str, Any]:
    """An entity as the API shows it: every field is optional ($select), the annotations
    and expanded lines are the only other members."""
    properties: dict[str, Any] = {
        "@odata.context": {"type": "string"},
        "@odata.etag": {"type": "string"},
    }
    properties |= _fields((f.name, f.edm, f.nullable) for f in entity.fields)
    for nav in entity.navigation:
        target = _ref(ENTITY_SETS[nav.target].type_name)
        properties[nav.name] = (
            {"anyOf": [target, {"type": "null"}]}
            if nav.single
            else {"type": "array", "items": target}
        )
    schema = _object(properties)
    schema["description"] = f"An entity of {entity.name} (key: {', '.join(entity.key)})"
    return schema


def _collection_schema(type_name: str) -> dict[str, Any]:
    return _object(
        {
            "@odata.context": {"type": "string"},
            "@odata.count": {"type": "integer", "minimum": 0},
            "value": {"type": "array", "items": _ref(type_name)},
            "@odata.nextLink": {"type": "string", "format": "uri"},
        },
        ("@odata.context", "value"),
    )


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "ODataError": _object(
            {
                "error": _object(
                    {
                        "code": {"type": "string", "description": "Business Central's code"},
                        "message": {"type": "string"},
                        "details": {
                            "type": "array",
                            "description": "erpsim's precise reason, machine-readable",
                            "items": _object(
                                {"code": {"type": "string"}, "message": {"type": "string"}},
                                ("code", "message"),
                            ),
                        },
                    },
                    ("code", "message"),
                )
            },
            ("error",),
        )
    }
    for name, members in ENUMS.items():
        schemas[ENUM_PREFIX + name] = {"type": "string", "enum": [m for m, _ in members]}
    company = _fields(COMPANY_FIELDS)
    schemas["company"] = _object(
        {"@odata.context": {"type": "string"}, "@odata.etag": {"type": "string"}, **company}
    )
    schemas["companyCollection"] = _collection_schema("company")
    for entity in ENTITY_SETS.values():
        schemas[entity.type_name] = _entity_schema(entity)
        schemas[entity.type_name + "Collection"] = _collection_schema(entity.type_name)
    source = _object(_fields(PRICE_SOURCE_FIELDS), [n for n, _, _ in PRICE_SOURCE_FIELDS])
    schemas["priceSource"] = source
    nullable_source = {"anyOf": [_ref("priceSource"), {"type": "null"}]}
    schemas["priceCalculationRequest"] = _object(
        _fields(PRICE_PARAMETERS), [n for n, _, nullable in PRICE_PARAMETERS if not nullable]
    )
    result = {"@odata.context": {"type": "string"}, **_fields(PRICE_RESULT_FIELDS)}
    result |= {"priceSource": nullable_source, "discountSource": nullable_source}
    schemas["priceCalculation"] = _object(result, [n for n, _, _ in PRICE_RESULT_FIELDS])
    batch_line = {
        "itemNumber": {"type": "string", "maxLength": 50},
        "unitOfMeasureCode": {"type": "string", "maxLength": 50},
        "quantity": {"type": "number"},
    }
    schemas["priceCalculationsRequest"] = _object(
        {
            "customerNumber": {"type": "string", "maxLength": 50},
            "date": {"type": "string", "format": "date"},
            "currencyCode": {"type": "string", "maxLength": 50},
            "lines": {
                "type": "array",
                "minItems": 1,
                "maxItems": pricing.MAX_BATCH_LINES,
                "items": _object(batch_line, ("itemNumber", "quantity")),
            },
        },
        ("customerNumber", "lines"),
    )
    priced = {
        **{k: v for k, v in result.items() if k != "@odata.context"},
        "quantityBreaks": {
            "type": "array",
            "items": _object(
                {"minimumQuantity": {"type": "number"}, "netUnitPrice": {"type": "number"}}
            ),
        },
        "availableQuantity": {"type": ["number", "null"]},
        "error": {"anyOf": [schemas["ODataError"]["properties"]["error"], {"type": "null"}]},
    }
    schemas["priceCalculations"] = _object(
        {
            "@odata.context": {"type": "string"},
            "customerNumber": {"type": "string"},
            "date": {"type": "string", "format": "date"},
            "locationCode": {"type": "string"},
            "value": {"type": "array", "items": _object(priced, ("itemNumber", "quantity"))},
        },
        ("customerNumber", "value"),
    )
    for kind, header, lines in (
        ("salesOrder", "salesOrders", "salesOrderLines"),
        ("salesQuote", "salesQuotes", "salesQuoteLines"),
    ):
        schemas[kind + "Create"] = _create_schema(header, lines)
    for name, allowed in PATCHABLE.items():
        entity = ENTITY_SETS[name]
        changes = {field: _text(entity.by_name[field], 250) for field in allowed}
        schema = _object(changes)
        schema["minProperties"] = 1
        schemas[entity.type_name + "Changes"] = schema
    return schemas


def _text(field: Field | None, limit: int) -> dict[str, Any]:
    if field is not None and field.edm != "Edm.String":
        return json_schema(field.edm, False)
    return {"type": "string", "maxLength": limit}


def _create_schema(header_set: str, lines_set: str) -> dict[str, Any]:
    """A create body: the header properties BC lets a connector set (`bc_writes`), typed from
    the entity, and the lines as an optional deep insert (header first, lines later, works)."""
    header, line = ENTITY_SETS[header_set], ENTITY_SETS[lines_set]
    kind = {"salesOrders": "order", "salesQuotes": "quote", "salesInvoices": "invoice"}
    fields = bc_writes.KIND_FIELDS[kind[header_set]]
    properties = {name: _text(header.by_name.get(name), 100) for name in sorted(fields)}
    if "channel" in properties:
        properties["channel"] = {"type": "string", "enum": list(bc_writes.CHANNELS)}
    line_properties = {
        name: _text(line.by_name.get(name), 100) for name in sorted(bc_writes.LINE_FIELDS)
    }
    if "quantity" in line_properties:
        line_properties["quantity"] = {"type": "number", "exclusiveMinimum": 0, "maximum": 1e9}
    properties[lines_set] = {
        "type": "array",
        "maxItems": bc_writes.MAX_LINES,
        "items": _object(line_properties),
    }
    return _object(properties)


# --- paths -------------------------------------------------------------------------------
def _query_parameters(entity: EntitySet | None, max_top: int) -> list[dict[str, Any]]:
    parameters = []
    for name, schema, description in QUERY_OPTIONS:
        typed = {**schema, "maximum": max_top} if name == "$top" else schema
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": typed,
                "description": description,
            }
        )
    return parameters + _expand(entity) + [PREFER]


def _expand(entity: EntitySet | None) -> list[dict[str, Any]]:
    if entity is None or not entity.navigation:
        return []
    names = [nav.name for nav in entity.navigation]
    return [
        {
            "name": "$expand",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": names},
            "description": "include the document lines",
        }
    ]


def _select() -> dict[str, Any]:
    return {
        "name": "$select",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "comma-separated fields",
    }


def _key_path(entity: EntitySet, names: dict[str, str] | None = None) -> tuple[str, list[Any]]:
    """``({id})``, ``('{code}')`` or ``(itemNumber='{itemNumber}',...)`` and its parameters."""
    names = names or {}
    parts, parameters = [], []
    for field in entity.key_fields:
        name = names.get(field.name, field.name)
        if field.edm in UNQUOTED_KEYS:
            literal = f"{{{name}}}"
            schema = json_schema(field.edm, False)
        else:  # text, and dates too: the server reads every other key value as quoted
            literal = f"'{{{name}}}'"
            schema = {**json_schema(field.edm, False), "minLength": 1, "maxLength": 100}
        parts.append(literal if len(entity.key) == 1 else f"{field.name}={literal}")
        parameters.append(
            {"name": name, "in": "path", "required": True, "schema": schema}
            | (
                {"description": f"the {field.name} (quotes are part of the URL)"}
                if "'" in literal
                else {}
            )
        )
    return "(" + ",".join(parts) + ")", parameters


def _ok(schema_name: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": _content(_ref(schema_name)), **extra}


ETAG_HEADER = {"ETag": {"description": "the entity's ETag", "schema": {"type": "string"}}}


def _operation(
    operation_id: str,
    summary: str,
    responses: dict[str, Any],
    parameters: list[Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    operation = {"tags": ["entities"], "operationId": operation_id, "summary": summary}
    if parameters:
        operation["parameters"] = parameters
    return {**operation, **extra, "responses": {**responses, **ERRORS}}


def _entity_paths(max_top: int) -> dict[str, dict[str, Any]]:
    paths: dict[str, dict[str, Any]] = {}
    paths[f"{API_ROOT}/companies"] = {
        "get": _operation(
            "list_companies",
            "The companies (one per dataset)",
            {"200": _ok("companyCollection", "The companies")},
        )
    }
    company_id = {"name": "id", "in": "path", "required": True, "schema": EDM_SCHEMAS["Edm.Guid"]}
    paths[f"{API_ROOT}/companies({{id}})"] = {
        "get": _operation(
            "get_company", "The company", {"200": _ok("company", "The company")}, [company_id]
        )
    }
    for entity in ENTITY_SETS.values():
        collection = entity.type_name + "Collection"
        base = f"{API_ROOT}/{entity.name}"
        paths[base] = {
            "get": _operation(
                f"list_{entity.name}",
                f"Read {entity.name} (query options, server-driven paging)",
                {"200": _ok(collection, f"A page of {entity.name}")},
                _query_parameters(entity, max_top),
            )
        }
        key, key_parameters = _key_path(entity)
        one: dict[str, Any] = {
            "get": _operation(
                f"get_{entity.name}",
                f"Read one of {entity.name} by key",
                {"200": _ok(entity.type_name, "The entity", headers=ETAG_HEADER)},
                [*key_parameters, _select(), *_expand(entity)],
            )
        }
        if entity.name in PATCHABLE:
            one["patch"] = _operation(
                f"patch_{entity.name}",
                f"Update one of {entity.name} (needs If-Match; editable: "
                + ", ".join(PATCHABLE[entity.name])
                + ")",
                {
                    "200": _ok(entity.type_name, "The entity as changed", headers=ETAG_HEADER),
                    "409": _error("The entity cannot change now (e.g. a released order)"),
                    "412": _error("The ETag does not match: the entity changed"),
                    "428": _error("No If-Match header"),
                },
                [
                    *key_parameters,
                    {
                        "name": "If-Match",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "the entity's ETag, or * to force",
                    },
                ],
                requestBody={
                    "required": True,
                    "content": _content(_ref(entity.type_name + "Changes")),
                },
            )
        paths[base + key] = one
        for nav in entity.navigation:
            if nav.single:
                continue  # a reference: read it with $expand
            target = ENTITY_SETS[nav.target]
            lines = f"{base}{key}/{nav.name}"
            paths[lines] = {
                "get": _operation(
                    f"list_{entity.name}_{nav.name}",
                    f"Read the {nav.name} of one of {entity.name}",
                    {"200": _ok(target.type_name + "Collection", f"A page of {nav.name}")},
                    [*key_parameters, *_query_parameters(target, max_top)],
                )
            }
            line_key, line_parameters = _key_path(target, {"id": "lineId"})
            paths[lines + line_key] = {
                "get": _operation(
                    f"get_{entity.name}_{nav.name}",
                    f"Read one of the {nav.name} of one of {entity.name}",
                    {"200": _ok(target.type_name, "The line", headers=ETAG_HEADER)},
                    [*key_parameters, *line_parameters, _select()],
                )
            }
    items = ENTITY_SETS["items"]
    paths[COMPANY_PREFIX + "/items"] = {
        "get": _operation(
            "list_company_items",
            "The company-scoped form: every /api/v2.0/ path is also served under "
            "/api/v2.0/companies({companyId})/ (shown once, for items)",
            {"200": _ok(items.type_name + "Collection", "A page of items")},
            [
                {
                    "name": "companyId",
                    "in": "path",
                    "required": True,
                    "schema": EDM_SCHEMAS["Edm.Guid"],
                    "description": "GET /api/v2.0/companies lists it",
                },
                *_query_parameters(items, max_top),
            ],
        )
    }
    return paths


# Request and response bodies of FastAPI-generated operations we can type.
def _typed_bodies() -> dict[tuple[str, str], dict[str, Any]]:
    created = {
        "201": {
            "description": "Created, with its lines; Location and ETag headers",
            "content": _content(_ref("salesOrder")),
        },
        "409": _error("Over the customer's credit limit"),
        "422": _error("Blocked customer or item, unit not defined, idempotency key reused"),
    }
    idempotency = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": "a retried POST with the same key returns the same document",
    }
    bodies = {}
    for header, kind in (("salesOrders", "salesOrder"), ("salesQuotes", "salesQuote")):
        responses = dict(created)
        responses["201"] = {**created["201"], "content": _content(_ref(kind))}
        bodies[("post", f"{API_ROOT}/{header}")] = {
            "parameters": [idempotency],
            "requestBody": {"required": True, "content": _content(_ref(kind + "Create"))},
            "responses": responses,
        }
    bodies[("post", f"{API_ROOT}/calculatePrice")] = {
        "requestBody": {"required": True, "content": _content(_ref("priceCalculationRequest"))},
        "responses": {"200": _ok("priceCalculation", "The price")},
    }
    bodies[("post", f"{API_ROOT}/calculatePrices")] = {
        "requestBody": {"required": True, "content": _content(_ref("priceCalculationsRequest"))},
        "responses": {"200": _ok("priceCalculations", "Each line's price, breaks and stock")},
    }
    bodies[("get", f"{API_ROOT}/$metadata")] = {
        "responses": {
            "200": {
                "description": "OData CSDL (XML)",
                "content": _content({"type": "string"}, "application/xml"),
            }
        }
    }
    return bodies


_TEMPLATE = re.compile(r"\{(\w+)\}")


def _documented(path: str, company_prefix: str) -> bool:
    """Not the company-prefixed twins (documented once) nor the generic templates."""
    if path.startswith(company_prefix):
        return False
    return not GENERIC_PARAMETERS & set(_TEMPLATE.findall(path))


_TOP_LEVEL_LINE = re.compile(r"^(/api/v2\.0/\w+)\(\{lineId\}\)$")


def _rename(path: str, operation: dict[str, Any]) -> str:
    for old, new in RENAMED_PARAMETERS.items():
        path = path.replace(f"{{{old}}}", f"{{{new}}}")

    for parameter in operation.get("parameters", ()):
        if parameter.get("in") == "path" and parameter["name"] in RENAMED_PARAMETERS:
            parameter["name"] = RENAMED_PARAMETERS[parameter["name"]]
            parameter["schema"] = {"type": "string"}
    top = _TOP_LEVEL_LINE.match(path)
    if top:  # salesOrderLines({lineId}): the line set's own key, one path with the reads
        path = top.group(1) + "({id})"
        for parameter in operation.get("parameters", ()):
            if parameter.get("in") == "path" and parameter["name"] == "lineId":
                parameter["name"] = "id"
                parameter["schema"] = EDM_SCHEMAS["Edm.Guid"]
    return path


def _odata_errors(operation: dict[str, Any]) -> None:
    """FastAPI documents a 422 with its own body; this API answers 400 with an OData one."""
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)
    for status, response in ERRORS.items():
        responses.setdefault(status, response)


def build_openapi(app: FastAPI, *, company_prefix: str, max_top: int) -> dict[str, Any]:
    """The whole document for `app` (the routes it serves, the sets of `entities`)."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        summary=app.summary,
        description=(
            "Business Central API v2.0-shaped OData v4 over a synthetic ERP. Every path under "
            "/api/v2.0/ is also served under /api/v2.0/companies({companyId})/ (one company per "
            "dataset). Authenticate with the `api-key` header or `Authorization: Bearer`."
        ),
        routes=app.routes,
    )
    paths: dict[str, dict[str, Any]] = {}
    typed = _typed_bodies()
    for path, item in document.get("paths", {}).items():
        if not _documented(path, company_prefix):
            continue
        for method, operation in item.items():
            renamed = _rename(path, operation)
            if (method, renamed) in typed:
                extra = typed[(method, renamed)]
                operation["parameters"] = [
                    *operation.get("parameters", ()),
                    *extra.get("parameters", ()),
                ]
                if "requestBody" in extra:
                    operation["requestBody"] = extra["requestBody"]
                operation["responses"] = dict(extra["responses"])
            if renamed.startswith(API_ROOT + "/sales") and "{id}" in renamed:
                for parameter in operation.get("parameters", ()):
                    if parameter["name"] == "id":
                        parameter["schema"] = EDM_SCHEMAS["Edm.Guid"]
            _odata_errors(operation)
            paths.setdefault(renamed, {})[method] = operation
    for path, item in _entity_paths(max_top).items():
        paths.setdefault(path, {}).update(item)
    document["paths"] = paths
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas.update(_schemas())
    components["securitySchemes"] = {
        "apiKey": {"type": "apiKey", "in": "header", "name": "api-key"},
        "bearer": {"type": "http", "scheme": "bearer"},
    }
    document["security"] = [{"apiKey": []}, {"bearer": []}]
    if "/health" in paths:
        for operation in paths["/health"].values():
            operation["security"] = []
            operation["responses"].pop("401", None)
    return document


def install(app: FastAPI, *, company_prefix: str, max_top: int) -> None:
    """Make `app.openapi` (what /openapi.json and /docs serve) this document, built once."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app, company_prefix=company_prefix, max_top=max_top)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
