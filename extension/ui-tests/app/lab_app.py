"""Serves the test JupyterLab (dist/, built by build.mts) with Debian's Jupyter server.

jupyterlab_server's LabServerApp serves a JupyterLab 4 front end given its folders; the
prebuilt extensions come from Jupyter's labextensions path (JUPYTER_PATH), as in any
JupyterLab. State (settings, workspaces) lives in SERVABLE_LAB_STATE.

SERVABLE_LAB_PROXY ("name=port,...") proxies <base>/<name>/... to 127.0.0.1:<port>/..., as
jupyter-server-proxy does for a named server with absolute_url false (Binder's setup):
that package is not in Debian, and this is the least of it the tests need.

Usage: SERVABLE_LAB_STATE=DIR /usr/bin/python3 lab_app.py --port P --ServerApp.token=T ...
"""

import json
import os
import signal

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from jupyterlab_server import LabServerApp
from tornado import httpclient, web, websocket

HERE = os.path.dirname(os.path.abspath(__file__))
DIST = os.path.join(HERE, "dist")
STATE = os.path.abspath(os.environ.get("SERVABLE_LAB_STATE", os.path.join(HERE, ".servable")))
PROXIES = dict(
    entry.split("=", 1) for entry in os.environ.get("SERVABLE_LAB_PROXY", "").split(",") if entry
)

# This app reads no Jupyter configuration from the machine: it is the same everywhere.
os.environ["JUPYTER_NO_CONFIG"] = "1"


class IdentityHandler(JupyterHandler):
    """GET /api/me, which JupyterLab 4 asks and jupyter_server 1.x lacks."""

    @web.authenticated
    def get(self):
        self.set_header("Content-Type", "application/json")
        self.finish(
            json.dumps(
                {
                    "identity": {
                        "username": "user",
                        "name": "User",
                        "display_name": "User",
                        "initials": "U",
                        "avatar_url": None,
                        "color": None,
                    },
                    "permissions": {},
                }
            )
        )


class EventsHandler(websocket.WebSocketHandler):
    """The /api/events/subscribe socket JupyterLab 4 opens; this server has no events."""

    def check_origin(self, origin):
        return True

    def on_message(self, message):
        pass


class ProxyHandler(JupyterHandler):
    """<base>/<name>/<path> to 127.0.0.1:<port>/<path>, for a signed-in user."""

    def initialize(self, port):
        self.port = port

    def check_xsrf_cookie(self):
        # As jupyter-server-proxy: the proxied server guards its own writes.
        pass

    @web.authenticated
    async def proxy(self, path):
        query = f"?{self.request.query}" if self.request.query else ""
        headers = {
            k: v for k, v in self.request.headers.items() if k.lower() not in ("host", "cookie")
        }
        body = self.request.body if self.request.method in ("POST", "PUT", "PATCH") else None
        request = httpclient.HTTPRequest(
            f"http://127.0.0.1:{self.port}/{path}{query}",
            method=self.request.method,
            headers=headers,
            body=body,
            allow_nonstandard_methods=True,
            follow_redirects=False,
            request_timeout=120,
        )
        response = await httpclient.AsyncHTTPClient().fetch(request, raise_error=False)
        self.set_status(response.code, response.reason)
        for name, value in response.headers.get_all():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.set_header(name, value)
        if response.body:
            self.write(response.body)
        self.finish()

    get = post = put = delete = patch = proxy


class ServableTestLab(LabServerApp):
    name = "lab"
    extension_url = "/lab"
    default_url = "/lab"
    load_other_extensions = False
    app_name = "JupyterLab (Servable test app)"
    app_version = "4.6.4"
    static_dir = os.path.join(DIST, "static")
    templates_dir = os.path.join(HERE, "templates")
    schemas_dir = os.path.join(DIST, "schemas")
    themes_dir = os.path.join(DIST, "themes")
    app_settings_dir = os.path.join(STATE, "app-settings")
    user_settings_dir = os.path.join(STATE, "user-settings")
    workspaces_dir = os.path.join(STATE, "workspaces")

    def initialize_settings(self):
        # Ctrl-C stops the server as SIGTERM does, shutting its kernels down first. Jupyter's
        # own handler asks for confirmation on a terminal, and off one leaves SIGINT to
        # Python, whose KeyboardInterrupt ends the loop without that cleanup: the kernels
        # of `npm run lab` outlived it. (Extensions load after the server sets its handlers.)
        super().initialize_settings()
        signal.signal(signal.SIGINT, self.serverapp._signal_stop)

    def initialize_handlers(self):
        super().initialize_handlers()
        self.handlers.extend(
            [(r"/api/me", IdentityHandler), (r"/api/events/subscribe", EventsHandler)]
        )
        for name, port in PROXIES.items():
            pattern = url_path_join("/", name, "(.*)")
            self.handlers.append((pattern, ProxyHandler, {"port": int(port)}))


def _jupyter_server_extension_points():
    return [{"module": __name__, "app": ServableTestLab}]


if __name__ == "__main__":
    for folder in ("app-settings", "user-settings", "workspaces"):
        os.makedirs(os.path.join(STATE, folder), exist_ok=True)
    ServableTestLab.launch_instance()
