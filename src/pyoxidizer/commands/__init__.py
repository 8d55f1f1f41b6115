"""Commands that are not pipeline stages: init, add, analyze and the installers."""
