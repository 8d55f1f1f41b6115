"""Assembling the app: payload entries and app-relative files, then the app directory."""
