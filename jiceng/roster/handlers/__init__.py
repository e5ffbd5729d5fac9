"""Per-table handlers of the roster exchange format, and their registry."""

from .base import Column, Layout, TableHandler, get, handlers, identify, register

__all__ = ["Column", "Layout", "TableHandler", "get", "handlers", "identify", "register"]
