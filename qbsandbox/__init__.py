"""A local stand-in for Intuit's OAuth 2.0 server and the QuickBooks Online Accounting API v3.

`make_app(db_path)` returns the WSGI application; `python -m qbsandbox serve` runs it; see README.md
for what it imitates and what it does not.
"""

from qbsandbox.app import make_app

__all__ = ["make_app"]
