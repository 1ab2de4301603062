"""A tampered or damaged embedding cache: never read outside its folder, never serves garbage.

Every case builds a real cache with the real encoding path (the hashing text encoder), damages
it with raw edits of its files (the SQLite index, the shard ``.npy`` files), then checks that
encoding the same items again (1) gives the embeddings a fresh cache gives, all finite, (2) says
what was damaged in one warning naming the folder, and (3) has repaired the cache: a third run
is served from it whole, with no warning.
"""

import os
import re
import shutil
import sqlite3
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mmwidgets as mm
from mmwidgets import Dataset
from mmwidgets.encoders import EmbeddingCache, content_key, encode_dataset
from mmwidgets.encoders.cache import CacheDamagedWarning

N = 60
TEXTS = [f"a drawing of thing number {i} in the stamp set" for i in range(N)]
ENCODERS = {"text": "hashing"}
KEY = "text/hashing/"  # the prefix of the hashing encoder's cache key
DECOY = 7777.0  # what the decoy file outside the cache holds: never to be served
# the files a cache folder holds: its index, shards (and writers' temp files), drivers' markers
_OWN = re.compile(r"\.|shards|index\.sqlite.*|shards/(\.tmp-)?[0-9a-f]{32}\.npy|\.driver-[\w-]+")

# Every file this process opens while ``_OPENED`` is a list (an audit hook: the real opens,
# numpy's and os.open's alike, not a stand-in for them).
_OPENED: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _OPENED is not None and event == "open" and isinstance(args[0], (str, bytes, Path)):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


def _dataset() -> Dataset:
    return Dataset.from_pandas(pd.DataFrame({"t": TEXTS}), text="t")


def _encode(folder: Path, **kw):
    kw.setdefault("batch_size", 16)  # several shards of 16 rows (the last one 12)
    return encode_dataset(_dataset(), ENCODERS, cache=folder, progress=False, **kw)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """What a fresh cache gives: the embeddings every repaired run must equal."""
    return _encode(tmp_path_factory.mktemp("fresh") / "cache").column_embeddings["t"]


@pytest.fixture
def folder(tmp_path):
    """A cache written by the real code, every item in it; a decoy file lies just outside."""
    cache = tmp_path / "cache"
    first = _encode(cache)
    assert first.computed["text"] == N
    np.save(tmp_path / "decoy.npy", np.full((16, 256), DECOY, np.float16))
    return cache


def _sql(folder: Path, *statements: str, params: tuple = ()) -> None:
    conn = sqlite3.connect(folder / "index.sqlite", isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement, params if "?" in statement else ())
    finally:
        conn.close()


def _shards(folder: Path) -> list[tuple[int, str, int]]:
    conn = sqlite3.connect(folder / "index.sqlite")
    try:
        return conn.execute("SELECT id, name, rows FROM shards ORDER BY id").fetchall()
    finally:
        conn.close()


def _first_shard(folder: Path) -> Path:
    return folder / "shards" / _shards(folder)[0][1]


def _keys(*items: int) -> list[str]:
    return [content_key(TEXTS[i], "text") for i in items]


def _rewrite_first_shard(folder: Path, change) -> None:
    path = _first_shard(folder)
    data = np.load(path)
    path.unlink()
    change(path, data)


def _repaired(folder: Path, reference: np.ndarray, problem: str, **kw) -> None:
    """Encode again: right rows, one warning naming the folder and ``problem``, then all hits."""
    global _OPENED
    _OPENED = []
    try:
        with pytest.warns(CacheDamagedWarning) as record:
            again = _encode(folder, **kw)
        opened = _OPENED
    finally:
        _OPENED = None
    told = [str(w.message) for w in record if issubclass(w.category, CacheDamagedWarning)]
    assert len(told) == 1, told  # once, not per row
    assert str(folder) in told[0]
    assert re.search(problem, told[0]), told[0]
    got = again.column_embeddings["t"]
    assert np.isfinite(got).all()
    assert not (got == DECOY).any()
    np.testing.assert_allclose(got, reference, rtol=1e-3, atol=1e-4)
    assert again.computed["text"] > 0  # the damaged rows were recomputed
    # nothing but the cache's own files was opened near it: no decoy, no path the index made up
    near = [Path(p) for p in opened if Path(p).is_relative_to(folder.parent)]
    assert near  # the hook did see the shards being read
    strays = [p for p in near if not _OWN.fullmatch(os.path.relpath(p, folder))]
    assert not strays

    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheDamagedWarning)
        third = _encode(folder)
    assert third.cached == {"text": N}
    assert third.computed == {"text": 0}
    np.testing.assert_array_equal(third.column_embeddings["t"], got)


