"""The dashboard at ``/_mock/``: server-rendered pages over the mock's state, assets in the package."""

from mock_server.http.dashboard.routes import dashboard_routes, redirect

__all__ = ["dashboard_routes", "redirect"]
