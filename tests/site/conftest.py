"""One synthetic site per test session, shared by the page, escaping and browser tests."""

from __future__ import annotations

import pytest

from tests.site import factory


@pytest.fixture(scope="session")
def results():
    return factory.make_results()


@pytest.fixture(scope="session")
def site_info(results):
    return factory.make_site_info(results)


@pytest.fixture(scope="session")
def env():
    from sitegen.site.render import make_environment

    return make_environment()


@pytest.fixture(scope="session")
def site(results, site_info, env) -> dict[str, bytes]:
    """Every file of the three-image site, keyed by relative path."""
    return factory.build_site(results, site_info, env)


@pytest.fixture(scope="session")
def run_output(results, site_info, env) -> dict[str, bytes]:
    """``sitegen run``'s files for the 640 x 480 image."""
    return factory.build_run(results[0], site_info, env)


@pytest.fixture(scope="session")
def site_dir(site, tmp_path_factory):
    return factory.write_files(site, tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="session")
def run_dir(run_output, tmp_path_factory):
    return factory.write_files(run_output, tmp_path_factory.mktemp("run"))
