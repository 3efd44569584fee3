"""The console's SVG charts: labelled for screen readers, values in the data, text escaped."""

from __future__ import annotations

from xml.etree import ElementTree

from adapters.review_web.charts import bars, line, stacked_bars

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ElementTree.Element:
    return ElementTree.fromstring(markup)


def test_stacked_bars_are_well_formed_labelled_and_carry_their_values() -> None:
    chart = stacked_bars("k", "Flags <per> week", ["2026-W01", "2026-W02"], {"a&b": [1, 0], "c": [2, 3]})
    root = parse(chart.svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "k-title k-desc"
    assert root.find(f"{SVG}title").text == "Flags <per> week"  # type: ignore[union-attr]
    values = [
        (r.get("data-series"), r.get("data-label"), r.get("data-value"))
        for r in root.iter(f"{SVG}rect")
        if r.get("data-value")
    ]
    assert values == [("a&b", "2026-W01", "1"), ("c", "2026-W01", "2"), ("c", "2026-W02", "3")]
    assert chart.rows == (("2026-W01", "1", "2", "3"), ("2026-W02", "0", "3", "3"))
    assert "6 in all" in chart.summary


def test_bars_and_lines_handle_no_data_and_gaps() -> None:
    empty = bars("e", "Topics", [])
    assert "No data yet" in empty.svg and empty.rows == ()
    parse(empty.svg)
    rate = line("r", "Rate", ["W1", "W2", "W3"], [0.5, None, 1.0], percent=True)
    root = parse(rate.svg)
    assert [c.get("data-value") for c in root.iter(f"{SVG}circle")] == ["0.5", "1"]
    assert rate.rows == (("W1", "50%"), ("W2", "-"), ("W3", "100%"))
    assert not list(root.iter(f"{SVG}polyline"))  # a gap breaks the line: no two neighbours
    parse(bars("p", "Outcomes", [("Open", 2.0), ("<b>", 0.0)]).svg)
