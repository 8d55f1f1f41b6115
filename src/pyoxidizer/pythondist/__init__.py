"""Python distributions: host interpreters and python-build-standalone archives."""
