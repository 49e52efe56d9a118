"""The search layer: one entry point, `run_search`, behind the JSON API, the pages, the partner
widget and oEmbed.

    params.py        the request: one marshmallow schema (`load_args`)
    place.py         the place typed, and the radius
    filters.py       filter objects that select documents and describe themselves
    query.py         free text as concepts: taxonomy terms, synonyms, typos, words
    evaluate.py      a search on one index snapshot, and the requested page in order
    facets.py        counts per value over the whole result set
    suggestions.py   what would help when nothing matched
    results.py       the public JSON shapes of results and profiles, with `match`
    response.py      `run_search`: all of the above, as one response body

The index itself is `indexer.index`; nothing here imports Whoosh.
"""

from .params import SEARCH_ARGS, load_args, query_values
from .response import Found, find_page, run_search

__all__ = ["SEARCH_ARGS", "Found", "find_page", "load_args", "query_values", "run_search"]