@pytest.mark.parametrize(
    "name",
    [
        "../../decoy.npy",
        "ABSOLUTE",
        "sub/0123456789abcdef0123456789abcdef.npy",
        "0123456789abcdef0123456789abcdef.npy\n",
        "0123456789ABCDEF0123456789ABCDEF.npy",
        "",
    ],
    ids=["dotdot", "absolute", "separator", "newline", "uppercase", "empty"],
)
def test_a_shard_name_that_is_not_the_caches_is_never_opened(folder, reference, name):
    decoy = folder.parent / "decoy.npy"
    if name == "ABSOLUTE":
        name = str(decoy)
    elif name.startswith("sub/"):  # a real decoy where a separator-joined path would lead
        (folder / "shards" / "sub").mkdir()
        shutil.copy(decoy, folder / "shards" / name)
    shard_id = _shards(folder)[0][0]
    _sql(folder, "UPDATE shards SET name = ? WHERE id = ?", params=(name, shard_id))
    _repaired(folder, reference, "not a shard file name")


def test_a_symlinked_shard_is_not_followed(folder, reference):
    path = _first_shard(folder)
    path.unlink()
    path.symlink_to(folder.parent / "decoy.npy")
    _repaired(folder, reference, "symbolic link")


@pytest.mark.timeout(60)  # opening a FIFO without O_NONBLOCK would wait here forever
def test_a_fifo_in_place_of_a_shard_does_not_block(folder, reference):
    path = _first_shard(folder)
    path.unlink()
    os.mkfifo(path)
    _repaired(folder, reference, "not a regular file")


@pytest.mark.parametrize(
    ("row", "problem"),
    [(100_000, "no such rows"), (-1, "no such rows"), ("abc", "no such rows")],
    ids=["past-the-end", "negative", "not-a-number"],
)
def test_a_row_number_outside_its_shard_is_a_miss(folder, reference, row, problem):
    # -1 would be numpy's last row: a plausible embedding of another item, so it must not pass
    for key in _keys(0, 5, 17):
        _sql(folder, "UPDATE embeddings SET row = ? WHERE content = ?", params=(row, key))
    _repaired(folder, reference, problem)


def test_rows_pointing_at_a_shard_the_index_lacks_are_misses(folder, reference):
    for key in _keys(1, 2):
        _sql(folder, "UPDATE embeddings SET shard = 99999 WHERE content = ?", params=(key,))
    _repaired(folder, reference, "shard it does not list")


def test_a_shard_whose_row_count_disagrees_with_the_index_is_a_miss(folder, reference):
    _sql(folder, "UPDATE shards SET rows = rows + 1 WHERE id = (SELECT MIN(id) FROM shards)")
    _repaired(folder, reference, r"the index says \(17, 256\)")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_non_finite_rows_of_the_right_shape_are_misses(folder, reference, bad):
    def poison(path, data):
        data[[0, 3, 9]] = bad
        data[5, 7] = bad  # one value is enough
        np.save(path, data)

    _rewrite_first_shard(folder, poison)
    _repaired(folder, reference, "non-finite rows")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda path, data: path.write_bytes(_npy_bytes(data)[:-1000]), "truncated"),
        (lambda path, data: path.write_bytes(_npy_bytes(data)[:60]), "not a whole .npy"),
        (lambda path, data: path.write_bytes(os.urandom(9000)), "not a whole .npy"),
        (lambda path, data: path.write_bytes(b""), "not a whole .npy"),
        (lambda path, data: np.save(path, data.astype(np.float32)), "holds float32"),
        (lambda path, data: np.save(path, data[:, :128]), r"holds \(16, 128\)"),
        (lambda path, data: np.save(path, data.ravel()), "not a 2-d float16"),
        (lambda path, data: np.save(path, np.asfortranarray(data)), "Fortran"),
        (lambda path, data: None, "is missing"),
    ],
    ids=[
        "truncated",
        "header-only",
        "garbage",
        "empty",
        "float32",
        "narrower",
        "flat",
        "fortran",
        "deleted",
    ],
)
def test_a_damaged_shard_file_is_a_miss(folder, reference, change, problem):
    _rewrite_first_shard(folder, change)
    _repaired(folder, reference, problem)


def _npy_bytes(data: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, data)
    return buffer.getvalue()


def _garbage(folder: Path) -> None:
    (folder / "index.sqlite").write_bytes(os.urandom(50_000))


def _truncated(folder: Path) -> None:
    path = folder / "index.sqlite"
    path.write_bytes(path.read_bytes()[:100])


def _foreign_table(folder: Path) -> None:
    _sql(folder, "DROP TABLE embeddings", "CREATE TABLE embeddings (content TEXT, vector BLOB)")


def _trigger(folder: Path) -> None:
    # a trigger would silently move every new row: not served from such an index, never run
    _sql(
        folder,
        "CREATE TRIGGER shift AFTER INSERT ON embeddings BEGIN "
        "UPDATE embeddings SET row = row + 1 WHERE content = NEW.content; END",
    )


