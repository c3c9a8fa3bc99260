"""The customer web app and the live boundary map, served by the local cloud, each on its own origin.

    with LocalCloud().start() as cloud, WebApp(cloud).start() as web:
        web.app_url   # the customer web app: sign up, search, book, bookings, loyalty
        web.map_url   # the boundary map: the stack, and every authorisation decision as it happens
        web.outbox    # the confirmation codes "mailed" to customers who signed up

- ``site``: what both sites share: their origin (127.0.0.1 only), the security headers of the
  deployed site (read from web/template.yaml), the built files.
- ``customer`` and ``cognito``: the app's site, with same-origin routes to the GraphQL API and to the
  few user pool operations a browser needs (the AWS endpoint itself sends no CORS headers).
- ``stack_map``, ``decisions``, ``replays``, ``boundary_map``: the map's site.
"""

from __future__ import annotations

from localcloud.webapp.cognito import ConfirmationMail
from localcloud.webapp.service import WebApp

__all__ = ["ConfirmationMail", "WebApp"]
