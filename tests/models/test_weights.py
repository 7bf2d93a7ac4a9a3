"""Weight resolution and loading: tags, hub ids, local files, the offline message, identities."""

import logging
import socket

import open_clip
import pytest
import torch
from huggingface_hub import constants

from sitegen.errors import WeightsError
from sitegen.models.clip import load_clip
from sitegen.models.sam import load_sam
from sitegen.models.weights import (
    SamWeights,
    _probe_address,
    clip_checkpoint,
    hub_reachable,
    load_sam_weights,
    refuse_unreachable_download,
    sam_weights,
    weights_identity,
)
from sitegen.options import ModelOptions

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def fresh_probe():
    """``hub_reachable`` answers once a process: every test here asks afresh."""
    hub_reachable.cache_clear()
    yield
    hub_reachable.cache_clear()


@pytest.fixture
def local_hub(monkeypatch, tmp_path):
    """The hub's address moved to a port of this machine, an empty cache, no proxy, online mode.

    Every socket connection is recorded; any to another machine is refused.
    """
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    connections = []
    connect = socket.socket.connect

    def local_only(self, address):
        connections.append(address)
        if address[0] != "127.0.0.1":
            raise OSError("only this machine may be reached in tests")
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", local_only)

    def point_hub_at(port: int) -> None:
        monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{port}")

    return tmp_path / "hub", connections, point_hub_at


