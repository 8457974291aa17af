"""OData V2 system query options against an SAP entity set.

``$filter $select $orderby $top $skip $inlinecount $expand $skiptoken $format`` (and SAP's
custom options ``sap-client``, ``sap-language``, ``search``, which pass through). Paging is
keyset-based, as on the Business Central API: ``__next`` carries the sort values of the last
row sent in ``$skiptoken``, so deep pages cost what the first does and rows never repeat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulator.erp_server.odata.query import decode_values, encode_skiptoken
from simulator.erp_server.sap.catalog import EntityType, service
from simulator.erp_server.sap.errors import SapError
from simulator.erp_server.sap.filter import parse_filter

__all__ = ["SapQuery", "encode_skiptoken", "parse_query"]

SYSTEM = frozenset(
    {
        "$filter",
        "$select",
        "$orderby",
        "$top",
        "$skip",
        "$inlinecount",
        "$expand",
        "$skiptoken",
        "$format",
    }
)
MAX_EXPAND_DEPTH = 4
MAX_SKIP = 1_000_000_000


@dataclass(frozen=True)
class Expansion:
    """One navigation to expand, with the expansions below it (``to_Item/to_PricingElement``)."""

    name: str
    children: tuple[Expansion, ...] = ()
    select: tuple[str, ...] | None = None  # from $select=to_Item/Material; None: all


@dataclass(frozen=True)
class SapQuery:
    entity: EntityType
    where: str = ""
    params: tuple[Any, ...] = ()
    select: tuple[str, ...] | None = None
    orderby: tuple[tuple[str, bool], ...] = ()
    top: int | None = None
    skip: int = 0
    inlinecount: bool = False
    expand: tuple[Expansion, ...] = ()
    skiptoken: tuple[Any, ...] | None = None
    options: tuple[tuple[str, str], ...] = field(default=())

    @property
    def sort(self) -> tuple[tuple[str, bool], ...]:
        """$orderby, then the key (ascending), so the order is total."""
        named = {name for name, _ in self.orderby}
        return self.orderby + tuple((k, False) for k in self.entity.key if k not in named)


def _bad(message: str, code: str = "/IWBEP/CM_MGW_RT/004") -> SapError:
    return SapError(400, code, message)


def parse_query(entity: EntityType, params: list[tuple[str, str]]) -> SapQuery:
    seen: dict[str, str] = {}
    for name, value in params:
        if name.startswith("$"):
            if name not in SYSTEM:
                raise _bad(f"System query option '{name}' is not supported")
            if name in seen:
                raise _bad(f"System query option '{name}' given more than once")
            seen[name] = value
    fmt = seen.get("$format", "json").lower()
    if fmt not in ("json", "application/json"):
        raise SapError(406, "/IWBEP/CM_MGW_RT/030", f"$format={fmt}: this system serves JSON")
    where, where_params = "", list[Any]()
    if seen.get("$filter", "").strip():
        where, where_params = parse_filter(seen["$filter"], entity)
    expand = _expand(entity, seen.get("$expand", ""), seen.get("$select") or "")
    query = SapQuery(
        entity,
        where,
        tuple(where_params),
        _select(entity, seen.get("$select"), expand),
        _orderby(entity, seen.get("$orderby")),
        _integer("$top", seen.get("$top")),
        _integer("$skip", seen.get("$skip")) or 0,
        _inlinecount(seen.get("$inlinecount")),
        expand,
        None,
        tuple((n, v) for n, v in params if n not in ("$skiptoken",)),
    )
    token = seen.get("$skiptoken")
    if token:
        values = decode_values(token, len(query.sort))
        if values is None:
            raise _bad("$skiptoken is not one this server issued for this query")
        query = SapQuery(**{**query.__dict__, "skiptoken": values})
    return query


def _select(
    entity: EntityType, text: str | None, expand: tuple[Expansion, ...]
) -> tuple[str, ...] | None:
    if text is None or text.strip() in ("", "*"):
        return None
    names: list[str] = []
    for raw in text.split(","):
        name = raw.strip()
        if "/" in name:  # to_Item/Material: a property of an expanded entity
            head = name.split("/", 1)[0]
            if head not in entity.navigations:
                raise _bad(f"Property '{head}' not found in type '{entity.qualified}'")
            if head not in [e.name for e in expand]:
                raise _bad(f"$select of '{name}' needs $expand={head}")
            names.append(head)
            continue
        if name == "*":
            return None
        if entity.prop(name) is None and name not in entity.navigations:
            raise _bad(f"Property '{name}' not found in type '{entity.qualified}'")
        names.append(name)
    return tuple(dict.fromkeys(names + list(entity.key)))


def _orderby(entity: EntityType, text: str | None) -> tuple[tuple[str, bool], ...]:
    if text is None or not text.strip():
        return ()
    terms: list[tuple[str, bool]] = []
    for raw in text.split(","):
        parts = raw.split()
        if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1] not in ("asc", "desc")):
            raise _bad(f"Invalid $orderby term '{raw.strip()}'")
        prop = entity.prop(parts[0])
        if prop is None:
            raise _bad(f"Property '{parts[0]}' not found in type '{entity.qualified}'")
        if not prop.sortable:
            raise _bad(f"Property '{parts[0]}' is not sortable")
        if parts[0] not in [t for t, _ in terms]:
            terms.append((parts[0], len(parts) == 2 and parts[1] == "desc"))
    return tuple(terms)


def _integer(option: str, text: str | None) -> int | None:
    if text is None:
        return None
    if not text.strip().isdigit():
        raise _bad(f"Invalid value '{text}' for {option}: a non-negative integer is expected")
    value = int(text)
    if value > MAX_SKIP:
        raise _bad(f"{option}={text} is too large")
    return value


def _inlinecount(text: str | None) -> bool:
    if text is None or text == "none":
        return False
    if text == "allpages":
        return True
    raise _bad(f"Invalid value '{text}' for $inlinecount: allpages or none")


def _expand(entity: EntityType, text: str, select: str = "") -> tuple[Expansion, ...]:
    tree: dict[str, Any] = {}
    for raw in text.split(","):
        path = [p.strip() for p in raw.strip().split("/") if p.strip()]
        if not path:
            continue
        if len(path) > MAX_EXPAND_DEPTH:
            raise _bad(f"$expand path '{raw.strip()}' is deeper than {MAX_EXPAND_DEPTH}")
        node = tree
        current = entity
        for step in path:
            nav = current.navigations.get(step)
            if nav is None:
                raise _bad(f"Navigation property '{step}' not found in type '{current.qualified}'")
            node = node.setdefault(step, {})
            current = service(current.service).sets[nav.target]
    selects = _nested_selects(entity, select, tree)
    return _tree(tree, selects, ())


def _nested_selects(
    entity: EntityType, text: str, tree: dict[str, Any]
) -> dict[tuple[str, ...], tuple[str, ...] | None]:
    """$select paths into expanded entities (``to_Item/Material``, ``to_Item/*``), by the
    expansion path they restrict: SAP Gateway sends an expanded entity's selected properties
    only, as it does for the entity itself (its key is always kept, as at the top)."""
    chosen: dict[tuple[str, ...], list[str] | None] = {}
    types: dict[tuple[str, ...], EntityType] = {}
    for raw in text.split(","):
        steps = [p.strip() for p in raw.strip().split("/")]
        node, current = tree, entity
        for i, step in enumerate(steps[:-1]):
            nav = current.navigations.get(step)
            if nav is None or step not in node:
                break  # _select reports a path that is not an expanded navigation
            node, current = node[step], service(current.service).sets[nav.target]
            path = tuple(steps[: i + 1])
            types[path] = current
            last = steps[i + 1]
            if last == "*":
                chosen[path] = None
                continue
            if current.prop(last) is None and last not in current.navigations:
                raise _bad(f"Property '{last}' not found in type '{current.qualified}'")
            names = chosen.setdefault(path, [])
            if names is not None:
                names.append(last)
    return {
        path: None if names is None else tuple(dict.fromkeys([*names, *types[path].key]))
        for path, names in chosen.items()
    }


def _tree(
    node: dict[str, Any],
    selects: dict[tuple[str, ...], tuple[str, ...] | None],
    path: tuple[str, ...],
) -> tuple[Expansion, ...]:
    return tuple(
        Expansion(name, _tree(children, selects, (*path, name)), selects.get((*path, name)))
        for name, children in node.items()
    )


__all__ += ["Expansion"]


def parse_key(entity: EntityType, text: str) -> dict[str, Any]:
    """``'X'``, ``SalesOrder='1',SalesOrderItem='10'`` (or typed literals) -> stored values,
    one per key property; 400 in SAP's words when the predicate does not fit the key."""
    from simulator.erp_server.sap.filter import key_values  # noqa: PLC0415

    values = key_values(text)
    if values is None:
        raise _bad(
            f"Invalid key predicate '({text})' for '{entity.set_name}'", "/IWBEP/CM_MGW_RT/021"
        )
    if len(values) == 1 and values[0][0] is None and len(entity.key) == 1:
        values = [(entity.key[0], values[0][1])]
    names = [name for name, _ in values]
    if sorted(n for n in names if n) != sorted(entity.key):
        raise _bad(
            f"Invalid key predicate '({text})': '{entity.set_name}' is keyed by"
            f" {', '.join(entity.key)}",
            "/IWBEP/CM_MGW_RT/021",
        )
    return {name: value for name, value in values if name is not None}
