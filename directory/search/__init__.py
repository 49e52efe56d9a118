"""The search layer: `service.search` is the one implementation behind the API and the pages."""
