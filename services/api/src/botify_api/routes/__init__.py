"""The gateway's HTTP routes, one module per resource; :func:`botify_api.app.create_app` includes each router."""
