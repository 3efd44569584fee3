"""Import official guidance text and a trust's local policies into the corpus.

The pipeline, one module per step: a reader (:mod:`.html_reader`, :mod:`.pdf_reader`,
:mod:`.text_reader`, chosen by :func:`.readers.read_source`) turns a file into
:class:`.source.SourceLine` s; :func:`.splitter.split_paragraphs` finds the numbered
paragraphs, sub-items and headings; :mod:`.preview` describes what was found;
:mod:`.placement` decides where the document goes and refuses clashes; :mod:`.writer`
writes it in the corpus format with ``source: official``. :mod:`.diff` compares two
versions of a document. The user's guide is docs/corpus.md.
"""

from bot.importing.source import ImportFailed, LineKind, SourceLine, SourceText

__all__ = ["ImportFailed", "LineKind", "SourceLine", "SourceText"]
