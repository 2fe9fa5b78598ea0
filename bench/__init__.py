"""Benchmarks (`make bench`): measured side by side with baselines in the
same run, against a real PostgreSQL and Redis, with gunicorn serving the app.
Results go to bench/results/ (git-ignored) as JSON, and a Markdown table is
printed at the end."""
