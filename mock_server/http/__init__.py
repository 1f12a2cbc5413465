"""The HTTP layer: parse a request, call one ``Backend`` operation, render the result."""

from mock_server.http.app import create_app

__all__ = ["create_app"]
