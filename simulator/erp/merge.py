"""`erpsim merge`: join the shards of one generation into a single database.

The shards must come from the same profile settings and seed and cover ``0/N`` to ``N-1/N``
exactly once; the merged file then has the digest the single run would have had.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from simulator.erp.database import (
    atomic_database,
    open_database,
    read_meta,
    row_counts,
    write_meta,
)
from simulator.erp.digest import content_digest
from simulator.erp.schema import TABLES
from simulator.errors import UserError


@dataclass(frozen=True)
class MergeSummary:
    path: Path
    profile: str
    seed: int
    shards: int
    counts: dict[str, int]
    digest: str
    seconds: float


def merge_shards(
    shards: Sequence[str | Path], out: str | Path, *, force: bool = False
) -> MergeSummary:
    started = time.perf_counter()
    if not shards:
        raise UserError("no shard files given")
    metas = []
    for path in shards:
        conn = open_database(path)
        try:
            metas.append(read_meta(conn))
        finally:
            conn.close()
    first = metas[0]
    for path, meta in zip(shards, metas, strict=True):
        if meta.get("profile_settings") != first.get("profile_settings") or meta.get(
            "seed"
        ) != first.get("seed"):
            raise UserError(f"{path} comes from another profile or seed than {shards[0]}")
    indexes = sorted(_shard_of(path, meta) for path, meta in zip(shards, metas, strict=True))
    count = indexes[0][1]
    expected = [(i, count) for i in range(count)]
    if [(i, n) for i, n, _ in indexes] != expected:
        have = ", ".join(f"{i}/{n}" for i, n, _ in indexes)
        raise UserError(f"shards must be 0/{count} .. {count - 1}/{count} once each; got {have}")

    with atomic_database(out, force=force) as conn:
        conn.commit()
        for _, _, path in indexes:
            conn.execute("ATTACH DATABASE ? AS shard", (str(Path(path).resolve()),))
            try:
                for table in TABLES:
                    conn.execute(f"INSERT INTO main.{table.name} SELECT * FROM shard.{table.name}")
                conn.commit()
            except sqlite3.IntegrityError as exc:
                raise UserError(f"{path} overlaps another shard ({exc})") from exc
            finally:
                conn.execute("DETACH DATABASE shard")
        digest = content_digest(conn)
        counts = row_counts(conn)
        write_meta(
            conn,
            {
                **first,
                "shard": "0/1",
                "digest": digest,
                "merged_from": [str(p) for _, _, p in indexes],
            },
        )
    return MergeSummary(
        Path(out),
        first["profile"],
        first["seed"],
        count,
        counts,
        digest,
        time.perf_counter() - started,
    )


def _shard_of(path: str | Path, meta: dict[str, object]) -> tuple[int, int, str | Path]:
    shard = str(meta.get("shard", ""))
    index, _, count = shard.partition("/")
    if not (shard.isascii() and index.isdigit() and count.isdigit()):
        raise UserError(f"{path} has no shard information")
    return int(index), int(count), path
