"""Compiling module sources to bytecode with the target interpreter."""
