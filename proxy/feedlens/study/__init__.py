"""The study server (docs/study-server.md): studies, enrolment by single-use invitation codes,
signed uploads of research records into PostgreSQL, withdrawal with receipts, retention,
the researcher's view and Parquet export. Run with `feedlens study serve`."""
