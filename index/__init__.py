"""Embedding and vector search: embedders, FAISS index and its on-disk folder."""
