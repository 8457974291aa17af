"""Fidelity to SAP S/4HANA's A2X OData V2 APIs: EDMX properties served, per entity set.

Figures, never assertions (tests/conformance/test_sap_properties.py asserts). For each entity
set of SAP's published EDMX the facade serves (simulator/data/sap/*.json), prints its
properties, the rows the small dataset gives it, and how many properties carry a value other
than SAP's initial one ('' / 0 / false / null) in at least one of the first entities: a
property the world never fills is served, but only with its initial value. The server runs
in a thread over a copy of the small dataset.

    .venv/bin/python bench/sap_fidelity.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.erp_server.server import ServerThread  # noqa: E402
from simulator.erp_server.settings import ServerSettings  # noqa: E402
from tests.conformance.test_sap_properties import SERVICES, is_initial, sap_types  # noqa: E402

KEY = "fidelity"
SAMPLE = 500


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "erp.sqlite"
        subprocess.run(
            [str(ROOT / ".venv/bin/erpsim"), "generate", "--profile", "small", "--out", str(db),
             "--quiet", "--history-months", "3"],
            check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        copy = Path(tmp) / "served.sqlite"
        shutil.copy(db, copy)
        settings = ServerSettings(db=copy, api_key=KEY, clock_speed=0, max_page_size=SAMPLE)
        with ServerThread(settings) as server, requests.Session() as http:
            http.auth = ("FIDELITY", KEY)
            totals = [0, 0, 0]
            print(f"{'service / entity set':<62} {'EDMX':>5} {'rows':>7} {'filled':>7}")
            for service in SERVICES:
                base = f"{server.url}/sap/opu/odata/sap/{service}/"
                for set_name, sap_type in sap_types(service).items():
                    rows = int(http.get(f"{base}{set_name}/$count").text)
                    sample = http.get(f"{base}{set_name}", params={"$top": str(SAMPLE)})
                    entities = sample.json()["d"]["results"]
                    filled = sum(
                        any(not is_initial(p, e[p["Name"]]) for e in entities)
                        for p in sap_type.properties
                    )
                    count = len(sap_type.properties)
                    totals[0] += count
                    totals[1] += filled if rows else 0
                    totals[2] += count if rows else 0
                    shown = str(filled) if rows else "-"
                    print(f"{service + ' / ' + set_name:<62} {count:>5} {rows:>7} {shown:>7}")
            print(f"{'all':<62} {totals[0]:>5} {'':>7} {totals[1]:>7}")
            mapped = totals[2] / totals[0] if totals[0] else 0
            print(f"properties of sets with rows: {totals[2]} of {totals[0]} ({mapped:.1%})")
            if totals[2]:
                print(f"non-initial in those sets: {totals[1] / totals[2]:.1%}")


if __name__ == "__main__":
    main()
