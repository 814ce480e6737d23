"""The widget wiring shared by every notebook."""

import importlib
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

import nnlab.views
from nnlab.views import figure_png, interactive, plain_log_ticks, tour


def test_interactive_builds_controls_above_an_output():
    calls = []

    def draw(k):
        calls.append(k)
        fig, ax = plt.subplots()
        ax.plot([0, k])
        return fig

    slider = widgets.IntSlider(value=2, min=0, max=5)
    box = interactive(draw, k=slider)
    controls, out = box.children
    assert list(controls.children) == [slider]
    assert isinstance(out, widgets.Output)
    assert calls == [2]
    slider.value = 4
    assert calls == [2, 4]
    # the figure was handed to the output and closed, not left open
    assert plt.get_fignums() == []


def test_interactive_rejects_non_widgets_and_no_controls():
    with pytest.raises(TypeError, match="control 'k' must be an ipywidgets"):
        interactive(lambda k: None, k=3)
    with pytest.raises(ValueError, match="at least one control"):
        interactive(lambda: None)


def test_the_widget_registry_lists_every_figures_module():
    lib = Path(nnlab.views.__file__).parents[1]
    found = {f"nnlab.{p.parent.name}.figures" for p in lib.glob("p*_*/figures.py")}
    assert found | {"nnlab.views.tour"} == set(nnlab.views.WIDGET_MODULES.values())


@pytest.mark.parametrize("name", sorted(nnlab.views.WIDGET_MODULES))
def test_every_widget_callback_draws_at_its_default_settings(name):
    module = importlib.import_module(nnlab.views.WIDGET_MODULES[name])
    assert module.WIDGETS, f"{module.__name__} lists no widget callbacks"
    for key, (fn, kwargs) in module.WIDGETS.items():
        result = fn(**kwargs)
        assert isinstance(result, plt.Figure | str), (
            f"{name}.{key} returned {type(result).__name__}"
        )
        plt.close("all")


def _own_figure_functions(module) -> set[str]:
    """Public ``*_figure`` functions of `module`'s package that it offers.

    Those defined in it, and those it re-exports from a sibling module of
    its package (Problem 1's figures re-export the effective-field ones);
    not ones imported from another package.
    """
    package = module.__name__.rsplit(".", 1)[0]
    return {
        name
        for name, value in vars(module).items()
        if name.endswith("_figure")
        and not name.startswith("_")
        and callable(value)
        and getattr(value, "__module__", "").rsplit(".", 1)[0] == package
    }


def test_every_figure_and_widget_callback_has_alt_text_and_unique_names():
    missing, stale, owners = [], [], {}
    for module_name in nnlab.views.WIDGET_MODULES.values():
        module = importlib.import_module(module_name)
        alt = getattr(module, "ALT", {})
        figures = _own_figure_functions(module)
        callbacks = {fn.__name__ for fn, _ in module.WIDGETS.values()}
        for name in sorted(figures | callbacks):
            text = alt.get(name)
            if not (isinstance(text, str) and text.strip()):
                missing.append(f"{module_name}.{name}")
        stale += [f"{module_name}.{name}" for name in set(alt) - figures - callbacks]
        for name in figures:
            owners.setdefault(name, []).append(module_name)
    # the handout builder looks figures up by function name alone
    clashes = {name: mods for name, mods in owners.items() if len(mods) > 1}
    assert not missing, f"no ALT entry for {missing}"
    assert not stale, f"ALT entries naming no figure or callback: {sorted(stale)}"
    assert not clashes, f"*_figure names defined in several modules: {clashes}"


def test_the_tour_describes_its_figures():
    assert _own_figure_functions(tour) == {"step_size_figure"}
    assert set(tour.ALT) == {"step_size_figure", "step_size_view"}  # + the widget's
    assert all(len(text) > 80 for text in tour.ALT.values())


def test_the_tour_links_every_problem_notebook():
    import json
    import re

    notebooks = Path(nnlab.views.__file__).parents[3] / "notebooks"
    tour_nb = json.loads((notebooks / "00_tour.ipynb").read_text())
    prose = "".join(
        "".join(c["source"]) for c in tour_nb["cells"] if c["cell_type"] == "markdown"
    )
    problems = sorted(notebooks.glob("0[1-9]_*.ipynb"))
    assert len(problems) == 6
    for n, path in enumerate(problems, start=1):
        # a real Markdown link, its text starting with the problem's number
        link = rf"\[{n}\. [^\]]+\]\({re.escape(path.name)}\)"
        assert re.search(link, prose), f"the tour has no link to {path.name}"


