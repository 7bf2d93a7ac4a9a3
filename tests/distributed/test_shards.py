"""``--shard K/N``: which images a shard computes, and where K and N come from."""

from pathlib import Path

import pytest

from sitegen.distributed.shards import Shard, first_occurrences, parse_shard, shard_from_environment, shard_positions
from sitegen.errors import OptionsError


def write_files(folder: Path, contents: list[bytes]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, data in enumerate(contents):
        path = folder / f"f{i}.png"
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_image_i_goes_to_shard_i_mod_n(tmp_path):
    paths = write_files(tmp_path, [bytes([i]) * (10 + i) for i in range(7)])
    assert shard_positions(paths, Shard(0, 3)) == [0, 3, 6]
    assert shard_positions(paths, Shard(1, 3)) == [1, 4]
    assert shard_positions(paths, Shard(2, 3)) == [2, 5]
    assert shard_positions(paths, Shard(0, 1)) == list(range(7))


def test_identical_files_belong_to_the_shard_of_their_first_occurrence_only(tmp_path):
    # f3 repeats f0 and f4 repeats f1 (same bytes, so same cache entries); f2 has f0's size only.
    contents = [b"a" * 8, b"b" * 9, b"c" * 8, b"a" * 8, b"b" * 9]
    paths = write_files(tmp_path, contents)
    assert first_occurrences(paths) == [0, 1, 2, 0, 1]
    shard0, shard1 = shard_positions(paths, Shard(0, 2)), shard_positions(paths, Shard(1, 2))
    # f3 would be shard 1's and f4 shard 0's, but their bytes are computed by f0's and f1's shards.
    assert (shard0, shard1) == ([0, 2], [1])


def test_an_unreadable_file_counts_as_its_own(tmp_path):
    paths = write_files(tmp_path, [b"x" * 5, b"y" * 5])
    missing = tmp_path / "gone.png"
    assert first_occurrences([paths[0], missing, paths[1]]) == [0, 1, 2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3/2", "--shard 3/2: K must be between 0 and N-1 = 1 (shards are numbered from 0)"),
        ("2/2", "--shard 2/2: K must be between 0 and N-1 = 1 (shards are numbered from 0)"),
        ("-1/2", "--shard -1/2: K must be between 0 and N-1 = 1 (shards are numbered from 0)"),
        ("0/0", "--shard 0/0: the number of shards must be at least 1"),
        ("1", "--shard 1: expected K/N, two whole numbers such as 0/4"),
        ("a/b", "--shard a/b: expected K/N, two whole numbers such as 0/4"),
    ],
)
def test_bad_shards_are_one_line_naming_the_flag(text, message):
    with pytest.raises(OptionsError) as error:
        parse_shard(text)
    assert str(error.value) == message


SLURM = {"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3"}


def test_the_flag_wins_over_the_scheduler_variables():
    assert shard_from_environment("0/4", None, {**SLURM, "JOB_COMPLETION_INDEX": "1"}) == Shard(0, 4)


def test_slurm_array_variables_give_k_and_n_counting_from_the_array_start():
    assert shard_from_environment(None, None, SLURM) == Shard(2, 3)
    assert shard_from_environment(None, None, {**SLURM, "SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1"}) == Shard(2, 3)


def test_kubernetes_completion_index_gives_k_and_shard_count_n():
    assert shard_from_environment(None, 4, {"JOB_COMPLETION_INDEX": "3"}) == Shard(3, 4)
    with pytest.raises(OptionsError, match=r"^\$JOB_COMPLETION_INDEX is set .* --shard-count N"):
        shard_from_environment(None, None, {"JOB_COMPLETION_INDEX": "3"})
    with pytest.raises(OptionsError, match=r"^--shard 4/4: K must be between 0 and N-1 = 3"):
        shard_from_environment(None, 4, {"JOB_COMPLETION_INDEX": "4"})


def test_no_flag_and_no_variables_is_a_whole_build():
    assert shard_from_environment(None, None, {"HOME": "/root"}) is None


def test_contradictions_and_garbage_are_one_line_each():
    with pytest.raises(OptionsError, match=r"^--shard 0/2 and --shard-count 3 disagree"):
        shard_from_environment("0/2", 3, {})
    with pytest.raises(OptionsError, match=r"^--shard-count needs \$JOB_COMPLETION_INDEX"):
        shard_from_environment(None, 3, {})
    with pytest.raises(OptionsError, match=r"^\$SLURM_ARRAY_TASK_ID is 'x', not a whole number$"):
        shard_from_environment(None, None, {**SLURM, "SLURM_ARRAY_TASK_ID": "x"})
