"""The admin JSON API under ``/api/``: the dashboard's data for scripts and other tools."""

from .app import create_admin_app

__all__ = ["create_admin_app"]
