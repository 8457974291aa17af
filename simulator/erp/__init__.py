"""The synthetic ERP: schema, master-data generation, pricing (and, later, the world over time)."""