def test_the_tour_and_the_readme_keep_one_glossary():
    import json

    root = Path(nnlab.views.__file__).parents[3]

    def glossary(text):
        start = text.index("| symbol | meaning |")
        rows = text[start:].split("\n\n")[0].splitlines()
        return [row for row in rows if not row.startswith("|---")]

    tour_nb = json.loads((root / "notebooks" / "00_tour.ipynb").read_text())
    cell = next(
        "".join(c["source"])
        for c in tour_nb["cells"]
        if "| symbol | meaning |" in "".join(c["source"])
    )
    readme = glossary((root / "README.md").read_text())
    assert {"| Hd ", "| `dout` ", "| MAC "} <= {
        row[: row.index("|", 1)] for row in readme
    }
    assert glossary(cell) == readme


def test_tour_resnet18_count_is_torchvisions_in_macs():
    flops = dict(tour.resnet18_flops())
    # By hand: conv1 has 64 x 112 x 112 outputs of 7 x 7 x 3 multiply-adds each.
    assert flops["conv1 7x7, stride 2"] == 2 * 64 * 112 * 112 * 7 * 7 * 3
    assert flops["fc 512 -> 1000"] == 2 * 512 * 1000
    # torchvision's model table (docs.pytorch.org/vision/stable/models.html,
    # ResNet18_Weights.IMAGENET1K_V1) lists 1.81 "GFLOPS", which counts
    # multiply-adds: half of nnlab's FLOPs.
    assert round(sum(flops.values()) / 2 / 1e9, 2) == 1.81


def test_tour_step_sweep_shows_truncation_then_round_off():
    sweep = dict(tour.step_sweep())
    # Centred differences: error ~ h**2, two decades per decade of h.
    slope = np.log10(sweep[-2.0] / sweep[-3.0])
    assert 1.9 < slope < 2.1
    best = min(sweep, key=sweep.get)
    # Round-off ~ eps / h balances h**2 near eps ** (1/3) ~ 6e-6.
    assert -7.0 <= best <= -4.0
    assert sweep[-12.0] > 100 * sweep[best]


def test_figure_png_renders_and_closes_the_figure():
    fig, ax = plt.subplots(figsize=(2, 1), dpi=50)
    ax.plot([0, 1])
    png = figure_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # width and height from the IHDR chunk: 2 x 1 inches at 50 dpi
    assert int.from_bytes(png[16:20], "big") == 100
    assert int.from_bytes(png[20:24], "big") == 50
    assert plt.get_fignums() == []


def test_plain_log_ticks_label_powers_of_ten_without_mathtext():
    fig, ax = plt.subplots()
    ax.loglog([1e-6, 1e2], [1e-6, 1e2])
    plain_log_ticks(ax)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "1e-6" in labels and "0.01" in labels and "100" in labels
    ax.set_ylim(3e-3, 4e4)
    plain_log_ticks(ax, "y", subs=(1, 2, 5))
    fig.canvas.draw()
    ylabels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert {"5e-3", "0.01", "200", "2e4"} <= set(ylabels), ylabels
    assert not any("$" in label for label in labels)
    assert len(ax.xaxis.get_minorticklocs()) == 0
    plt.close(fig)
    with pytest.raises(ValueError, match="axis must be 'x', 'y' or 'both', got 'z'"):
        plain_log_ticks(ax, axis="z")


def test_cnn_field_view_reports_the_hand_computed_fields():
    from nnlab.p1_cnn import figures as cnn

    # Layer 16 (Conv F=96, 3x3): field 46, jump 8, first centre at input
    # pixel 3.5 (by hand from the table), so output (0, 0) sees rows
    # 3.5 - 23 .. 3.5 + 23, clipped to 0..26: not the whole 32x32 input.
    title = cnn.field_figure(layer=16, row=0, col=0).axes[0].get_title()
    assert "field 46x46" in title and "sees rows 0-26, cols 0-26" in title
    assert title.endswith("not the whole input")
    # Layer 18 (the 4th pool): field 54 centred at 7.5 covers -19.5 .. 34.5.
    title = cnn.field_figure(layer=18, row=0, col=0).axes[0].get_title()
    assert "sees rows 0-31, cols 0-31" in title
    assert title.endswith("\nthe whole input")
    plt.close("all")


