"""The embedded payload: its format, a writer and a reader."""
