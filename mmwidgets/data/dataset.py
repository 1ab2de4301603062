"""Dataset: a DataFrame of items, and which of its columns hold which modality."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mmwidgets.data import _schema as schema
from mmwidgets.data._cells import read_column
from mmwidgets.data._errors import SchemaError, UnknownItemError
from mmwidgets.data._modalities import get_modality
from mmwidgets.data._problems import ProblemLog, check_media
from mmwidgets.data._schema import ColumnsArg, ColumnsMapping, Modality
from mmwidgets.data.media import (
    DEFAULT_MAX_PIXELS,
    AudioClip,
    AudioValue,
    ImageValue,
    MediaError,
    Thumbnail,
    audio_for_browser,
    image_thumbnail,
)

__all__ = ["Dataset", "Item"]


@dataclass(frozen=True)
class Item:
    """One item's usable values, by column; None where a cell is missing or has a problem.

    Attributes
    ----------
    id : str
        The item id.
    text, image, audio : dict
        Column name -> value, for each column of that modality in the dataset.
    other : dict
        Modality -> {column name -> value}, for the dataset's other registered modalities;
        ``item[modality]`` reads any modality alike.

    Examples
    --------
    >>> item = Item("7", text={"caption": "a cat"}, other={"number": {"x": 1.5}})
    >>> item["text"], item["number"], item["image"]
    ({'caption': 'a cat'}, {'x': 1.5}, {})
    """

    id: str
    text: dict[str, str | None] = field(default_factory=dict, hash=False)
    image: dict[str, ImageValue | None] = field(default_factory=dict, hash=False)
    audio: dict[str, AudioValue | None] = field(default_factory=dict, hash=False)
    other: dict[str, dict[str, Any]] = field(default_factory=dict, hash=False)

    def __getitem__(self, modality: str) -> dict[str, Any]:
        if modality in _BUILT_IN:
            values: dict[str, Any] = getattr(self, modality)
            return values
        if modality not in self.other:
            get_modality(modality)  # UnknownModalityError for a name nobody registered
        return self.other.get(modality, {})

    def __repr__(self) -> str:
        fields = [f"id={self.id!r}"] + [f"{m}={self[m]!r}" for m in (*_BUILT_IN, *self.other)]
        return f"Item({', '.join(fields)})"


_BUILT_IN = ("text", "image", "audio")  # modalities that are Item attributes


class Dataset:
    """Items from a DataFrame: one row per item, each modality in one or more columns.

    ``Dataset(df, ...)`` and ``Dataset.from_pandas(df, ...)`` are the same; see
    :meth:`from_pandas` for the parameters. The dataset reads the cells once at construction
    (later edits to ``df`` do not reach it) and loads media only when asked, one item at a time.
    """

    def __init__(
        self,
        df: pd.DataFrame,
        id: str | None = None,
        text: ColumnsArg = None,
        image: ColumnsArg = None,
        audio: ColumnsArg = None,
        columns: ColumnsMapping | None = None,
        *,
        validate: bool = True,
        max_pixels: int | None = DEFAULT_MAX_PIXELS,
    ) -> None:
        if not isinstance(df, pd.DataFrame):
            raise SchemaError(
                f"a Dataset is built from a pandas DataFrame, got {type(df).__name__}; e.g. "
                "Dataset.from_pandas(pd.DataFrame({'caption': ['a cat']}), text='caption')"
            )
        if max_pixels is not None and (
            isinstance(max_pixels, bool) or not isinstance(max_pixels, int) or max_pixels < 1
        ):
            raise ValueError(f"max_pixels must be a positive int or None, got {max_pixels!r}")
        self._frame = df
        self._max_pixels = max_pixels
        self._columns = schema.resolve_columns(df, text, image, audio, columns)
        self._index = schema.item_ids(df, id)
        self._ids = self._index.ids
        self._modality: dict[str, Modality] = {}
        self._cells: dict[str, list[object]] = {}
        self._present: dict[str, np.ndarray] = {}
        self._problems = ProblemLog()
        for modality, names in self._columns.items():
            spec = get_modality(modality)
            for column in names:
                read = read_column(spec, column, df[column], self._ids)
                self._modality[column] = modality
                self._cells[column] = read.values
                self._present[column] = read.present
                for row, problem in read.problems.items():
                    self._problems.record(self._ids[row], column, problem)
        self._check_lock = threading.Lock()
        self._unchecked = np.full(len(self._ids), not validate, dtype=bool)
        if validate:
            check_media(self._ids, self._columns, self._cells, self._problems, max_pixels)

    @property
    def media_checked(self) -> bool:
        """Whether every media cell was decoded once (``validate=True``, or ``check_media``).

        Examples
        --------
        >>> import pandas as pd
        >>> ds = Dataset.from_pandas(pd.DataFrame({"t": ["a"]}), text="t", validate=False)
        >>> ds.media_checked, ds.check_media(), ds.media_checked
        (False, 0, True)
        """
        with self._check_lock:
            return not self._unchecked.any()

    def check_media(
        self,
        ids: Sequence[str | int] | None = None,
        *,
        progress: bool = True,
        should_stop: Callable[[], bool] | None = None,
    ) -> int:
        """Decode the media cells not checked yet (of ``ids``, or all), recording problems.

        For a Dataset built with ``validate=False``: a Session checks the items it shows
        first at once and the rest on a background thread. Thread-safe; each distinct value
        is decoded once; ``should_stop`` (asked between cells) cancels. Returns the number
        of cells checked.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"photo": ["no/such.png", None]})
        >>> ds = Dataset.from_pandas(df, image="photo", validate=False)
        >>> ds.ok_ids, ds.check_media(), ds.ok_ids
        (['0', '1'], 1, ['1'])
        """
        with self._check_lock:
            todo = self._unchecked.copy()
        if ids is not None:
            wanted = np.zeros(len(self._ids), dtype=bool)
            wanted[[self._row(i) for i in ids]] = True
            todo &= wanted
        rows = np.flatnonzero(todo)
        if len(rows) == 0:
            return 0
        done = check_media(
            self._ids, self._columns, self._cells, self._problems, self._max_pixels,
            rows=rows.tolist(), progress=progress, should_stop=should_stop,
        )  # fmt: skip
        if should_stop is None or not should_stop():
            with self._check_lock:
                self._unchecked[rows] = False
        return done

    @classmethod
    def from_pandas(
        cls,
        df: pd.DataFrame,
        id: str | None = None,
        text: ColumnsArg = None,
        image: ColumnsArg = None,
        audio: ColumnsArg = None,
        columns: ColumnsMapping | None = None,
        *,
        validate: bool = True,
        max_pixels: int | None = DEFAULT_MAX_PIXELS,
    ) -> Dataset:
        """Build a dataset from a DataFrame with one row per item.

        Parameters
        ----------
        df : pandas.DataFrame
            The items. Kept as :attr:`frame`; the dataset reads its cells once, here.
        id : str, optional
            Column of item ids; None uses the index. Ids become str (``7`` -> ``"7"``) and
            must be unique and present.
        text, image, audio : str or list of str, optional
            The column (or columns, e.g. ``audio=["speech", "sound"]``) holding each modality.
            Text cells are str; image cells are file paths, bytes, PIL images or numpy arrays;
            audio cells are file paths, bytes or ``(samples, sample_rate)`` tuples. None, NaN
            and ``pd.NA`` mean the item lacks that value, as does a blank image or audio path.
        columns : dict, optional
            Modality -> its column or columns, for any registered modality (see
            :func:`~mmwidgets.data.register_modality`), e.g. ``{"text": "caption"}``; the same
            as the keyword shortcuts, which it complements (a modality is named once).
        validate : bool, optional
            Decode every cell of a media modality (image, audio) now, one at a time, with a
            progress bar beyond 200 cells, and record the ones that fail in :meth:`problems`.
            With False, media problems surface later, when :meth:`thumbnail` or
            :meth:`audio_clip` load them.
        max_pixels : int or None, optional
            Images with more pixels than this are problems rather than memory hogs. Files
            are read only when they are regular files within a size limit per kind,
            ``mmwidgets.data.media.MAX_FILE_BYTES`` (a module setting, as the encoders read
            the files too).

        Returns
        -------
        Dataset

        Raises
        ------
        SchemaError
            For a column that is not in ``df``, no modality, a column given twice, missing or
            duplicate ids, or a column whose values are of the wrong kind (e.g. numbers given
            as text). Bad cells in a good column are recorded in :meth:`problems` instead.
        UnknownModalityError
            For a ``columns=`` key that is not a registered modality.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"caption": ["a cat", None], "photo": [None, ""]})
        >>> Dataset.from_pandas(df, text="caption", image="photo")
        Dataset(2 items | text: caption 1/2 | image: photo 0/2 | no problems)
        """
        return cls(df, id, text, image, audio, columns, validate=validate, max_pixels=max_pixels)

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        parts = [_count(len(self), "item")]
        for modality, names in self._columns.items():
            counts = ", ".join(f"{c} {int(self._present[c].sum())}/{len(self)}" for c in names)
            parts.append(f"{modality}: {counts}")
        problems, bad = len(self._problems), len(self._problems.items())
        if problems:
            parts.append(f"{_count(problems, 'problem')} in {_count(bad, 'item')}")
        else:
            parts.append("no problems")
        return f"Dataset({' | '.join(parts)})"

    @property
    def ids(self) -> list[str]:
        """Item ids, in the DataFrame's row order.

        Examples
        --------
        >>> import pandas as pd
        >>> Dataset.from_pandas(pd.DataFrame({"t": ["a", "b"]}, index=[10, 20]), text="t").ids
        ['10', '20']
        """
        return list(self._ids)

    @property
    def columns(self) -> dict[str, tuple[str, ...]]:
        """Modality -> its column names, for the modalities this dataset has.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"title": ["a"], "body": ["b"]})
        >>> Dataset.from_pandas(df, text=["title", "body"]).columns
        {'text': ('title', 'body')}
        """
        columns: dict[str, tuple[str, ...]] = {m: c for m, c in self._columns.items()}
        return columns

    @property
    def modalities(self) -> tuple[str, ...]:
        """The modalities present, in the registry's order (text, image, audio, then others).

        Examples
        --------
        >>> import pandas as pd
        >>> Dataset.from_pandas(pd.DataFrame({"t": ["a"]}), text="t").modalities
        ('text',)
        """
        return tuple(self._columns)

    @property
    def frame(self) -> pd.DataFrame:
        """The DataFrame the dataset was built from; treat it as read-only.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"t": ["a"]})
        >>> Dataset.from_pandas(df, text="t").frame is df
        True
        """
        return self._frame

    def value(self, item_id: str | int, column: str) -> Any:
        """The raw cell of one item in one modality column, or None where it is missing.

        Examples
        --------
        >>> import pandas as pd
        >>> ds = Dataset.from_pandas(pd.DataFrame({"t": ["a", None]}), text="t")
        >>> ds.value(0, "t"), ds.value("1", "t")
        ('a', None)
        """
        return self._cells[self._column(column)][self._row(item_id)]

    def item(self, item_id: str | int) -> Item:
        """One item's usable values: None for cells that are missing or have a problem.

        Examples
        --------
        >>> import pandas as pd
        >>> ds = Dataset.from_pandas(pd.DataFrame({"t": ["a cat"]}), text="t")
        >>> ds.item(0)
        Item(id='0', text={'t': 'a cat'}, image={}, audio={})
        """
        key = self._ids[self._row(item_id)]
        usable: dict[str, dict[str, Any]] = {m: {} for m in _BUILT_IN}
        for modality, names in self._columns.items():
            values = usable.setdefault(modality, {})
            for column in names:
                bad = self._problems.get(key, column) is not None
                values[column] = None if bad else self.value(key, column)
        other = {m: v for m, v in usable.items() if m not in _BUILT_IN}
        return Item(key, usable["text"], usable["image"], usable["audio"], other)

    def presence(self) -> pd.DataFrame:
        """Which cells are present and problem-free: a bool frame, item ids x columns.

        Examples
        --------
        >>> import pandas as pd
        >>> ds = Dataset.from_pandas(pd.DataFrame({"t": ["a", None]}), text="t")
        >>> ds.presence()["t"].tolist()
        [True, False]
        """
        flags = {column: self._usable(column) for column in self._modality}
        return pd.DataFrame(flags, index=pd.Index(self._ids, name="id"), dtype=bool)

    def problems(self) -> pd.DataFrame:
        """The cells that cannot be used: columns ``id``, ``column`` and ``problem``.

        Missing values are not problems; missing files, paths that are not regular files
        (folders, devices, pipes, link loops, URLs), files over the size limit, undecodable
        media, images over ``max_pixels``, empty audio and values of the wrong type are.

        Examples
        --------
        >>> import pandas as pd
        >>> ds = Dataset.from_pandas(pd.DataFrame({"photo": ["no/such.png"]}), image="photo")
        >>> ds.problems().to_dict("records")
        [{'id': '0', 'column': 'photo', 'problem': "image file not found: 'no/such.png'"}]
        """
        return self._problems.frame(self._ids, list(self._modality))

    @property
    def n_problems(self) -> int:
        """How many cells have a problem (the rows of :meth:`problems`), without building it.

        Examples
        --------
        >>> import pandas as pd
        >>> Dataset.from_pandas(pd.DataFrame({"t": ["a", 3, 4]}), text="t").n_problems
        2
        """
        return len(self._problems)

    def record_problem(self, item_id: str | int, column: str, problem: str) -> None:
        """Record that a cell cannot be used, e.g. when loading it failed later; thread-safe.

        Examples
        --------
        >>> import pandas as pd
        >>> ds = Dataset.from_pandas(pd.DataFrame({"t": ["a", "b"]}), text="t")
        >>> ds.record_problem(1, "t", "garbled text")
        >>> ds.ok_ids
        ['0']
        """
        if not isinstance(problem, str) or not problem:
            raise ValueError(f"problem must be a non-empty str, got {problem!r}")
        self._problems.record(self._ids[self._row(item_id)], self._column(column), problem)

    @property
    def ok_ids(self) -> list[str]:
        """Ids of the items without any problem, in row order: what labeling goes through.

        Examples
        --------
        >>> import pandas as pd
        >>> Dataset.from_pandas(pd.DataFrame({"t": ["a", 3]}), text="t").ok_ids
        ['0']
        """
        bad = self._problems.items()
        if not bad:
            return list(self._ids)
        return [item_id for item_id in self._ids if item_id not in bad]

    def has_problem(self, item_id: str | int) -> bool:
        """Whether any cell of the item has a problem (such items are skipped downstream).

        Examples
        --------
        >>> import pandas as pd
        >>> ds = Dataset.from_pandas(pd.DataFrame({"t": ["a", 3]}), text="t")
        >>> ds.has_problem(0), ds.has_problem("1")
        (False, True)
        """
        return self._problems.has(self._ids[self._row(item_id)])

    def row_of(self, item_id: str) -> int | None:
        """The item's row (its position in :attr:`ids`), or None when no item has this id.

        Examples
        --------
        >>> import pandas as pd
        >>> ds = Dataset.from_pandas(pd.DataFrame({"t": ["a", "b"]}, index=[10, 20]), text="t")
        >>> ds.row_of("20"), ds.row_of("30")
        (1, None)
        """
        return self._index.row(item_id) if isinstance(item_id, str) else None

    def problem_mask(self) -> np.ndarray:
        """Bool per row: the item has a problem in any cell, as of now.

        Examples
        --------
        >>> import pandas as pd
        >>> Dataset.from_pandas(pd.DataFrame({"t": ["a", 3]}), text="t").problem_mask().tolist()
        [False, True]
        """
        return self._mask(self._problems.items())

    def present_mask(self, column: str) -> np.ndarray:
        """Bool per row: the cell of ``column`` is not missing (a cell with a problem counts).

        Examples
        --------
        >>> import pandas as pd
        >>> ds = Dataset.from_pandas(pd.DataFrame({"t": ["a", None, 3]}), text="t")
        >>> ds.present_mask("t").tolist()
        [True, False, True]
        """
        return self._present[self._column(column)].copy()

    def column_values(self, column: str) -> list[Any]:
        """The raw cells of one modality column in row order, None where missing (a copy).

        Examples
        --------
        >>> import pandas as pd
        >>> Dataset.from_pandas(pd.DataFrame({"t": ["a", None]}), text="t").column_values("t")
        ['a', None]
        """
        return list(self._cells[self._column(column)])

    def thumbnail(self, item_id: str | int, column: str, max_side: int = 512) -> Thumbnail:
        """A browser thumbnail of one image cell; a failure is recorded, then raised.

        Any modality drawn as an image (its spec's ``renderer`` is ``"image"``) has thumbnails.

        Raises
        ------
        MediaError
            When the cell is missing, or the image cannot be loaded (then also recorded in
            :meth:`problems`).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> df = pd.DataFrame({"photo": [np.zeros((600, 900, 3), dtype=np.uint8)]})
        >>> thumb = Dataset.from_pandas(df, image="photo").thumbnail(0, "photo", max_side=300)
        >>> thumb.width, thumb.height
        (300, 200)
        """
        key, value = self._media(item_id, column, "image")
        try:
            return image_thumbnail(value, max_side, max_pixels=self._max_pixels)
        except MediaError as e:
            self._problems.record(key, column, str(e))
            raise

    def audio_clip(self, item_id: str | int, column: str, n_peaks: int = 200) -> AudioClip:
        """Browser-playable audio of one audio cell; a failure is recorded, then raised.

        Any modality drawn as audio (its spec's ``renderer`` is ``"audio"``) has clips.

        Raises
        ------
        MediaError
            When the cell is missing, or the audio cannot be loaded (then also recorded in
            :meth:`problems`).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> df = pd.DataFrame({"sound": [(np.zeros(8000, dtype=np.float32), 8000)]})
        >>> Dataset.from_pandas(df, audio="sound").audio_clip(0, "sound").duration
        1.0
        """
        key, value = self._media(item_id, column, "audio")
        try:
            return audio_for_browser(value, n_peaks)
        except MediaError as e:
            self._problems.record(key, column, str(e))
            raise

    def _media(self, item_id: str | int, column: str, renderer: str) -> tuple[str, Any]:
        key = self._ids[self._row(item_id)]
        if self._renderer(self._column(column)) != renderer:
            drawn = [c for c in self._modality if self._renderer(c) == renderer]
            raise SchemaError(
                f"column {column!r} is not an {renderer} column; the {renderer} columns are {drawn}"
            )
        value = self.value(key, column)
        if value is None:
            raise MediaError(f"item {key!r} has no {renderer} in column {column!r}")
        return key, value

    def _renderer(self, column: str) -> str:
        return get_modality(self._modality[column]).renderer

    def _usable(self, column: str) -> np.ndarray:
        usable = self._present[column].copy()
        usable[self._mask(self._problems.items(column))] = False
        return usable

    def _mask(self, item_ids: set[str]) -> np.ndarray:
        mask = np.zeros(len(self._ids), dtype=bool)
        rows = [row for row in map(self._index.row, item_ids) if row is not None]
        mask[rows] = True
        return mask

    def _row(self, item_id: object) -> int:
        key = schema.item_key(item_id)
        row = self._index.row(key)
        if row is None:
            raise UnknownItemError(f"no item with id {key!r} in this dataset of {len(self)} items")
        return row

    def _column(self, column: str) -> str:
        if column not in self._modality:
            raise SchemaError(
                f"{column!r} is not a column of this dataset; its columns are "
                f"{list(self._modality)}"
            )
        return column


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
