"""The guidance corpus shipped as package data (see README.md in this folder)."""

from pathlib import Path

CORPUS_ROOT = Path(__file__).resolve().parent
DOCUMENTS_DIR = CORPUS_ROOT / "documents"
SCREENING_DIR = CORPUS_ROOT / "screening"