def test_expand_view_draws_a_zero_widening_as_the_narrow_network():
    from nnlab.p3_expansion import experiments as expansion
    from nnlab.p3_expansion import figures as expand

    fig = expand.widen_figure(strategy="zero", layer=0, added=24)
    loss_ax, norm_ax = fig.axes
    drawn = {line.get_label(): line.get_ydata() for line in loss_ax.get_lines()}
    expanded = next(y for label, y in drawn.items() if label.endswith("expanded"))
    # The curve drawn is the run's own loss, bit for bit (no recomputation).
    grown = expansion.grow("widen", "zero", 0, 24)
    np.testing.assert_array_equal(expanded, grown.history.loss)
    # Every new parameter has a zero gradient (chain rule: zero outgoing
    # weights stop the gradient, zero incoming ones silence the unit), so
    # the widened network trains as the narrow one continued: in exact
    # arithmetic identically; computed, to rounding, since the wider product
    # sums in another order (expansion.CURVE_ULPS says why 16 ulps).
    assert (
        expansion.ulps_apart(expanded, expansion.narrow_continued().loss)
        <= expansion.CURVE_ULPS
    )
    for line in norm_ax.get_lines():
        assert np.all(line.get_ydata() == 0), line.get_label()
    plt.close(fig)


def test_seqnorm_leakage_figure_draws_every_seed_against_the_bound():
    from nnlab.p4_seqnorm import figures as seqnorm
    from nnlab.p4_seqnorm.nextstep import leak_study

    study = leak_study()
    S = study.full.test_loss.size
    fig = seqnorm.leakage_figure()
    curves, bars = fig.axes
    # 3 normalizations x (training set, held out, step by step): 9 bars,
    # each with one dot a seed
    heights = [p.get_height() for p in bars.patches]
    assert len(heights) == 9
    dots = [line for line in bars.get_lines() if line.get_marker() == "."]
    assert len(dots) == 9 and all(len(d.get_xdata()) == S for d in dots)
    # bars in order kind by kind, normalizations within: full's training and
    # held-out bars below the bound (0), its step-by-step bar above
    full_train, full_held, full_stream = heights[0], heights[3], heights[6]
    assert full_train < 0 and full_held < 0 and full_stream > 0
    np.testing.assert_allclose(
        full_stream, np.mean(study.full.stream_loss - study.full.bound), rtol=1e-12
    )
    plt.close(fig)


def test_expand_view_titles_say_kept_rather_than_print_rounding_digits():
    from nnlab.p3_expansion import experiments as expansion
    from nnlab.p3_expansion import figures as expand

    # net2net keeps the function only to rounding (its shares 1/c round):
    # the title says so instead of printing ~1e-15, whose digits vary by CPU
    title = (
        expand.widen_figure(strategy="net2net", layer=0, added=24).axes[0].get_title()
    )
    assert title.startswith("net2net: function kept\n")
    g = expansion.grow("widen", "kaiming", 0, 24)
    title = (
        expand.widen_figure(strategy="kaiming", layer=0, added=24).axes[0].get_title()
    )
    assert title.startswith(f"Kaiming: output change {g.output_change:.2f}\n")
    plt.close("all")


def test_activations_view_gradients_at_init_stop_where_the_mechanisms_say():
    from nnlab.p2_activations import figures as activations

    # sign: derivative 0 everywhere, so only the output layer gets a gradient;
    # ReLU(x - 10): every unit outputs 0, so the output layer's input is 0
    # and its dW = h^T dscores is exactly 0 as well
    sign = activations.init_grad_norms("sign", 3)
    assert sign.shape == (4,) and np.all(sign[:-1] == 0) and sign[-1] > 0
    assert np.all(activations.init_grad_norms("shifted_relu", 3) == 0)
    assert np.all(activations.init_grad_norms("relu", 3) > 0)


def test_activations_view_marks_the_settings_not_trained_deep():
    from nnlab.p2_activations import figures as activations
    from nnlab.p2_activations import study as activation_study

    fig = activations.boundaries_figure()
    blank = [ax for ax in fig.axes if not ax.axison]
    # by hand: six activations, three of them trained at depth 5 only
    assert (
        len(blank)
        == 3
        == len(activation_study.NAMES) - len(activation_study.LEARNERS_TRAINED_DEEP)
    )
    assert {t.get_text().split(":")[0] for ax in blank for t in ax.texts} == {
        "x / sqrt(2)",
        "ReLU(x - 10)",
        "sign",
    }
    plt.close(fig)


def test_figure_png_writes_the_pixels_and_chunks_savefig_writes():
    import io

    from PIL import Image

    fig, ax = plt.subplots(figsize=(3, 2), dpi=80)
    ax.semilogy([1, 2, 3], [1, 10, 100], "o-", label="line")
    ax.legend()
    saved = io.BytesIO()
    fig.savefig(saved, format="png")
    ours = Image.open(io.BytesIO(figure_png(fig)))
    theirs = Image.open(io.BytesIO(saved.getvalue()))
    assert (ours.mode, ours.size, ours.info) == (theirs.mode, theirs.size, theirs.info)
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


