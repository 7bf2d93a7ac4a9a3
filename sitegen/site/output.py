"""The site folder: the only code that writes into it, and the reason no build ever loses work.

What sitegen owns is written down next to the site, at the top of the folder:

* ``.sitegen-manifest.json``: every file of the last finished build with its sha256.
* ``.sitegen-journal``: one ``<sha256> <path>`` line appended *before* each file is replaced,
  so a build killed at any moment (Ctrl-C, ``kill -9``, power cut after the fsync) still
  recognises every file it wrote when it runs again. ``finish`` folds it into the manifest.
* ``.sitegen.lock``: held with ``flock`` while a build writes, so a second build on the same
  folder stops with a message. The kernel drops the lock when its process dies, even by
  ``kill -9``: a dead build never leaves a lock that has to be removed by hand, and no pid is
  ever mistaken for a live one.

A file is sitegen's when its path *and* its current bytes are recorded there. Anything else is
the user's (foreign) and, whatever the options:

* a folder holding foreign files is refused unless ``overwrite`` is given;
* a foreign file is never deleted, not even when it sits where a page of a removed image was;
* a foreign file that sits exactly where sitegen must write (possible only with ``overwrite``)
  is never overwritten either: it is renamed aside to ``<name>.orig`` (``.orig.1``, ... when
  taken) and the rename is reported in ``displaced``.

Every write is atomic (a temporary file in the same folder, fsync, ``os.replace``), so no reader
ever sees half a page or half an array. POSIX only (``fcntl``), like the rest of the toolchain.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import itertools
import json
import os
import socket
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from sitegen.errors import OutputError

MANIFEST = ".sitegen-manifest.json"
JOURNAL = ".sitegen-journal"
LOCK = ".sitegen.lock"
TEMP_PREFIX = ".sitegen-tmp-"
BOOKKEEPING = frozenset({MANIFEST, JOURNAL, LOCK})
MANIFEST_FORMAT = 1
#: How many foreign files a refusal names before it says "and N more".
LISTED_FOREIGN = 5


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` in one step: readers see the old file or the new, never half.

    The temporary file is created in the same folder (``os.replace`` is atomic only within one
    file system) with the ordinary permissions of a new file (umask applies), fsynced, then
    renamed over ``path``. On any error the temporary file is removed.
    """
    for attempt in itertools.count():
        temp = path.with_name(f"{TEMP_PREFIX}{os.getpid()}-{attempt}")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def check_relpath(relpath: str) -> PurePosixPath:
    """Validate a site path: relative, POSIX, normalised, no ``..``, not a bookkeeping file.

    Returns the path as a ``PurePosixPath``. Raises ``OutputError`` otherwise, because a page
    path built from a hostile file name must never reach outside the site folder.
    """
    if not isinstance(relpath, str) or not relpath:
        raise OutputError(f"refusing to write {relpath!r}: a site path must be a non-empty string")
    if "\\" in relpath or any(ord(char) < 32 for char in relpath):
        raise OutputError(f"refusing to write {relpath!r}: backslashes and control characters are not allowed")
    pure = PurePosixPath(relpath)
    if pure.is_absolute() or str(pure) != relpath or ".." in pure.parts:
        raise OutputError(f"refusing to write {relpath!r}: a site path must be relative, normalised and without '..'")
    if relpath in BOOKKEEPING or any(part.startswith(TEMP_PREFIX) for part in pure.parts):
        raise OutputError(f"refusing to write {relpath!r}: the name is reserved for sitegen's own bookkeeping")
    return pure


def read_records(root: Path) -> dict[str, set[str]]:
    """Every (path, sha256) sitegen recorded in ``root``: the manifest plus the journal.

    An unreadable manifest counts as empty (its files then look foreign, which is the safe side).
    A journal line cut short by a kill is ignored: its file was never renamed into place.
    """
    records: dict[str, set[str]] = {}
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        for relpath, digest in manifest["files"].items():
            records.setdefault(relpath, set()).add(digest)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    try:
        lines = (root / JOURNAL).read_text(encoding="utf-8").split("\n")
    except (OSError, ValueError):
        lines = []
    for line in lines[:-1]:  # the part after the last newline is incomplete or empty
        digest, _, relpath = line.partition(" ")
        if len(digest) == 64 and relpath:
            records.setdefault(relpath, set()).add(digest)
    return records


