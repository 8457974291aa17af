"""The ERP world over time: a SimPy simulation of orders, stock, prices, invoices, payments
and service that writes Business Central-shaped documents into the ERP database."""

from simulator.erp.world.core import World

__all__ = ["World"]
