"""The words heard in a spoken column, under its player in the Labeler (real JupyterLab).

One clip's stored transcript is planted with markup in it first: it must show as text.
"""

from __future__ import annotations

import textwrap

import pytest
from playwright.sync_api import expect
from test_labeler import shown_id, widget

pytestmark = pytest.mark.ui

CLIPS = ["hippopotamus_desc.ogg", "kangaroo_desc.ogg", "grasshopper_desc.ogg"]
PLANTED = "<b>a koala</b> & <i>friends</i>"


def test_the_transcript_shows_as_text_under_the_speech_player(notebook, tmp_path):
    cell = textwrap.dedent(
        f"""
        import mmwidgets as mm
        from mmwidgets.encoders import content_key, create_encoder
        from mmwidgets.encoders._transcripts import TranscriptStore
        df = mm.load_sample()
        df = df[df["speech"].fillna("").str.endswith(tuple({CLIPS!r}))].reset_index(drop=True)
        speech = create_encoder("audio", "transcript", text="hashing")
        planted = df["speech"][0]
        cache = {str(tmp_path / "embeddings")!r}
        TranscriptStore(cache).put_many(
            speech.speech_model, {{content_key(planted, "audio"): {PLANTED!r}}}
        )
        session = mm.Session(df, labels=["mammals", "marsupials", "insects"], id="id",
                             text="text", audio=["speech", "sound"], cache_dir=cache,
                             store={str(tmp_path / "labels.sqlite")!r}, progress=False,
                             encoders={{"text": "hashing", "audio": "logmel", "speech": speech}},
                             background=False)
        labeler = mm.Labeler(session)
        labeler
        """
    ).strip()
    nb = notebook([cell])
    nb.run_all(timeout=240)
    root = widget(nb, 0)
    seen: dict[str, str] = {}
    previous = None
    for _ in CLIPS:
        item = previous = shown_id(root, other_than=previous)
        card = root.locator(f'.mmw-card[data-item="{item}"]')
        # under the player, in the speech column's own field, as its own element
        words = card.locator('.mmw-field[data-column="speech"] .mmw-player + .mmw-transcript')
        expect(words).to_have_count(1)
        expected = nb.execute(f"print(session.transcript({item!r}, 'speech'))").strip()
        assert words.inner_text().strip() == expected
        assert words.locator("b, i").count() == 0  # markup in a transcript stays text
        assert card.locator('.mmw-field[data-column="sound"] .mmw-transcript').count() == 0
        seen[item] = expected
        root.press("s")  # skip to the next clip
    assert sorted(seen.values()).count(PLANTED) == 1
    for item, words in seen.items():  # e.g. animals/marsupials/kangaroo -> "kangaroo"
        assert words == PLANTED or item.rsplit("/", 1)[1] in words.split(), (item, words)
