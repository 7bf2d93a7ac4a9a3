"""``sitegen serve``: the site folder over HTTP on the loopback interface."""

from __future__ import annotations

import threading
import urllib.request

import pytest

from sitegen.errors import SitegenError
from sitegen.site.serve import make_server


def test_server_serves_the_site_folder_on_loopback(tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html><title>t</title>home", encoding="utf-8")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.html").write_text("page a", encoding="utf-8")
    with make_server(tmp_path, port=0) as server:
        host, port = server.server_address[:2]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/images/a.html", timeout=5) as response:
                assert response.read() == b"page a"
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                assert response.read().endswith(b"home")
        finally:
            server.shutdown()
            thread.join(5)
    assert host == "127.0.0.1"


def test_a_folder_without_index_is_refused(tmp_path):
    with pytest.raises(SitegenError, match="no index.html"):
        make_server(tmp_path, port=0)
