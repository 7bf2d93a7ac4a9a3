"""OutputFolder: atomic writes, the manifest and journal, foreign files, the lock."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sitegen.errors import OutputError
from sitegen.site.output import JOURNAL, LOCK, MANIFEST, OutputFolder, check_relpath, write_atomically


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build(root: Path, files: dict[str, bytes], **kwargs) -> list[str]:
    with OutputFolder(root, **kwargs) as folder:
        for relpath, data in files.items():
            folder.write(relpath, data)
        return folder.finish()


def test_write_and_finish_record_every_file_in_a_sorted_manifest(tmp_path):
    out = tmp_path / "site"
    removed = build(out, {"index.html": b"<p>home</p>", "images/a/index.html": b"A"})
    assert removed == []
    assert (out / "index.html").read_bytes() == b"<p>home</p>"
    assert (out / "images/a/index.html").read_bytes() == b"A"
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest == {"format": 1, "files": {"images/a/index.html": sha(b"A"), "index.html": sha(b"<p>home</p>")}}
    assert list(manifest["files"]) == sorted(manifest["files"])
    assert not (out / JOURNAL).exists() and not (out / LOCK).exists()


def test_identical_bytes_are_not_rewritten_and_keep_their_mtime(tmp_path):
    out = tmp_path / "site"
    build(out, {"index.html": b"same", "page.html": b"old"})
    os.utime(out / "index.html", (1_000_000, 1_000_000))
    os.utime(out / "page.html", (1_000_000, 1_000_000))
    with OutputFolder(out) as folder:
        assert folder.write("index.html", b"same") is False
        assert folder.write("page.html", b"new") is True
        folder.finish()
    assert (out / "index.html").stat().st_mtime == 1_000_000
    assert (out / "page.html").stat().st_mtime != 1_000_000
    assert (out / "page.html").read_bytes() == b"new"


@pytest.mark.parametrize(
    "relpath",
    ["../escape.html", "/etc/passwd", "a/../../b", "a\\b.html", "", "a//b", "./a", "a/", "a\nb",
     MANIFEST, JOURNAL, LOCK, "images/.sitegen-tmp-1-0"],
)
def test_paths_that_could_escape_or_clobber_bookkeeping_are_refused(tmp_path, relpath):
    with pytest.raises(OutputError, match="refusing to write"):
        check_relpath(relpath)
    out = tmp_path / "site"
    with OutputFolder(out) as folder:
        with pytest.raises(OutputError):
            folder.write(relpath, b"x")
    assert not (tmp_path / "escape.html").exists()


def test_a_symlinked_folder_pointing_outside_is_not_written_through(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "site"
    out.mkdir()
    (out / "images").symlink_to(outside)
    with pytest.raises(OutputError, match="images"):  # the symlink is not sitegen's
        OutputFolder(out).__enter__()
    with OutputFolder(out, overwrite=True) as folder:
        with pytest.raises(OutputError, match="outside"):
            folder.write("images/a.html", b"x")
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("where", [".", "site", "deeper/site"])
def test_an_output_folder_equal_to_or_inside_the_input_is_refused(tmp_path, where):
    images = tmp_path / "images"
    images.mkdir()
    with pytest.raises(OutputError, match="inside the input folder"):
        OutputFolder(images / where, inputs=[images])
    assert sorted(p.name for p in images.iterdir()) == []


def test_an_output_path_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "site").write_text("not a folder")
    with pytest.raises(OutputError, match="is a file"):
        OutputFolder(tmp_path / "site")


def test_a_folder_with_foreign_files_is_refused_and_left_untouched(tmp_path):
    out = tmp_path / "site"
    (out / "sub").mkdir(parents=True)
    for name in ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "sub/f.txt"]:
        (out / name).write_text(name)
    with pytest.raises(OutputError) as refused:
        build(out, {"index.html": b"x"})
    message = str(refused.value)
    assert "a.txt, b.txt, c.txt, d.txt, e.txt and 1 more" in message and "--overwrite" in message
    assert "\n" not in message
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "sub", "sub/f.txt"
    ]


def test_overwrite_keeps_foreign_files_and_moves_one_in_the_way_aside(tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "index.html").write_text("my own index")
    (out / "index.html.orig").write_text("an older file of mine")
    with OutputFolder(out, overwrite=True) as folder:
        folder.write("index.html", b"sitegen index")
        folder.finish()
        assert folder.displaced == [("index.html", "index.html.orig.1")]
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "index.html.orig").read_text() == "an older file of mine"
    assert (out / "index.html.orig.1").read_text() == "my own index"
    assert (out / "index.html").read_text() == "sitegen index"
    # The kept files are still foreign to the next build.
    with pytest.raises(OutputError, match="index.html.orig, index.html.orig.1, notes.txt"):
        build(out, {"index.html": b"sitegen index"})


def test_a_generated_file_the_user_edited_is_theirs(tmp_path):
    out = tmp_path / "site"
    build(out, {"index.html": b"generated", "a.html": b"page a"})
    (out / "index.html").write_text("edited by hand")
    (out / "a.html").write_text("edited too")
    with pytest.raises(OutputError, match="a.html, index.html"):
        build(out, {"index.html": b"generated"})
    removed = build(out, {"index.html": b"generated"}, overwrite=True)
    assert removed == []  # a.html is no longer sitegen's: not deleted
    assert (out / "a.html").read_text() == "edited too"
    assert (out / "index.html.orig").read_text() == "edited by hand"
    assert (out / "index.html").read_text() == "generated"


def test_finish_removes_only_stale_files_sitegen_wrote(tmp_path):
    out = tmp_path / "site"
    build(out, {"index.html": b"i", "images/a/index.html": b"a", "images/b/index.html": b"b", "images/b/x.png": b"x"})
    (out / "images/b/mine.txt").write_text("keep me")
    (out / "notes.txt").write_text("keep me too")
    removed = build(out, {"index.html": b"i2", "images/a/index.html": b"a"}, overwrite=True)
    assert removed == ["images/b/index.html", "images/b/x.png"]
    assert (out / "images/b/mine.txt").read_text() == "keep me"
    assert (out / "notes.txt").read_text() == "keep me too"
    removed = build(out, {"index.html": b"i2"}, overwrite=True)
    assert removed == ["images/a/index.html"]
    assert not (out / "images/a").exists()  # emptied folders go
    assert (out / "images/b").is_dir()  # a folder holding the user's file stays
    assert json.loads((out / MANIFEST).read_text())["files"] == {"index.html": sha(b"i2")}


def test_an_interrupted_build_is_recognised_by_the_next_one(tmp_path):
    out = tmp_path / "site"
    build(out, {"index.html": b"v1", "images/old/index.html": b"old"})
    with pytest.raises(KeyboardInterrupt):
        with OutputFolder(out) as folder:
            folder.write("index.html", b"v2")
            folder.write("images/new/index.html", b"new")
            folder.write("images/gone/index.html", b"gone")
            raise KeyboardInterrupt
    assert not (out / LOCK).exists()  # Ctrl-C released the lock
    assert json.loads((out / MANIFEST).read_text())["files"] == {
        "images/old/index.html": sha(b"old"), "index.html": sha(b"v1")
    }
    # No --overwrite needed: the journal says these files are sitegen's.
    removed = build(out, {"index.html": b"v2", "images/new/index.html": b"new"})
    assert removed == ["images/gone/index.html", "images/old/index.html"]
    assert json.loads((out / MANIFEST).read_text())["files"] == {
        "images/new/index.html": sha(b"new"), "index.html": sha(b"v2")
    }


def test_a_journal_line_cut_short_by_a_kill_claims_nothing(tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    (out / "a.html").write_bytes(b"a")
    (out / "b.html").write_bytes(b"b")
    (out / JOURNAL).write_text(f"{sha(b'a')} a.html\n{sha(b'b')} b.ht")
    with pytest.raises(OutputError, match=r"\(b.html\)"):
        build(out, {"a.html": b"a"})


def test_leftover_temporary_files_of_a_killed_build_are_removed(tmp_path):
    out = tmp_path / "site"
    build(out, {"images/a/index.html": b"a"})
    (out / "images/a/.sitegen-tmp-4242-0").write_bytes(b"half a pa")
    build(out, {"images/a/index.html": b"a"})
    assert sorted(p.name for p in (out / "images/a").iterdir()) == ["index.html"]


def test_write_atomically_leaves_no_temporary_file_on_error_and_uses_normal_permissions(tmp_path):
    with pytest.raises(TypeError):
        write_atomically(tmp_path / "f.bin", "not bytes")
    assert list(tmp_path.iterdir()) == []
    write_atomically(tmp_path / "f.bin", b"data")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "f.bin").stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_second_build_on_the_same_folder_is_refused_while_the_first_runs(tmp_path):
    out = tmp_path / "site"
    with OutputFolder(out) as first:
        with pytest.raises(OutputError, match=rf"another sitegen build is writing to .*site \(pid {os.getpid()} on "):
            OutputFolder(out).__enter__()
        first.write("index.html", b"x")
        first.finish()
    build(out, {"index.html": b"x"})  # released: the next build goes ahead


def test_the_lock_of_another_process_is_seen_and_dies_with_it(tmp_path):
    out = tmp_path / "site"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from sitegen.site.output import OutputFolder\n"
         "with OutputFolder(sys.argv[1]):\n    print('locked', flush=True); time.sleep(60)", str(out)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline() == "locked\n"
        with pytest.raises(OutputError, match=rf"\(pid {holder.pid} on "):
            build(out, {"index.html": b"x"})
    finally:
        holder.kill()  # SIGKILL: no cleanup code runs
        holder.wait()
    assert (out / LOCK).exists()  # the file stays behind, but nobody holds it any more
    build(out, {"index.html": b"x"})
    assert not (out / LOCK).exists()


def test_writing_outside_the_with_block_is_an_error(tmp_path):
    folder = OutputFolder(tmp_path / "site")
    with pytest.raises(OutputError, match="not open"):
        folder.write("index.html", b"x")
    with folder:
        folder.finish()
        with pytest.raises(OutputError, match="not open"):
            folder.finish()
