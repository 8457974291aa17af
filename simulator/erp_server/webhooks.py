"""Webhook subscriptions, Business Central style, and their delivery.

A subscription names an entity set (``resource``: ``/api/v2.0/companies(<id>)/customers``)
and a ``notificationUrl``. Subscribing needs the handshake BC does: the server POSTs to the
URL with ``?validationToken=...`` and the receiver must answer 200 with the token as body.
Subscriptions expire after three days unless renewed (PATCH).

Changes are found by the single writer after each of its writes: rows of a subscribed set
whose ``lastModifiedDateTime`` is at or after the set's watermark (an index range scan),
minus the rows already reported at the watermark second. Each subscriber gets one POST per
batch: ``{"value": [{"subscriptionId", "clientState", "expirationDateTime", "resource",
"changeType", "lastModifiedDateTime"}]}``; more than `MAX_NOTIFICATIONS` changes become one
``changeType: "collection"`` notification (resync), as in BC. Deliveries that fail are
retried with exponential backoff in a thread of their own.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import logging
import secrets
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests

from simulator.erp_server.entities import ENTITY_SETS, EntitySet
from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.paths import CUSTOM_ROOT, STANDARD_ROOT

__all__ = ["Subscription", "WebhookHub", "handshake", "parse_resource"]

log = logging.getLogger("erpsim.erp_server.webhooks")
MAX_NOTIFICATIONS = 1000
LIFETIME = dt.timedelta(days=3)
MAX_SUBSCRIPTIONS = 200


def _utc_stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Subscription:
    subscription_id: str
    notification_url: str
    resource: str
    entity_set: str
    client_state: str
    expiration: dt.datetime  # wall UTC, naive
    last_modified: dt.datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "@odata.etag": f'W/"{int(self.last_modified.timestamp() * 1000)}"',
            "subscriptionId": self.subscription_id,
            "notificationUrl": self.notification_url,
            "resource": self.resource,
            "clientState": self.client_state,
            "expirationDateTime": _utc_stamp(self.expiration),
            "lastModifiedDateTime": _utc_stamp(self.last_modified),
        }


def parse_resource(resource: str, company_id: str) -> EntitySet:
    """The entity set a subscription's resource names (absolute or relative URL)."""
    path = urlsplit(resource).path if "://" in resource else resource
    path = path.strip("/")
    # any URL form (base path, BC online's /v2.0/{tenant}/{environment}/, the custom group)
    for root in (STANDARD_ROOT, CUSTOM_ROOT):
        at = ("/" + path).find(root + "/")
        if at >= 0:
            path = ("/" + path)[at + len(root) + 1 :]
            break
    prefix = f"companies({company_id})/"
    if path.startswith("companies("):
        if not path.startswith(prefix):
            raise ODataError(400, "invalid_resource", f"resource {resource!r}: unknown company")
        path = path[len(prefix) :]
    found = ENTITY_SETS.get(path)
    if found is None:
        raise ODataError(
            400, "invalid_resource", f"resource {resource!r} does not name an entity set"
        )
    if "lastModifiedDateTime" not in found.by_name:
        raise ODataError(
            400, "invalid_resource", f"{found.name} has no lastModifiedDateTime to watch"
        )
    return found


def _stamp(entity: EntitySet) -> str:
    """The SQL column of an entity's lastModifiedDateTime."""
    return entity.by_name["lastModifiedDateTime"].column


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ODataError(400, "invalid_notification_url", f"notificationUrl {url!r} is not http(s)")


def handshake(url: str, timeout: float) -> None:
    """BC's subscription handshake: the receiver must echo the validation token."""
    token = secrets.token_urlsafe(16)
    try:
        response = requests.post(url, params={"validationToken": token}, timeout=timeout)
    except requests.RequestException as exc:
        raise ODataError(
            400, "handshake_failed", f"notificationUrl did not answer the handshake: {exc}"
        ) from None
    with response:
        if response.status_code != 200 or response.text.strip() != token:
            raise ODataError(
                400,
                "handshake_failed",
                f"notificationUrl answered the handshake with {response.status_code} "
                "but not the validationToken",
            )


