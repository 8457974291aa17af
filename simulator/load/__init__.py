"""`erpsim load`: run the Locust suite in `loadtests/` headless, against the embedded ERP and
store or a given host, with SLO gates and a data integrity check. Never imports Locust."""

from simulator.load.runner import LoadResult, LoadSettings, run_load

__all__ = ["LoadResult", "LoadSettings", "run_load"]