def _closed_port() -> int:
    """A port of this machine that nothing listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def offline_hub(monkeypatch, tmp_path):
    """An empty Hugging Face home in offline mode, with every socket connection recorded and refused."""
    home = tmp_path / "hf"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(home / "hub"))
    connections = []

    def refuse(self, address):
        connections.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return home, connections


def _assert_offline_message(error: WeightsError, home, what: str) -> None:
    message = str(error)
    assert "\n" not in message
    assert what in message
    assert str(home / "hub") in message
    for flag in ("--clip-pretrained PATH", "--sam-checkpoint PATH --sam-config NAME", "--random-weights"):
        assert flag in message


def test_offline_clip_tag_fails_with_one_line_and_no_download(offline_hub):
    home, connections = offline_hub
    with pytest.raises(WeightsError) as caught:
        clip_checkpoint("ViT-B-16-quickgelu", "openai")
    _assert_offline_message(caught.value, home, "ViT-B-16-quickgelu / openai")
    assert connections == []
    assert not any(path.is_file() for path in home.rglob("*"))


def test_offline_sam_hub_id_fails_with_one_line_and_no_download(offline_hub):
    home, connections = offline_hub
    with pytest.raises(WeightsError) as caught:
        sam_weights(ModelOptions())
    _assert_offline_message(caught.value, home, "facebook/sam2.1-hiera-tiny / sam2.1_hiera_tiny.pt")
    assert connections == []
    assert not any(path.is_file() for path in home.rglob("*"))


def test_offline_loaders_stop_before_building(offline_hub):
    home, _ = offline_hub
    with pytest.raises(WeightsError, match="--random-weights"):
        load_clip(ModelOptions(), "cpu")
    with pytest.raises(WeightsError, match="--random-weights"):
        load_sam(ModelOptions(), "cpu")


def test_an_unreachable_hub_is_asked_once_then_only_the_cache_is_read(local_hub, caplog):
    cache, connections, point_hub_at = local_hub
    port = _closed_port()
    point_hub_at(port)
    with caplog.at_level(logging.DEBUG, logger="huggingface_hub"):
        with pytest.raises(WeightsError) as clip_error:
            clip_checkpoint("ViT-B-16-quickgelu", "openai")
        with pytest.raises(WeightsError) as sam_error:
            sam_weights(ModelOptions())
    for error, what in ((clip_error, "ViT-B-16-quickgelu / openai"), (sam_error, "facebook/sam2.1-hiera-tiny")):
        message = str(error.value)
        assert "\n" not in message and what in message
        assert f"the hub (http://127.0.0.1:{port}) cannot be reached" in message
    assert connections == [("127.0.0.1", port)]  # the probe, once; no download attempt, no retries
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert constants.HF_HUB_OFFLINE is False  # offline mode only for the fetch


def test_an_unreachable_hub_still_serves_cached_weights(local_hub):
    cache, connections, point_hub_at = local_hub
    point_hub_at(_closed_port())
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = cache / "models--facebook--sam2.1-hiera-tiny"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    checkpoint = repo / "snapshots" / commit / "sam2.1_hiera_tiny.pt"
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_bytes(b"weights")
    weights = sam_weights(ModelOptions())
    assert weights.checkpoint == str(checkpoint)
    assert len(connections) == 1


def test_a_reachable_hub_downloads_as_huggingface_hub_does(local_hub, monkeypatch):
    import huggingface_hub

    cache, connections, point_hub_at = local_hub
    with socket.socket() as hub:
        hub.bind(("127.0.0.1", 0))
        hub.listen()
        point_hub_at(hub.getsockname()[1])
        calls = []

        def download(repo_id, filename):
            calls.append((repo_id, filename, constants.is_offline_mode()))
            return "/downloaded/sam2.1_hiera_tiny.pt"

        monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)
        weights = sam_weights(ModelOptions())
    assert calls == [("facebook/sam2.1-hiera-tiny", "sam2.1_hiera_tiny.pt", False)]
    assert weights == SamWeights("configs/sam2.1/sam2.1_hiera_t.yaml", "/downloaded/sam2.1_hiera_tiny.pt")


def test_a_first_run_offline_stops_before_loading_a_model(local_hub, monkeypatch):
    import sitegen.models.clip
    import sitegen.models.sam
    from sitegen.pipeline.run import LazyModels

    cache, connections, point_hub_at = local_hub
    port = _closed_port()
    point_hub_at(port)
    loads = []
    monkeypatch.setattr(sitegen.models.clip, "load_clip", lambda *args: loads.append("clip"))
    monkeypatch.setattr(sitegen.models.sam, "load_sam", lambda *args: loads.append("sam"))
    models = LazyModels(ModelOptions(device="cpu"))
    with pytest.raises(WeightsError, match=r"^CLIP weights ViT-B-16-quickgelu / openai are not in the cache"):
        models.clip
    with pytest.raises(WeightsError, match=r"^SAM 2 weights facebook/sam2.1-hiera-tiny are not in the cache .* cannot be reached"):
        models.sam
    assert loads == [] and connections == [("127.0.0.1", port)]


def test_only_an_empty_cache_and_an_unreachable_hub_stop_a_run_early(local_hub, tmp_path):
    cache, _, point_hub_at = local_hub
    point_hub_at(_closed_port())
    checkpoint = tmp_path / "clip.pt"
    checkpoint.write_bytes(b"local")
    for model in ("clip", "sam"):
        refuse_unreachable_download(ModelOptions(random_weights=True), model)
    refuse_unreachable_download(ModelOptions(clip_pretrained=str(checkpoint)), "clip")
    refuse_unreachable_download(ModelOptions(sam_checkpoint=str(checkpoint), sam_config="sam2.1_hiera_t"), "sam")
    with pytest.raises(WeightsError):
        refuse_unreachable_download(ModelOptions(), "sam")
    (cache / "models--someone--else").mkdir(parents=True)  # something cached: the fetch decides
    refuse_unreachable_download(ModelOptions(), "sam")


def test_an_empty_cache_with_a_reachable_hub_goes_on_to_download(local_hub):
    _, connections, point_hub_at = local_hub
    with socket.socket() as hub:
        hub.bind(("127.0.0.1", 0))
        hub.listen()
        point_hub_at(hub.getsockname()[1])
        refuse_unreachable_download(ModelOptions(), "clip")
    assert len(connections) == 1


def test_the_probe_goes_to_the_proxy_when_one_is_set(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    assert _probe_address("https://huggingface.co") == ("huggingface.co", 443)
    assert _probe_address("http://127.0.0.1:8080") == ("127.0.0.1", 8080)
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    assert _probe_address("https://huggingface.co") == ("proxy.example", 3128)
    monkeypatch.setenv("no_proxy", "huggingface.co")
    assert _probe_address("https://huggingface.co") == ("huggingface.co", 443)


def test_unknown_clip_tag_lists_the_valid_tags():
    with pytest.raises(WeightsError) as caught:
        clip_checkpoint("ViT-B-16-quickgelu", "laion9000")
    message = str(caught.value)
    assert "'laion9000'" in message
    for tag in open_clip.list_pretrained_tags_by_model("ViT-B-16-quickgelu"):
        assert tag in message


def test_missing_clip_file_is_named(tmp_path):
    missing = tmp_path / "missing.pt"
    with pytest.raises(WeightsError, match="nor an existing file") as caught:
        clip_checkpoint("ViT-B-16-quickgelu", str(missing))
    assert str(missing) in str(caught.value)


def test_clip_checkpoint_file_loads_with_its_weights(tmp_path):
    with torch.random.fork_rng():
        torch.manual_seed(7)
        source = open_clip.create_model("ViT-S-16", pretrained=None)
    path = tmp_path / "clip.pt"
    torch.save(source.state_dict(), path)
    assert clip_checkpoint("ViT-S-16", str(path)) == str(path)
    loaded = load_clip(ModelOptions(clip_model="ViT-S-16", clip_pretrained=str(path)), "cpu")
    expected = source.state_dict()
    assert all(torch.equal(value, expected[key]) for key, value in loaded.model.state_dict().items())
    assert loaded.identity["clip_pretrained"]["size"] == path.stat().st_size


def test_clip_file_for_another_architecture_is_refused(tmp_path):
    path = tmp_path / "linear.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), path)
    with pytest.raises(WeightsError, match="linear.pt: cannot load it into the CLIP model"):
        load_clip(ModelOptions(clip_model="ViT-S-16", clip_pretrained=str(path)), "cpu")


def test_sam_hub_id_and_config_names_are_checked(tmp_path):
    with pytest.raises(WeightsError) as caught:
        sam_weights(ModelOptions(sam_model="facebook/sam9"))
    assert "facebook/sam2.1-hiera-tiny" in str(caught.value) and "--sam-checkpoint" in str(caught.value)
    with pytest.raises(WeightsError, match="sam2.1_hiera_t"):
        sam_weights(ModelOptions(sam_checkpoint=str(tmp_path / "x.pt"), sam_config="hiera_huge"))
    with pytest.raises(WeightsError, match="no such file"):
        sam_weights(ModelOptions(sam_checkpoint=str(tmp_path / "x.pt"), sam_config="sam2.1_hiera_t"))
    random = sam_weights(ModelOptions(random_weights=True))
    assert (random.config, random.checkpoint) == ("configs/sam2.1/sam2.1_hiera_t.yaml", None)


def test_sam_checkpoint_file_loads_with_its_weights(tmp_path):
    source = load_sam(ModelOptions(random_weights=True, seed=5), "cpu")._predictor.model
    path = tmp_path / "sam.pt"
    torch.save({"model": source.state_dict()}, path)
    options = ModelOptions(sam_checkpoint=str(path), sam_config="configs/sam2.1/sam2.1_hiera_t.yaml", seed=0)
    assert sam_weights(options).checkpoint == str(path)
    loaded = load_sam(options, "cpu")._predictor.model
    expected = source.state_dict()
    assert all(torch.equal(value, expected[key]) for key, value in loaded.state_dict().items())


class _NotATensor:
    pass


def test_checkpoints_load_with_weights_only(tmp_path):
    path = tmp_path / "pickled.pt"
    torch.save({"model": {"weight": _NotATensor()}}, path)
    with pytest.raises(WeightsError, match="pickled.pt"):
        load_sam_weights(torch.nn.Linear(2, 2), str(path))
    mismatched = tmp_path / "mismatched.pt"
    torch.save({"model": {"other": torch.zeros(1)}}, mismatched)
    with pytest.raises(WeightsError, match="matches --sam-config"):
        load_sam_weights(torch.nn.Linear(2, 2), str(mismatched))


def test_weights_identity_follows_local_file_contents(tmp_path):
    clip_file, sam_file = tmp_path / "clip.pt", tmp_path / "sam.pt"
    clip_file.write_bytes(b"a" * 100)
    sam_file.write_bytes(b"b" * 100)
    options = ModelOptions(
        clip_pretrained=str(clip_file), sam_checkpoint=str(sam_file), sam_config="sam2.1_hiera_t"
    )
    first = weights_identity(options)
    assert first["clip_pretrained"]["size"] == 100 and first["sam_checkpoint"]["path"] == str(sam_file)
    assert weights_identity(options) == first
    clip_file.write_bytes(b"c" * 100)  # same size, new contents
    second = weights_identity(options)
    assert second["clip_pretrained"] != first["clip_pretrained"]
    assert second["sam_checkpoint"] == first["sam_checkpoint"]


def test_weights_identity_of_tags_and_random_weights_is_the_options_identity():
    assert weights_identity(ModelOptions()) == ModelOptions().identity()
    random = ModelOptions(random_weights=True, seed=4)
    assert weights_identity(random) == random.identity()
    assert weights_identity(random) != weights_identity(ModelOptions(random_weights=True, seed=5))
