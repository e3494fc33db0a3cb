"""The dashboard under ``/ui/``: overview, request explorer → why, traces, SLOs, prompt drift."""

from .app import create_ui_app

__all__ = ["create_ui_app"]
