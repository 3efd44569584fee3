"""Readers and the paragraph splitter on fixtures written for the tests (HTML, text,
Markdown) and PDFs made during the run."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.importing.readers import read_source
from bot.importing.source import ImportFailed
from bot.importing.splitter import Split, split_paragraphs
from tests.unit.pdf_fixture import PdfLine, make_pdf, make_scanned_pdf

DATA = Path(__file__).resolve().parent.parent / "data" / "import"


def split_file(path: Path) -> Split:
    return split_paragraphs(read_source(path))


def texts(split: Split) -> dict[str, str]:
    return {p.number: p.text for p in split.paragraphs}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_text_file_numbers_sub_items_headings_gap_and_footnotes() -> None:
    split = split_file(DATA / "numbered.txt")
    by_number = texts(split)
    assert list(by_number) == ["1", "2", "3", "4", "4a", "4b", "4c", "6", "7"]
    assert split.gaps == ["5 missing (before paragraph 6, line 28)"]
    assert split.problems == [] and split.duplicates == []
    assert split.headings == ["About this guidance", "Keeping information private", "Working with colleagues"]
    heading = {p.number: p.heading for p in split.paragraphs}
    assert heading["4c"] == "Keeping information private" and heading["7"] == "Working with colleagues"
    # wrapped lines are joined; the inline footnote marker and the footnote itself are gone
    assert by_number["2"] == "It applies at work and at home, whether or not your profile names the trust."
    assert not any("acceptable use policy" in t for t in by_number.values())
    assert split.footnotes == 1
    # a sub-item reads on its own (lead-in repeated); the paragraph keeps every item
    assert by_number["4c"] == (
        "Before you share a picture taken at work, check that: (c) it does not show the "
        "layout of secure areas such as the pharmacy store."
    )
    assert "(a) no patient" in by_number["4"] and "(c) it does not show" in by_number["4"]
    # the title and preamble are not paragraphs; they are reported as skipped
    assert split.skipped_text == [("line 1", 2)]
    assert {p.where for p in split.paragraphs if p.number == "6"} == {"line 28"}


def test_markdown_headings_numbered_list_letters_and_footnote_definition() -> None:
    split = split_file(DATA / "notes.md")
    by_number = texts(split)
    assert list(by_number) == ["1", "2", "2a", "2b", "3"]
    assert split.source.title == "Example trust note on messaging groups"
    assert (
        by_number["1"]
        == "Each clinical messaging group needs a named owner who removes people when they leave the team."
    )
    assert "[^1]" not in by_number["2"] and "digital team" not in " ".join(by_number.values())
    assert by_number["2b"].endswith("(b) that they need the information shared in the group.")
    assert [p.heading for p in split.paragraphs if p.number in ("1", "3")] == ["Setting up a group", "Closing a group"]


def test_html_page_keeps_main_content_only() -> None:
    split = split_file(DATA / "guidance.html")
    by_number = texts(split)
    assert list(by_number) == ["1", "2", "3", "4", "4a", "4b", "4c", "5"]
    assert split.source.title == "Online conduct for clinical staff"
    assert split.headings == ["Why this matters", "Protecting patients\u2019 information", "Speaking in public"]
    everything = " ".join(by_number.values())
    for outside in ("cookies", "Home", "About us", "Example Street", "code of conduct", "analytics"):
        assert outside not in everything
    # the <sup> footnote marker is dropped, the number in its own <span> is separated from the text
    assert by_number["2"] == "The same standards of honesty and respect apply online as on the ward."
    assert by_number["4b"] == (
        "When you use a messaging app for clinical work, you should: (b) turn off message "
        "previews on the lock screen; and"
    )
    assert split.paragraphs[0].where == "line 18"


def test_html_ordered_lists_honour_start_and_nesting() -> None:
    by_number = texts(split_file(DATA / "ordered-list.html"))
    assert list(by_number) == ["10", "11", "11a", "11b", "12"]
    # a bullet list inside a numbered item is part of its text, not sub-items
    assert (
        by_number["10"]
        == "Every clinical messaging group has a named owner, who may be: a consultant; or a senior nurse."
    )
    assert by_number["11a"] == "The owner must: (a) remove people the day they leave the team;"


def test_html_without_numbering_is_refused_with_the_place() -> None:
    with pytest.raises(
        ImportFailed, match=r"no numbered paragraphs found in this HTML file; the text starts at line 4"
    ):
        split_file(DATA / "no-numbers.html")


def _two_page_pdf(path: Path) -> Path:
    header = PdfLine("Example Hospitals Trust - online conduct (test fixture)", 815, size=8)

    def page_number(n: int) -> PdfLine:
        return PdfLine(str(n), 30, x=290, size=8)

    page1 = [
        header,
        PdfLine("Online conduct for clinical staff", 760, size=16, bold=True),
        PdfLine("Written for the gmcbot tests; not a real publication.", 735),
        PdfLine("Why this matters", 705, size=13, bold=True),
        PdfLine("1", 680),
        PdfLine("Patients and the public read what staff write online, and they", 680, x=90),
        PdfLine("judge the whole hospital by it.", 665, x=90),
        PdfLine("2", 645),
        PdfLine("The same standards of honesty and respect apply online as on the ward.", 645, x=90),
        PdfLine("1", 649, x=470, size=6),  # a superscript footnote marker
        PdfLine("1 See the trust's code of conduct, section 2.", 60, size=8),  # the footnote
        page_number(1),
    ]
    page2 = [
        header,
        PdfLine("3", 760),
        PdfLine("When you use a messaging app for clinical work, you should:", 760, x=90),
        PdfLine("a", 745, x=90),
        PdfLine("use only an app the trust has approved;", 745, x=105),
        PdfLine("b", 730, x=90),
        PdfLine("turn off message previews on the lock screen; and", 730, x=105),
        PdfLine("c", 715, x=90),
        PdfLine("move anything needed for care into the clinical record.", 715, x=105),
        PdfLine("Speaking in public", 690, size=13, bold=True),
        PdfLine("5", 665),
        PdfLine("Refer journalists to the communications team. A profes-", 665, x=90),
        PdfLine("sional reply can wait.", 650, x=90),
        PdfLine("n", 635, x=90, dingbats=True),
        PdfLine("Be polite.", 635, x=105),  # a bullet
        page_number(2),
    ]
    return make_pdf(path, [page1, page2], title="Online conduct")


def test_pdf_drops_furniture_and_footnotes_and_finds_structure(tmp_path: Path) -> None:
    split = split_file(_two_page_pdf(tmp_path / "guidance.pdf"))
    by_number = texts(split)
    assert list(by_number) == ["1", "2", "3", "3a", "3b", "3c", "5"]
    assert split.source.fmt == "PDF" and split.source.pages == 2 and split.source.title == "Online conduct"
    assert by_number["2"] == "The same standards of honesty and respect apply online as on the ward."
    assert by_number["5"] == "Refer journalists to the communications team. A professional reply can wait. Be polite."
    assert by_number["3b"].endswith("(b) turn off message previews on the lock screen; and")
    assert [p.heading for p in split.paragraphs if p.number in ("1", "5")] == ["Why this matters", "Speaking in public"]
    everything = " ".join(by_number.values())
    assert "Example Hospitals Trust - online" not in everything and "code of conduct" not in everything
    assert split.source.skipped["page headers, footers and numbers"] == 4
    assert split.source.skipped["footnote line(s) in small print"] == 1
    assert split.gaps == ["4 missing (before paragraph 5, page 2, line 7)"]
    assert split.paragraphs[2].where == "page 2, line 2"


def test_scanned_pdf_without_text_layer_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match=r"no text layer \(a scanned document\?\); run it through OCR"):
        read_source(make_scanned_pdf(tmp_path / "scan.pdf"))


def test_broken_pdf_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    with pytest.raises(ImportFailed, match="broken.pdf"):
        split_file(path)


@pytest.mark.parametrize("content", [b"", b"  \n\n\t\n"])
def test_empty_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(ImportFailed, match="the file is empty"):
        read_source(path)


def test_text_that_is_not_utf8_names_the_byte_and_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes(b"1 First paragraph.\n2 Caf\xe9 staff must be kind.\n")
    with pytest.raises(ImportFailed, match=r"not UTF-8 text \(byte offset 24, line 2\)"):
        read_source(path)


def test_duplicates_and_numbers_going_down_are_problems_with_places(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "dup.txt",
        "1 First rule.\n\n2 Second rule.\n\n2 Second rule again.\n\n3 Third.\n\n1 The numbering restarts here.\n",
    )
    split = split_file(path)
    assert split.duplicates == [
        "line 5: paragraph 2 appears twice (first at line 3)",
        "line 9: paragraph 1 appears twice (first at line 1)",
    ]


def test_a_wrapped_line_starting_with_a_number_is_not_a_paragraph(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "wrap.txt",
        "1 Keep records of any concern for at least\n"
        "18 Months after it is closed, or longer if asked.\n"
        "2 The policy took effect on\n1 January 2024 for all staff.\n",
    )
    split = split_file(path)
    assert list(texts(split)) == ["1", "2"]
    assert split.problems == [] and "18 Months after" in texts(split)["1"]
    assert texts(split)["2"] == "The policy took effect on 1 January 2024 for all staff."


def test_bare_letters_are_sub_items_only_as_a_list(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bare.txt",
        "1 Tell the person in charge:\na patient's relative has posted about the ward.\n"
        "2 You must:\na\nlock your screen;\nb\nlog out when you leave.\n",
    )
    by_number = texts(split_file(path))
    assert list(by_number) == ["1", "2", "2a", "2b"]
    assert by_number["1"] == "Tell the person in charge: a patient's relative has posted about the ward."
    assert by_number["2b"] == "You must: (b) log out when you leave."


def test_quoted_paragraphs_of_another_document_stay_in_the_text(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "quote.txt",
        "1 Our code of conduct says:\n36 Treat colleagues fairly.\n"
        "65 Keep the public's trust in you.\n2 This guidance shows how.\n"
        "4 A real gap follows.\n5 And the numbering goes on.\n",
    )
    split = split_file(path)
    assert texts(split) == {
        "1": "Our code of conduct says: 36 Treat colleagues fairly. 65 Keep the public's trust in you.",
        "2": "This guidance shows how.",
        "4": "A real gap follows.",
        "5": "And the numbering goes on.",
    }
    assert split.gaps == ["3 missing (before paragraph 4, line 5)"] and split.problems == []


def test_an_excerpt_may_start_at_any_number(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "excerpt.txt",
        "Raising concerns\n\n65 Speak up when something is unsafe.\n\n66 Keep a note of what you reported.\n",
    )
    assert list(texts(split_file(path))) == ["65", "66"]


def test_number_alone_on_its_line_takes_the_next_line_as_text(tmp_path: Path) -> None:
    path = write(tmp_path, "alone.txt", "Scope\n\n1\n\nBe honest\n\n2\n\nBe kind to colleagues.\n")
    split = split_file(path)
    assert texts(split) == {"1": "Be honest", "2": "Be kind to colleagues."}
    assert split.headings == ["Scope"]


def test_paragraph_without_text_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "bare.txt", "1 Something to say.\n2\n")
    assert split_file(path).problems == ["line 2: paragraph 2 has no text"]


WORDS = st.sampled_from(
    "patients staff online post share trust record ward team message colleague private "
    "public photo consent policy always never should must".split()
)
SENTENCE = st.lists(WORDS, min_size=3, max_size=14).map(lambda ws: " ".join(ws).capitalize() + ".")


@settings(max_examples=60, deadline=None)
@given(
    paras=st.lists(st.lists(SENTENCE, min_size=1, max_size=3).map(" ".join), min_size=1, max_size=8),
    width=st.integers(min_value=25, max_value=90),
    start=st.integers(min_value=1, max_value=40),
    blank=st.booleans(),
)
def test_any_wrapped_numbered_text_splits_back_exactly(
    tmp_path_factory: pytest.TempPathFactory, paras: list[str], width: int, start: int, blank: bool
) -> None:
    """Numbered paragraphs wrapped at any width, with or without blank lines between
    them, come back with their numbers and exact text."""
    import textwrap

    sep = "\n\n" if blank else "\n"
    body = sep.join(textwrap.fill(f"{start + i} {text}", width) for i, text in enumerate(paras))
    path = tmp_path_factory.mktemp("prop") / "p.txt"
    path.write_text(body + "\n", encoding="utf-8")
    split = split_file(path)
    assert texts(split) == {str(start + i): text for i, text in enumerate(paras)}
    assert split.problems == [] and split.gaps == []


HEADING = st.lists(WORDS, min_size=1, max_size=4).map(lambda ws: " ".join(ws).capitalize())
ITEM = st.lists(WORDS, min_size=2, max_size=10).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(
    doc=st.lists(st.tuples(st.none() | HEADING, SENTENCE, st.lists(ITEM, max_size=4)), min_size=1, max_size=6),
    width=st.integers(min_value=30, max_value=90),
    blank=st.booleans(),
    bracketed=st.booleans(),
)
def test_headings_and_sub_items_come_back(
    tmp_path_factory: pytest.TempPathFactory,
    doc: list[tuple[str | None, str, list[str]]],
    width: int,
    blank: bool,
    bracketed: bool,
) -> None:
    """Headings and lettered sub-items, in either marker style, survive any wrapping."""
    import textwrap

    blocks: list[str] = []
    expected_heading: dict[str, str] = {}
    expected_item: dict[str, str] = {}
    heading = ""
    for i, (head, lead, items) in enumerate(doc, start=1):
        if head:
            heading = head
            blocks.append(head)
        lead_text = lead[:-1] + ":" if items else lead
        blocks.append(textwrap.fill(f"{i} {lead_text}", width))
        expected_heading[str(i)] = heading
        for k, item in enumerate(items):
            letter = "abcdefgh"[k]
            end = "." if k == len(items) - 1 else ";"
            marker = f"({letter})" if bracketed else f"{letter}."
            blocks.append(textwrap.fill(f"{marker} {item}{end}", width))
            expected_item[f"{i}{letter}"] = f"{lead_text} ({letter}) {item}{end}"
    path = tmp_path_factory.mktemp("prop") / "h.txt"
    path.write_text(("\n\n" if blank else "\n").join(blocks) + "\n", encoding="utf-8")
    split = split_file(path)
    found = {p.number: p for p in split.paragraphs}
    assert {n: found[n].heading for n in expected_heading if n in found} == expected_heading
    assert {n: found[n].text for n in expected_item if n in found} == expected_item
    assert set(found) == set(expected_heading) | set(expected_item)
