"""The Dashboard in real JupyterLab and Chromium: SVG charts with the session's numbers, and a
confusion-matrix click that opens a review Gallery whose saves land in the store."""

from __future__ import annotations

import json

import pytest
from _notebook import wait_until
from _samples import CATEGORIES, FAST
from playwright.sync_api import expect
from test_labeler import labels_in, session_cell, widget

pytestmark = pytest.mark.ui

SETUP = "\n".join(
    [
        "import json",
        "truth = df.set_index('id')['category']",
        "session.label_many({q.id: truth[q.id] for q in session.queue(30)})",
        "dash = mm.Dashboard(session)",
        "dash.refresh()",
    ]
)


def _setup(store) -> str:
    return session_cell(store, per_class=15, both_audio=False, background=False) + "\n" + SETUP


def _metrics(nb) -> dict:
    return json.loads(nb.execute("import json; print(json.dumps(session.metrics().as_dict()))"))


def test_charts_show_the_session_metrics(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    nb = notebook([_setup(store), "dash"])
    nb.run_all()
    root = widget(nb, 1, ".mmw-dashboard")
    metrics = _metrics(nb)
    expect(root.locator(".mmw-dash-agreement")).to_be_hidden()  # one annotator: no panel
    for name in ("accuracy", "macro_f1", "macro_precision", "macro_recall"):
        expect(root.locator(f".mmw-metric[data-name={name}]")).to_have_text(f"{metrics[name]:.3f}")
    # vector graphics: the learning curve is an SVG path, the confusion matrix SVG cells
    assert root.locator("svg.mmw-chart path.mmw-line").count() >= 2
    cells = root.locator(".mmw-confusion .mmw-cell")
    expect(cells).to_have_count(len(metrics["classes"]) ** 2)
    shown = {
        (c.get_attribute("data-true"), c.get_attribute("data-pred")): int(
            c.get_attribute("data-count")
        )
        for c in cells.all()
    }
    classes = metrics["classes"]
    for i, true in enumerate(classes):
        for j, predicted in enumerate(classes):
            assert shown[(true, predicted)] == metrics["confusion"][i][j]
    # per-class table rows match the per-class report
    for label, scores in metrics["per_class"].items():
        if scores["support"]:
            row = root.locator(f".mmw-per-class tr[data-label={label}] td")
            expect(row.nth(4)).to_have_text(str(scores["support"]))
            expect(row.nth(3)).to_have_text(f"{scores['f1']:.2f}")
    # modality contribution: "all columns" plus one bar per masked column
    bars = root.locator(".mmw-dash-modality .mmw-bars").first.locator(".mmw-bar-row")
    assert bars.count() == 1 + len(
        json.loads(nb.execute("print(json.dumps(list(session.embeddings().X)))"))
    )
    # it follows the session: more labels, a new evaluation, new numbers on screen
    nb.execute("session.label_many({q.id: truth[q.id] for q in session.queue(10)}); dash.refresh()")
    wait_until(
        lambda: root.get_attribute("data-evaluated-on") == "40",
        what="the dashboard to show 40 evaluated labels",
        page=root.page,
    )
    expect(root.locator(".mmw-metric[data-name=accuracy]")).to_have_text(
        f"{_metrics(nb)['accuracy']:.3f}"
    )
    # the model's own labels (as auto_label writes them) are counted apart, never evaluated
    nb.execute(
        "from mmwidgets.data import MODEL_ANNOTATOR\n"
        "picks = [(q.id, truth[q.id]) for q in session.queue(5)]\n"
        "session.store.set_batch(picks, MODEL_ANNOTATOR, reason='auto-label ui')\n"
        "dash.refresh()"
    )
    expect(root.locator(".mmw-sources [data-name=model]")).to_have_text("5 by the model")
    expect(root.locator(".mmw-sources [data-name=people]")).to_have_text("40 by people")
    assert root.get_attribute("data-evaluated-on") == "40"


def test_a_confusion_cell_opens_its_items_for_review(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    nb = notebook([_setup(store), "dash"])
    nb.run_all()
    root = widget(nb, 1, ".mmw-dashboard")
    cell = root.locator(".mmw-confusion .mmw-cell.mmw-clickable").first
    true, predicted = cell.get_attribute("data-true"), cell.get_attribute("data-pred")
    expected = json.loads(
        nb.execute(f"print(json.dumps(session.confusion_items({true!r}, {predicted!r})))")
    )
    cell.click()
    gallery = widget(nb, 1, ".mmw-gallery.mmw-review")
    tiles = gallery.locator(".mmw-tile")
    expect(tiles).to_have_count(len(expected))
    assert sorted(t.get_attribute("data-item") for t in tiles.all()) == sorted(expected)
    # tiles start with their stored label: correct the first one, save all
    assert json.loads(tiles.first.get_attribute("data-assigned")) == true
    before = labels_in(store)
    corrected = tiles.first.get_attribute("data-item")
    tiles.first.click()
    other = next(c for c in ("animals", "food", "vehicles", "clothes") if c != true)
    gallery.locator(f".mmw-label[data-label={other}]").click()
    gallery.press("Enter")
    wait_until(
        lambda: any(labels_in(store)[i] != before[i] for i in expected),
        what="the correction in the store",
        page=root.page,
    )
    after = labels_in(store)
    changed = [i for i in expected if after[i] != before[i]]
    assert changed == [corrected]
    assert after[corrected] == other
    # every saved tile leaves the review: nothing of the cell is left to review
    expect(gallery.locator(".mmw-empty")).to_have_text("Nothing left to review.")


def test_a_team_store_shows_the_agreement_panel(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    team = "\n".join(
        [
            "truth = df.set_index('id')['category']",
            "session.label_many({q.id: truth[q.id] for q in session.queue(30)})",
            # ben relabels six items nobody calls clothes: four alike, two not
            "shared = [i for i in session.store.labeled_ids() if truth[i] != 'clothes'][:6]",
            "other = {'animals': 'food', 'food': 'vehicles', 'vehicles': 'animals'}",
            "for n, i in enumerate(shared):",
            "    session.store.set(i, truth[i] if n < 4 else other[truth[i]], annotator='ben')",
            "dash = mm.Dashboard(session)",
        ]
    )
    setup = session_cell(store, per_class=15, both_audio=False, background=False) + "\n" + team
    nb = notebook([setup, "dash"])
    nb.run_all()
    root = widget(nb, 1, ".mmw-dashboard")
    panel = root.locator(".mmw-dash-agreement")
    expect(panel).to_be_visible()
    expected = json.loads(
        nb.execute(
            "import json\nfrom mmwidgets.widgets._payload import jsonable\n"
            "print(json.dumps(jsonable(session.agreement().as_dict())))"
        )
    )

    def shown(x: float | None) -> str:
        return "—" if x is None else f"{x:.2f}"

    expect(panel.locator(".mmw-metric[data-name=n_overlapped]")).to_have_text("6")
    expect(panel.locator(".mmw-metric[data-name=fleiss_kappa]")).to_have_text(
        shown(expected["fleiss_kappa"])
    )
    expect(panel.locator("[data-name=fleiss_kappa_note]")).to_have_text(
        f" (on {expected['fleiss_items']} items)"
    )
    expect(panel.locator(".mmw-metric[data-name=alpha]")).to_have_text(shown(expected["alpha"]))
    (pair,) = expected["pairs"]
    cells = panel.locator(".mmw-agreement-pairs tbody tr td")
    expect(cells).to_have_text(["ben", "default", "6", shown(pair["kappa"])])
    rows = panel.locator(".mmw-agreement-classes tbody tr")
    expect(rows).to_have_count(4)
    for row in expected["per_class"]:
        tds = panel.locator(f".mmw-agreement-classes tr[data-key={row['label']}] td")
        expect(tds).to_have_text(
            [row["label"], str(row["n_items"]), shown(row["fleiss_kappa"]), shown(row["alpha"])]
        )
    # nobody said clothes on the shared items: undefined, shown as a dash (NaN crossed as null)
    clothes = panel.locator(".mmw-agreement-classes tr[data-key=clothes] td")
    expect(clothes).to_have_text(["clothes", "0", "—", "—"])


def test_long_class_names_fit_whole_around_the_confusion_matrix(notebook, tmp_path):
    long = {c: f"{c.title()} & Other Things" for c in CATEGORIES}  # up to 23 characters
    cell = "\n".join(
        [
            "import mmwidgets as mm",
            "df = mm.load_sample()",
            f"df = df[df['category'].isin({CATEGORIES!r})].groupby('category').head(8)",
            f"df = df.assign(category=df['category'].map({long!r})).reset_index(drop=True)",
            f"session = mm.Session(df, labels=sorted({sorted(long.values())!r}), id='id',",
            f"    text='text', store={str(tmp_path / 'l.sqlite')!r}, encoders={FAST!r},",
            "    background=False, progress=False)",
            "truth = df.set_index('id')['category']",
            "session.label_many({i: truth[i] for i in df['id'][::2]})",
            "dash = mm.Dashboard(session)",
            "dash.refresh()",
        ]
    )
    nb = notebook([cell, "dash"])
    nb.run_all()
    root = widget(nb, 1, ".mmw-dashboard")
    svg = root.locator("svg.mmw-confusion")
    expect(svg.locator(".mmw-cell")).to_have_count(len(long) ** 2)
    box = svg.bounding_box()
    ticks = svg.locator("text.mmw-tick")
    expect(ticks).to_have_count(2 * len(long))  # a row and a column name per class
    for tick in ticks.all():
        assert tick.text_content() in long.values()  # whole, never cut short
        t = tick.bounding_box()
        assert t["x"] >= box["x"] - 1, tick.text_content()
        assert t["y"] >= box["y"] - 1, tick.text_content()
        assert t["x"] + t["width"] <= box["x"] + box["width"] + 1, tick.text_content()
