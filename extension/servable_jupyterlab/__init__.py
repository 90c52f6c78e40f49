"""The Servable sidebar for JupyterLab 4: a prebuilt labextension, installed as shared data."""

__version__ = "0.1.0"


def _jupyter_labextension_paths():
    """Where `jupyter labextension develop` finds the built extension."""
    return [{"src": "labextension", "dest": "@servable/jupyterlab"}]
