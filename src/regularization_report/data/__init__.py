"""Data: bundled and downloaded datasets, their checksums and fixed splits."""
