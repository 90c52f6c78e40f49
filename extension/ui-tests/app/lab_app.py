"""Serves the test JupyterLab (dist/, built by build.mts) with Debian's Jupyter server.

jupyterlab_server's LabServerApp serves a JupyterLab 4 front end given its folders; the
prebuilt extensions come from Jupyter's labextensions path, as in any JupyterLab, plus
the folders in SERVABLE_LAB_EXTENSIONS (os.pathsep-separated). State (settings,
workspaces) lives in SERVABLE_LAB_STATE.

Usage: SERVABLE_LAB_STATE=DIR /usr/bin/python3 lab_app.py --port P --ServerApp.token=T ...
"""

import json
import os

from jupyter_server.base.handlers import JupyterHandler
from jupyterlab_server import LabServerApp
from tornado import web, websocket

HERE = os.path.dirname(os.path.abspath(__file__))
DIST = os.path.join(HERE, "dist")
STATE = os.path.abspath(os.environ.get("SERVABLE_LAB_STATE", os.path.join(HERE, ".servable")))
EXTRA_LABEXTENSIONS = [p for p in os.environ.get("SERVABLE_LAB_EXTENSIONS", "").split(os.pathsep) if p]

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
    extra_labextensions_path = EXTRA_LABEXTENSIONS

    def initialize_handlers(self):
        super().initialize_handlers()
        self.handlers.extend(
            [(r"/api/me", IdentityHandler), (r"/api/events/subscribe", EventsHandler)]
        )


def _jupyter_server_extension_points():
    return [{"module": __name__, "app": ServableTestLab}]


if __name__ == "__main__":
    for folder in ("app-settings", "user-settings", "workspaces"):
        os.makedirs(os.path.join(STATE, folder), exist_ok=True)
    ServableTestLab.launch_instance()