def _width(folder: Path) -> None:
    _sql(folder, "UPDATE encoders SET dim = 'wide'")


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (_garbage, "not a database"),
        (_truncated, "malformed"),
        (_foreign_table, "table embeddings is not the cache's"),
        (_trigger, "trigger 'shift'"),
        (_width, "has width 'wide'"),
    ],
    ids=["garbage", "truncated", "foreign-table", "trigger", "width"],
)
def test_a_damaged_index_is_moved_aside_and_rebuilt(folder, reference, damage, problem):
    damage(folder)
    before = (folder / "index.sqlite").read_bytes()
    _repaired(folder, reference, rf"index\.sqlite \(.*{problem}.*\) is moved aside")
    # kept, not deleted (a file SQLite could open may have had its header touched meanwhile)
    aside = [p for p in folder.glob("index.sqlite.damaged-*") if not p.name.endswith("-shm")]
    assert len([p for p in aside if not p.name.endswith("-wal")]) == 1
    if not before.startswith(b"SQLite format 3\0"):
        assert [p.read_bytes() for p in aside] == [before]


def test_damage_found_while_open_is_repaired_by_the_next_write(folder, reference):
    # an instance that already serves the cache: a row number goes bad under it, then the index
    with EmbeddingCache(folder) as cache:
        key = next(k for k in cache.stats().entries if k.startswith(KEY))
        keys = _keys(*range(N))
        assert cache.get_many(key, keys)[1].all()
        _sql(folder, "UPDATE embeddings SET row = -5 WHERE content = ?", params=(keys[0],))
        with pytest.warns(CacheDamagedWarning, match="no such rows"):
            rows, hit = cache.get_many(key, keys)
        assert hit.sum() == N - 1
        assert np.isnan(rows[0]).all()
        assert cache.stats().damaged == 1
        assert cache.put_many(key, keys[:1], reference[:1]) == 1  # repointed, not skipped
        assert cache.stats().damaged == 1  # the write's own check of the old row is not a lookup
        np.testing.assert_array_equal(cache.get_many(key, keys)[0], reference)
        # the index turns out damaged under the open instance (another encoder's row, written
        # by another process): the instance moves it aside, starts afresh, and keeps working
        other = "text/other/1"
        with EmbeddingCache(folder) as elsewhere:  # this instance never reads its width
            elsewhere.put_many(other, ["x"], np.ones((1, 4), np.float32))
        _sql(folder, "UPDATE encoders SET dim = -4 WHERE key = ?", params=(other,))
        with pytest.warns(CacheDamagedWarning, match="has width -4.*moved aside"):
            rows, hit = cache.get_many(other, ["x"], dim=4)
        assert not hit.any()
        assert not cache.get_many(key, keys, dim=256)[1].any()  # a fresh, empty index
        assert cache.put_many(key, keys, reference) == N
    with EmbeddingCache(folder) as fresh:
        np.testing.assert_array_equal(fresh.get_many(key, keys)[0], reference)
    assert len(list(folder.glob("index.sqlite.damaged-*"))) >= 1


@pytest.mark.parametrize("transfer", ["return", "cache"])
def test_sharded_encoding_repairs_a_damaged_cache(folder, reference, transfer):
    # the executor path: the driver's lookups miss the damage, workers recompute it, and the
    # driver's commit (put_many of returned rows, or adopting the staged shard) repoints it
    def poison(path, data):
        data[:4] = np.nan
        np.save(path, data)

    _rewrite_first_shard(folder, poison)
    last = _shards(folder)[-1][0]
    _sql(folder, "UPDATE shards SET name = '../../decoy.npy' WHERE id = ?", params=(last,))
    with ThreadPoolExecutor(2) as pool:
        _repaired(
            folder, reference, "non-finite rows", executor=pool, transfer=transfer, shard_size=8
        )
    if transfer == "cache":
        assert not [p for p in (folder / "shards").iterdir() if p.name.startswith(".tmp-")]


def _encoded_session(frame: pd.DataFrame, folder: Path, store: Path) -> mm.Session:
    session = mm.Session(
        frame, id="id", text="t", labels=["even", "odd"], store=store, cache_dir=folder,
        encoders=ENCODERS, progress=False,
    )  # fmt: skip
    try:
        session.embeddings(timeout=60)  # encoding (on its background thread) is done here
    except BaseException:
        session.close()
        raise
    return session


def test_a_damaged_cache_does_not_stop_a_session(folder, reference, tmp_path):
    def poison(path, data):
        data[::2] = np.inf
        np.save(path, data)

    _rewrite_first_shard(folder, poison)
    last = _shards(folder)[-1][0]
    _sql(folder, "UPDATE shards SET name = '/etc/passwd' WHERE id = ?", params=(last,))
    frame = pd.DataFrame({"id": [f"item-{i}" for i in range(N)], "t": TEXTS})
    with pytest.warns(CacheDamagedWarning, match=re.escape(str(folder))):
        session = _encoded_session(frame, folder, tmp_path / "labels.sqlite")
    with session:
        for i in range(12):
            session.label(f"item-{i}", ["even", "odd"][i % 2])
        assert session.wait(timeout=60)
        status = session.status()
        assert status["error"] is None
        assert status["encoding"]["complete"]
        assert status["model_version"] >= 1
        assert len(session.predictions()) == N
    with EmbeddingCache(folder) as cache:  # and the session left the cache repaired
        key = next(k for k in cache.stats().entries if k.startswith(KEY))
        rows, hit = cache.get_many(key, _keys(*range(N)))
    assert hit.all()
    np.testing.assert_allclose(rows, reference, rtol=1e-3, atol=1e-4)
