"""Fidelity to Business Central's API v2.0: documented properties served, per entity set.

Figures, never assertions (the conformance test asserts). For each set the reference pages
document (tests/conformance/bc_v2_properties.json), counts the properties the running mock
ERP declares in `$metadata` under the documented name and type, and those present in the
JSON of a real entity. The server runs in a thread over a copy of the small dataset.

    .venv/bin/python bench/bc_fidelity.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.erp_server.server import ServerThread  # noqa: E402
from simulator.erp_server.settings import ServerSettings  # noqa: E402
from tests.conformance.test_bc_properties import edm_of  # noqa: E402

KEY = "fidelity"
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


def main() -> None:
    docs = json.loads((ROOT / "tests/conformance/bc_v2_properties.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "erp.sqlite"
        subprocess.run(
            [str(ROOT / ".venv/bin/erpsim"), "generate", "--profile", "small", "--out", str(db),
             "--quiet", "--history-months", "3"],
            check=True,
        )  # fmt: skip
        copy = Path(tmp) / "served.sqlite"
        shutil.copy(db, copy)
        with (
            ServerThread(ServerSettings(db=copy, api_key=KEY, clock_speed=0)) as server,
            requests.Session() as http,
        ):
            http.headers["api-key"] = KEY
            api = server.url + "/api/v2.0"
            root = ET.fromstring(http.get(f"{api}/$metadata").content)
            types = {
                t.get("Name"): {p.get("Name"): p.get("Type") for p in t.iter(f"{EDM}Property")}
                for t in root.iter(f"{EDM}EntityType")
            }
            sets = {
                s.get("Name"): str(s.get("EntityType")).rsplit(".", 1)[-1]
                for s in root.iter(f"{EDM}EntitySet")
            }
            totals = [0, 0, 0]
            print(f"{'entity set':<26} {'documented':>10} {'$metadata':>10} {'JSON':>6}")
            for name, entry in docs["entitySets"].items():
                documented = entry["properties"]
                declared = types.get("company" if name == "companies" else sets.get(name, ""), {})
                typed = sum(declared.get(p) == edm_of(t) for p, t in documented)
                rows = http.get(f"{api}/{name}", params={"$top": "1"}).json().get("value", [])
                shown = sum(p in rows[0] for p, _ in documented) if rows else None
                totals[0] += len(documented)
                totals[1] += typed
                totals[2] += shown or 0
                json_text = "-" if shown is None else str(shown)
                print(f"{name:<26} {len(documented):>10} {typed:>10} {json_text:>6}")
            print(f"{'all':<26} {totals[0]:>10} {totals[1]:>10} {totals[2]:>6}")
            print(f"declared with the documented type: {totals[1] / totals[0]:.1%}")


if __name__ == "__main__":
    main()
