"""SAP S/4HANA's A2X OData V2 APIs over the same world the Business Central API serves.

`catalog` holds SAP's published metadata of each service (extracted from its EDMX), `views`
and `mappings/` compute each entity set from our tables as a SQL view with SAP's property
names, `v2` writes V2 JSON (``d``/``results``, ``__metadata``, ``/Date(ms)/``), `query` and
`filter` read V2's system query options, `edmx` writes ``$metadata`` and `routes` serves
it all under ``/sap/opu/odata/sap/<SERVICE>/``.
"""
