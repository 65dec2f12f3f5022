"""Answer the orchestrator's probes before anything else: /healthz and /readyz are asked by address
(``http://127.0.0.1:8000/healthz``) inside the container, so they must not depend on the allowed
hosts, the TLS redirect or a session."""

from ops import views

PROBES = {"/healthz": views.healthz, "/readyz": views.readyz}


class HealthProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
