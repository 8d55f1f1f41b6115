"""Collecting resources: packaging rules turn the distribution and the project into
resources, in file order, and every decision is recorded."""