@dataclass
class _Feed:
    """What has been reported for one entity set: the watermark second and the keys
    already reported at that second."""

    watermark: str
    seen: set[str] = field(default_factory=set)


@dataclass(order=True)
class _Delivery:
    due: float
    sequence: int
    url: str = field(compare=False)
    body: bytes = field(compare=False)
    attempt: int = field(compare=False, default=1)


class WebhookHub:
    """Subscriptions, change detection and the delivery thread (lives with the writer)."""

    def __init__(
        self,
        *,
        company_id: str,
        attempts: int,
        backoff: float,
        timeout: float,
    ) -> None:
        self.company_id = company_id
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self.subscriptions: dict[str, Subscription] = {}
        self.feeds: dict[str, _Feed] = {}
        self.stats = {"delivered": 0, "failed_attempts": 0, "given_up": 0}
        self._queue: list[_Delivery] = []
        self._sequence = itertools.count()
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._session: requests.Session | None = None

    # --- subscriptions ----------------------------------------------------------------
    def add(
        self, conn: sqlite3.Connection, url: str, resource: str, client_state: str
    ) -> dict[str, Any]:
        check_url(url)
        entity = parse_resource(resource, self.company_id)
        self._expire()
        if len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
            raise ODataError(409, "too_many_subscriptions", "subscription limit reached")
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        sub = Subscription(
            uuid.uuid4().hex, url, resource, entity.name, client_state, now + LIFETIME, now
        )
        if entity.name not in self.feeds:
            self.feeds[entity.name] = self._start_feed(conn, entity)
        self.subscriptions[sub.subscription_id] = sub
        return sub.as_json()

    def get(self, subscription_id: str) -> dict[str, Any]:
        return self._find(subscription_id).as_json()

    def list(self) -> list[dict[str, Any]]:
        self._expire()
        return [s.as_json() for s in self.subscriptions.values()]

    def renew(self, subscription_id: str, changes: dict[str, str]) -> dict[str, Any]:
        sub = self._find(subscription_id)
        if "notificationUrl" in changes:
            check_url(changes["notificationUrl"])
            sub.notification_url = changes["notificationUrl"]
        if "clientState" in changes:
            sub.client_state = changes["clientState"]
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        sub.expiration, sub.last_modified = now + LIFETIME, now
        return sub.as_json()

    def delete(self, subscription_id: str) -> None:
        self._find(subscription_id)
        del self.subscriptions[subscription_id]

    def _find(self, subscription_id: str) -> Subscription:
        self._expire()
        sub = self.subscriptions.get(subscription_id)
        if sub is None:
            raise ODataError(404, "not_found", f"no subscription {subscription_id!r}")
        return sub

    def _expire(self) -> None:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        for key in [k for k, s in self.subscriptions.items() if s.expiration <= now]:
            del self.subscriptions[key]

    # --- change detection ---------------------------------------------------------------
    def _start_feed(self, conn: sqlite3.Connection, entity: EntitySet) -> _Feed:
        (watermark,) = conn.execute(f"SELECT max({_stamp(entity)}) FROM {entity.table}").fetchone()
        feed = _Feed(watermark or "")
        feed.seen = {key for key, _ in self._changed(conn, entity, feed.watermark, None)}
        return feed

    def _changed(
        self, conn: sqlite3.Connection, entity: EntitySet, since: str, limit: int | None
    ) -> list[tuple[str, str]]:
        keys = ", ".join(f.column for f in entity.key_fields)
        stamp = _stamp(entity)
        sql = f"SELECT {keys}, {stamp} FROM {entity.table} WHERE {stamp} >= ? ORDER BY {stamp}"
        params: list[Any] = [since]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [(self._key_text(entity, row[:-1]), row[-1]) for row in conn.execute(sql, params)]

    @staticmethod
    def _key_text(entity: EntitySet, values: tuple[Any, ...]) -> str:
        if entity.key == ("id",):
            return str(values[0])
        parts = []
        for name, value in zip(entity.key, values, strict=True):
            shown = str(value).replace("'", "''")
            parts.append(f"{name}='{shown}'" if isinstance(value, str) else f"{name}={value}")
        return ",".join(parts)

    def detect(self, conn: sqlite3.Connection) -> None:
        """Queue notifications for what changed since the last look (writer thread)."""
        if not self.subscriptions:
            return
        self._expire()
        wanted = {s.entity_set for s in self.subscriptions.values()}
        for name in wanted:
            entity = ENTITY_SETS[name]
            feed = self.feeds[name]
            rows = self._changed(
                conn, entity, feed.watermark, MAX_NOTIFICATIONS + len(feed.seen) + 1
            )
            fresh = [(k, s) for k, s in rows if not (s == feed.watermark and k in feed.seen)]
            if not fresh:
                continue
            if len(fresh) > MAX_NOTIFICATIONS:
                self._notify(entity, None)
                self.feeds[name] = self._start_feed(conn, entity)
                continue
            self._notify(entity, fresh)
            top = fresh[-1][1]
            if top != feed.watermark:
                feed.watermark, feed.seen = top, set()
            feed.seen.update(k for k, s in fresh if s == top)

    def _notify(self, entity: EntitySet, changes: list[tuple[str, str]] | None) -> None:
        base = f"/api/v2.0/companies({self.company_id})/{entity.name}"
        for sub in self.subscriptions.values():
            if sub.entity_set != entity.name:
                continue
            common = {
                "subscriptionId": sub.subscription_id,
                "clientState": sub.client_state,
                "expirationDateTime": _utc_stamp(sub.expiration),
            }
            if changes is None:
                now = _utc_stamp(dt.datetime.now(dt.UTC))
                value = [
                    {
                        **common,
                        "resource": base,
                        "changeType": "collection",
                        "lastModifiedDateTime": now,
                    }
                ]
            else:
                value = [
                    {
                        **common,
                        "resource": f"{base}({key})",
                        "changeType": "updated",
                        "lastModifiedDateTime": stamp,
                    }
                    for key, stamp in changes
                ]
            self._enqueue(
                _Delivery(
                    time.monotonic(),
                    next(self._sequence),
                    sub.notification_url,
                    orjson.dumps({"value": value}),
                )
            )

    # --- delivery -----------------------------------------------------------------------
    def start(self) -> None:
        self._session = requests.Session()
        self._thread = threading.Thread(target=self._deliver_loop, name="erp-webhooks", daemon=True)
        self._thread.start()

    def close(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 1)
        if self._session is not None:
            self._session.close()

    def _enqueue(self, delivery: _Delivery) -> None:
        with self._wake:
            heapq.heappush(self._queue, delivery)
            self._wake.notify_all()

    def _deliver_loop(self) -> None:
        while True:
            with self._wake:
                while not self._stopping:
                    if self._queue and self._queue[0].due <= time.monotonic():
                        break
                    wait = self._queue[0].due - time.monotonic() if self._queue else None
                    self._wake.wait(wait)
                if self._stopping:
                    return
                delivery = heapq.heappop(self._queue)
            self._attempt(delivery)

    def _attempt(self, delivery: _Delivery) -> None:
        assert self._session is not None
        try:
            response = self._session.post(
                delivery.url,
                data=delivery.body,
                headers={"Content-Type": "application/json"},
                timeout=self.timeout,
            )
            response.close()
            ok = 200 <= response.status_code < 300
        except requests.RequestException:
            ok = False
        if ok:
            self.stats["delivered"] += 1
            return
        self.stats["failed_attempts"] += 1
        if delivery.attempt >= self.attempts:
            self.stats["given_up"] += 1
            log.warning("webhook to %s given up after %d attempts", delivery.url, delivery.attempt)
            return
        delay = self.backoff * 2 ** (delivery.attempt - 1)
        self._enqueue(
            _Delivery(
                time.monotonic() + delay,
                next(self._sequence),
                delivery.url,
                delivery.body,
                delivery.attempt + 1,
            )
        )
