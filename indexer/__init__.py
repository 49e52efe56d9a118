"""The ingest pipeline: read -> normalise -> validate -> geocode -> store -> index.

Importable without Flask: every stage is a plain function or generator over dicts, so it can be
tested and reused on its own. `indexer.pipeline.run_ingest` ties the stages together.
"""
