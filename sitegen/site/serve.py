"""``sitegen serve SITE``: look at a built site over HTTP on this machine only."""

from __future__ import annotations

import functools
import http.server
import webbrowser
from pathlib import Path

from sitegen.errors import SitegenError


def make_server(site_dir: Path, port: int = 8000) -> http.server.ThreadingHTTPServer:
    """An HTTP server for ``site_dir`` bound to 127.0.0.1 only (port 0 picks a free port)."""
    site_dir = Path(site_dir)
    if not (site_dir / "index.html").is_file():
        raise SitegenError(f"{site_dir} has no index.html: pass the folder that `sitegen build --out` wrote")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site_dir))
    try:
        return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as error:
        raise SitegenError(f"cannot listen on 127.0.0.1:{port} ({error.strerror}): pass another --port") from error


def serve(site_dir: Path, port: int = 8000, open_browser: bool = False) -> None:
    """Serve ``site_dir`` on http://127.0.0.1:PORT/ until interrupted (Ctrl+C).

    The site also works straight from disk; serving it shows it as GitHub Pages would, without
    exposing it to the network.
    """
    with make_server(site_dir, port) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        print(f"Serving {site_dir} at {url} (Ctrl+C stops)", flush=True)
        if open_browser:
            webbrowser.open(url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("Stopped.")
