"""Fake social platforms on loopback, faithful to each API, for adapter and publisher tests."""
