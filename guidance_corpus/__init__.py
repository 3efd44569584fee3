"""The guidance corpus shipped as package data (see README.md in this folder)."""

from pathlib import Path

CORPUS_ROOT = Path(__file__).resolve().parent
DOCUMENTS_DIR = CORPUS_ROOT / "documents"
SCREENING_DIR = CORPUS_ROOT / "screening"
SCREENING_ENCODER_DIR = SCREENING_DIR / "encoder"
QUESTIONS_DIR = CORPUS_ROOT / "questions"
ANSWER_ENCODER_DIR = QUESTIONS_DIR / "encoder"
