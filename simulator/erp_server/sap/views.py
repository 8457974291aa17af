"""Each SAP entity set as a SQL view over our tables, with SAP's property names and order.

A mapping module (`mappings/`) gives, per entity set, the FROM clause and an SQL expression
for each property the world can fill; every other property of SAP's entity type gets its
initial value ('' / 0 / false / null), as an S/4HANA system shows a field nobody filled.
The views are TEMP views on each reading connection (like the Business Central sets), so
the dataset file is never changed and `$filter`/`$orderby` work on every property.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from simulator.erp_server.sap.catalog import EntityType, Property, services
from simulator.erp_server.sap.codes import Codes

__all__ = ["View", "install", "keys_first", "view_name", "views"]


@dataclass(frozen=True)
class View:
    """How one entity set is computed: `source` is the FROM clause (joins included) and
    `columns` maps SAP property names to SQL expressions over it."""

    source: str
    columns: dict[str, str] = field(default_factory=dict)
    # Page by keys first: sort only the key and order columns, then compute the page's rows
    # (for sets whose rows are costly to compute and whose view SQLite can flatten).
    keys_first: bool = False


def keys_first(entity: EntityType) -> bool:
    view = views().get((entity.service, entity.set_name))
    return view is not None and view.keys_first


def view_name(entity: EntityType) -> str:
    return f"sap_{entity.service}__{entity.set_name}"


def initial_sql(prop: Property) -> str:
    """The initial value SAP shows for a property nobody filled."""
    if prop.edm == "Edm.String":
        return "''"
    if prop.edm in ("Edm.DateTime", "Edm.DateTimeOffset", "Edm.Time", "Edm.Guid"):
        return "NULL"
    return "0"


def views() -> dict[tuple[str, str], View]:
    """(service, entity set) -> View, from every mapping module."""
    from simulator.erp_server.sap.mappings import ALL  # noqa: PLC0415 (import cycle)

    return ALL


def view_sql(entity: EntityType, view: View | None) -> str:
    columns = view.columns if view is not None else {}
    unknown = set(columns) - set(entity.by_name)
    if unknown:
        raise ValueError(f"{entity.set_name}: no such SAP properties {sorted(unknown)}")
    select = ",\n  ".join(
        f'{columns.get(p.name, initial_sql(p))} AS "{p.name}"' for p in entity.properties
    )
    source = view.source if view is not None else "FROM (SELECT 1) WHERE 0"
    return f'CREATE TEMP VIEW IF NOT EXISTS "{view_name(entity)}" AS SELECT\n  {select}\n{source}'


def install(conn: sqlite3.Connection) -> Codes:
    """Register the code functions and create every SAP view on `conn`."""
    codes = Codes(conn)
    codes.register(conn)
    mapped = views()
    for service in services():
        for entity in service.sets.values():
            conn.execute(view_sql(entity, mapped.get((service.name, entity.set_name))))
    return codes