def _notebook_controls():
    """(module, callback name, {control: {keyword: literal}}) of each widget cell."""
    import ast
    import json

    notebooks = Path(nnlab.views.__file__).parents[3] / "notebooks"
    for path in sorted(notebooks.glob("0[0-9]_*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] != "code" or "interactive(" not in source:
                continue
            for node in ast.walk(ast.parse(source)):
                if not (
                    isinstance(node, ast.Call)
                    and ast.unparse(node.func) == "interactive"
                ):
                    continue
                controls = {}
                for kw in node.keywords:
                    literals = {}
                    for arg in kw.value.keywords:
                        try:
                            literals[arg.arg] = ast.literal_eval(arg.value)
                        except ValueError:
                            pass  # an expression of the notebook's names
                    controls[kw.arg] = literals
                yield path.name, node.args[0].attr, controls


def test_widget_ranges_are_the_notebooks_controls():
    swept = 0
    for short, dotted in nnlab.views.WIDGET_MODULES.items():
        module = importlib.import_module(dotted)
        ranges = getattr(module, "WIDGET_RANGES", None)
        if ranges is None:
            continue  # the benchmark times this module at its defaults only
        assert set(ranges) == set(module.WIDGETS), short
        for name, (_, defaults) in module.WIDGETS.items():
            assert set(ranges[name]) == set(defaults), (short, name)
            for arg, values in ranges[name].items():
                assert defaults[arg] in values, (short, name, arg, defaults[arg])
        callbacks = {
            fn.__name__: ranges[key] for key, (fn, _) in module.WIDGETS.items()
        }
        for notebook, fn_name, controls in _notebook_controls():
            if fn_name not in callbacks:
                continue
            swept += 1
            values = callbacks[fn_name]
            assert set(controls) == set(values), (notebook, fn_name)
            for arg, literals in controls.items():
                if "min" in literals:
                    assert values[arg][0] == literals["min"], (notebook, arg)
                    step = literals.get("step", 1)
                    assert np.allclose(np.diff(values[arg]), step), (notebook, arg)
                if "max" in literals:
                    assert values[arg][-1] == literals["max"], (notebook, arg)
                if "value" in literals:
                    assert literals["value"] in values[arg], (notebook, arg)
    assert swept >= 8


def test_live_figure_builds_once_and_refuses_pyplot_figures():
    from matplotlib.figure import Figure

    from nnlab import views

    calls = []

    def build():
        calls.append(1)
        fig = Figure(figsize=(2, 2))
        (line,) = fig.add_subplot().plot([0, 1], [0, 1])
        return fig, {"line": line}

    key = "test.live_figure"
    views._LIVE.pop(key, None)
    first = views.live_figure(key, build)
    first[1]["line"].set_ydata([1, 0])
    again = views.live_figure(key, build)
    assert again[0] is first[0] and len(calls) == 1
    png = figure_png(again[0])  # drawing it leaves pyplot with nothing to close
    assert png.startswith(b"\x89PNG") and plt.get_fignums() == []
    assert views.live_figure(key, build)[0] is first[0]  # still usable after drawing
    views._LIVE.pop(key)

    with pytest.raises(ValueError, match="made without pyplot"):
        views.live_figure("test.pyplot", lambda: (plt.figure(), None))
    plt.close("all")
    with pytest.raises(TypeError, match="key must be a str, got int"):
        views.live_figure(3, build)


def test_the_tour_widget_redraws_what_a_fresh_figure_shows():
    """The live view moved along the sweep equals a figure drawn for the last h."""
    import io

    from PIL import Image

    def pixels(fig):
        return np.asarray(Image.open(io.BytesIO(figure_png(fig))))

    nnlab.views._LIVE.pop("tour.step_size", None)
    for h in (-1.0, -13.0, -6.0):
        fig = tour.step_size_view(log10_h=h)
    redrawn = pixels(fig)
    nnlab.views._LIVE.pop("tour.step_size")
    assert np.array_equal(redrawn, pixels(tour.step_size_view(log10_h=-6.0)))
    # it marks the swept step nearest the chosen h: -7.2 lies between -7 and -7.5
    fig = tour.step_size_view(log10_h=-7.2)
    err = dict(tour.step_sweep())[-7.0]
    dot = fig.axes[0].lines[1]
    assert (dot.get_xdata()[0], dot.get_ydata()[0]) == (1e-7, err)
    assert fig.axes[0].get_title().endswith(f"error {err:.0e} at h = 1e-7")
    assert fig.axes[0].get_legend().get_texts()[0].get_text() == "h = 1e-7"