def scan_folder(root: Path, records: dict[str, set[str]]) -> tuple[dict[str, str], list[str]]:
    """Split the files under ``root`` into sitegen's own and foreign ones.

    Returns ``(own, foreign)``: ``own`` maps each path whose current bytes sitegen recorded to
    their sha256; ``foreign`` lists every other file, symlink or special file (sorted).
    Bookkeeping files are neither. Leftover temporary files of a killed build are removed (the
    caller holds the lock, so no live build is writing them).
    """
    own: dict[str, str] = {}
    foreign: list[str] = []
    for folder, dirnames, filenames in os.walk(root):
        base = Path(folder)
        relbase = base.relative_to(root).as_posix()
        prefix = "" if relbase == "." else relbase + "/"
        for name in sorted(dirnames):
            if (base / name).is_symlink():
                foreign.append(prefix + name)
                dirnames.remove(name)
        for name in filenames:
            relpath = prefix + name
            path = base / name
            if relpath in BOOKKEEPING:
                continue
            if name.startswith(TEMP_PREFIX) and path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)
                continue
            if relpath in records and path.is_file() and not path.is_symlink():
                digest = sha256_file(path)
                if digest in records[relpath]:
                    own[relpath] = digest
                    continue
            foreign.append(relpath)
    return own, sorted(foreign)


class FolderLock:
    """An exclusive ``flock`` on ``<root>/.sitegen.lock`` naming its holder (pid and host).

    The lock file is removed on release. Because another process may open the file just before
    it is removed, ``acquire`` checks that the file it locked is still the one at the path.
    """

    def __init__(self, root: Path):
        self.path = root / LOCK
        self._fd: int | None = None

    def acquire(self) -> None:
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as error:
                raise OutputError(f"cannot write to the output folder {self.path.parent}: {error.strerror}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                os.close(fd)
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                raise OutputError(
                    f"another sitegen build is writing to {self.path.parent} ({self._holder()}); "
                    "wait for it to finish, then run again"
                ) from None
            try:
                same_file = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same_file = False
            if same_file:
                break
            os.close(fd)  # the previous holder removed that file: lock the new one
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)
        os.close(self._fd)  # closing drops the flock
        self._fd = None

    def _holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip() or "holder unknown"
        except OSError:
            return "holder unknown"


