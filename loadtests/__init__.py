"""erpsim's Locust load-testing suite: B2B personas, a store client adapter, load shapes,
SLO gates and the run summary.

`locust -f loadtests/locustfile.py --host URL` runs it with Locust's own UI or flags;
`erpsim load` runs it headless against the embedded ERP and store. Importing this package
does not import Locust (whose import monkey-patches the process with gevent): only
`locustfile`, `personas`, `store_client`, `shapes` and `summary` do. `mix`, `slo`,
`forecast`, `testdata` and `warmup` (Locust only inside its methods) are plain Python at
import, shared with `simulator.load`.
"""
