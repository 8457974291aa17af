"""Quick order's parsing of typed rows and pasted ``sku,qty`` lines (no store needed)."""

from __future__ import annotations

from simulator.store.quick_order import MAX_LINES, Entry, Problem, parse_lines, parse_row


def test_pasted_lines_with_any_separator_heading_and_blank_lines() -> None:
    text = "sku,qty\n1000336,12\n\n1000072; 20\n1000559\t13\n1000199 4\n1000366,2,box\r\n"
    entries, problems = parse_lines(text)
    assert problems == []
    assert entries == [
        Entry("line 2", "1000336", 12.0),
        Entry("line 4", "1000072", 20.0),
        Entry("line 5", "1000559", 13.0),
        Entry("line 6", "1000199", 4.0),
        Entry("line 7", "1000366", 2.0, "BOX"),
    ]


def test_bad_lines_are_problems_with_their_line_number() -> None:
    text = "1000336,12\n1000072,many\n1000559,-3\n1000199,1e999\njust-a-sku\na,1,b,c\n,5\nX,0"
    entries, problems = parse_lines(text)
    assert entries == [Entry("line 1", "1000336", 12.0)]
    assert [p.where for p in problems] == [f"line {n}" for n in range(2, 9)]
    assert "quantity must be a number above 0" in problems[0].message
    assert problems[0].text == "1000072,many"
    assert "sku,qty" in problems[3].message
    assert problems[5].message == "the item number is missing"


def test_a_paste_reads_at_most_max_lines() -> None:
    entries, problems = parse_lines("\n".join(f"I{n},1" for n in range(MAX_LINES + 5)))
    assert len(entries) == MAX_LINES
    assert problems == [Problem(f"line {MAX_LINES + 1}", "", problems[0].message)]
    assert "at most" in problems[0].message


def test_form_rows() -> None:
    assert parse_row("row 1", " ", "") is None
    assert parse_row("row 1", "1000336 ", " 2.5") == Entry("row 1", "1000336", 2.5)
    missing = parse_row("row 2", "", "3")
    assert isinstance(missing, Problem)
    assert missing.message == "the item number is missing"
    long = parse_row("row 3", "x" * 51, "1")
    assert isinstance(long, Problem)
    assert "too long" in long.message
    assert len(long.text) <= 60
    bad_unit = parse_row("row 4", "1000336", "1", "<b>")
    assert isinstance(bad_unit, Problem)
    assert "unit" in bad_unit.message