class OutputFolder:
    """The site folder, opened for one build: ``with OutputFolder(out) as folder: ...``.

    Parameters
    ----------
    root : Path
        The site folder; created when missing.
    overwrite : bool
        Accept a folder that holds files sitegen did not write. They are kept; one that sits
        where sitegen must write is renamed to ``<name>.orig`` rather than overwritten.
    inputs : sequence of Path
        Input folders: ``root`` may be neither one of them nor inside one.

    Raises
    ------
    OutputError
        From the constructor when ``root`` is (inside) an input folder or is a file; from
        ``__enter__`` when another build holds the lock or, without ``overwrite``, when the folder
        holds foreign files (a few are named).
    """

    def __init__(self, root: Path, *, overwrite: bool = False, inputs: Sequence[Path] = ()):
        self.root = Path(root)
        self.overwrite = overwrite
        resolved = self.root.resolve()
        for folder in inputs:
            source = Path(folder).resolve()
            if resolved == source or source in resolved.parents:
                raise OutputError(
                    f"the output folder {self.root} is inside the input folder {folder}; "
                    "choose an --out outside it"
                )
        if self.root.exists() and not self.root.is_dir():
            raise OutputError(f"the output folder {self.root} is a file; choose another --out")
        self.displaced: list[tuple[str, str]] = []  # (path, the name the foreign file got)
        self._lock = FolderLock(self.root)
        self._records: dict[str, set[str]] = {}
        self._own: dict[str, str] = {}  # path -> sha256 of sitegen's file there now
        self._written: dict[str, str] = {}  # path -> sha256, this build
        self._journal: int | None = None

    def __enter__(self) -> OutputFolder:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(f"cannot create the output folder {self.root}: {error.strerror}") from None
        self._lock.acquire()
        try:
            self._records = read_records(self.root)
            self._own, foreign = scan_folder(self.root, self._records)
            if foreign and not self.overwrite:
                listed = ", ".join(foreign[:LISTED_FOREIGN])
                more = f" and {len(foreign) - LISTED_FOREIGN} more" if len(foreign) > LISTED_FOREIGN else ""
                raise OutputError(
                    f"the output folder {self.root} holds files sitegen did not write ({listed}{more}); "
                    "choose an empty or new --out, or pass --overwrite (your files are kept)"
                )
            self._journal = os.open(self.root / JOURNAL, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        if self._journal is not None:
            os.close(self._journal)
            self._journal = None
        self._lock.release()

    @property
    def written(self) -> dict[str, str]:
        """Path -> sha256 of every file this build wrote (or found already identical)."""
        return dict(self._written)

    def write(self, relpath: str, data: bytes) -> bool:
        """Write one site file atomically; returns False when identical bytes were already there.

        Skipping identical files keeps modification times stable (rsync and GitHub Pages
        uploads see only real changes) and makes a rebuild with nothing changed write nothing.
        """
        self._require_open()
        target = self._target(relpath)
        digest = hashlib.sha256(data).hexdigest()
        self._written[relpath] = digest
        if self._own.get(relpath) == digest:
            return False
        if relpath not in self._own and os.path.lexists(target):
            self._displace(relpath, target)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(f"cannot create the folder for {relpath} in {self.root}: {error.strerror}") from None
        os.write(self._journal, f"{digest} {relpath}\n".encode())
        write_atomically(target, data)
        self._own[relpath] = digest
        self._records.setdefault(relpath, set()).add(digest)
        return True

    def finish(self) -> list[str]:
        """Remove sitegen's files this build did not write, then record this build's files.

        Only files recorded by an earlier build whose bytes are still the recorded ones are
        removed (the pages of an image that left the input folder); a file the user changed or
        added is kept. Empty folders left behind are removed. Returns the removed paths, sorted.
        """
        self._require_open()
        removed = []
        for relpath in sorted(set(self._records) - set(self._written)):
            path = self.root / relpath
            if path.is_file() and not path.is_symlink() and sha256_file(path) in self._records[relpath]:
                path.unlink()
                removed.append(relpath)
                self._remove_empty_parents(path)
        manifest = {"format": MANIFEST_FORMAT, "files": dict(sorted(self._written.items()))}
        write_atomically(self.root / MANIFEST, (json.dumps(manifest, indent=1) + "\n").encode())
        os.close(self._journal)
        self._journal = None
        (self.root / JOURNAL).unlink(missing_ok=True)
        return removed

    def _require_open(self) -> None:
        if self._journal is None:
            raise OutputError("the output folder is not open: use `with OutputFolder(...)` and finish() once")

    def _target(self, relpath: str) -> Path:
        target = self.root.joinpath(*check_relpath(relpath).parts)
        root, parent = self.root.resolve(), target.parent.resolve()
        if parent != root and root not in parent.parents:
            raise OutputError(f"refusing to write {relpath!r}: it resolves outside {self.root} through a symlink")
        return target

    def _displace(self, relpath: str, target: Path) -> None:
        """Rename a foreign file away from a path sitegen must write (``overwrite`` only)."""
        if not self.overwrite:
            raise OutputError(
                f"{self.root / relpath} was not written by sitegen and sitegen must write there; "
                "move it away or pass --overwrite (it is then kept as <name>.orig)"
            )
        for suffix in itertools.chain([".orig"], (f".orig.{n}" for n in itertools.count(1))):
            aside = target.with_name(target.name + suffix)
            if not os.path.lexists(aside):
                break
        os.rename(target, aside)
        self.displaced.append((relpath, aside.relative_to(self.root).as_posix()))

    def _remove_empty_parents(self, path: Path) -> None:
        parent = path.parent
        while parent != self.root:
            try:
                parent.rmdir()
            except OSError:  # not empty: it holds other files, maybe the user's
                return
            parent = parent.parent
