"""Text analysis for the index, fused into one tokenizer for speed.

Whoosh's `StemmingAnalyzer() | CharsetFilter(accent_map)` chains five generators and costs about
8 microseconds a token; indexing bios spends most of its time there. This tokenizer does the same
work (split, lowercase, fold accents, drop stop words and one-letter words, Porter-stem) in one
pass with a per-process cache of word -> term, and yields the same terms.

Also here: the codec that skips per-term length statistics at commit (see `LeanCodec`).
"""

from __future__ import annotations

import re
import unicodedata

from whoosh.analysis import STOP_WORDS, Token, Tokenizer
from whoosh.codec.whoosh3 import W3Codec
from whoosh.lang.porter import stem
from whoosh.support.charset import accent_map

__all__ = ["NAME_ANALYZER", "STOP_WORDS", "TEXT_ANALYZER", "FoldingTokenizer", "LeanCodec"]

_WORD = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)
_WHOLE = re.compile(r"(?s).*")
_CACHE_LIMIT = 200_000
# word -> term ("" for a dropped word), per (stem, stoplist) flavour.
_CACHES: dict[tuple[bool, int, int], dict[str, str]] = {}


def _fold(word: str) -> str:
    if word.isascii():
        return word.lower()
    # Whoosh's accent map covers letters NFKD leaves alone (đ, ø, ł); NFC first so that
    # decomposed input ("e" + combining acute) folds the same as precomposed.
    return unicodedata.normalize("NFC", word).lower().translate(accent_map)


class FoldingTokenizer(Tokenizer):
    """Words -> lowercase, accent-folded, optionally stemmed terms, stop words removed."""

    def __init__(
        self, stem: bool = True, stoplist: frozenset[str] = STOP_WORDS, minsize: int = 2
    ) -> None:
        self.stem = stem
        self.stoplist = frozenset(stoplist)
        self.minsize = minsize

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, FoldingTokenizer)
            and self.stem == other.stem
            and self.stoplist == other.stoplist
            and self.minsize == other.minsize
        )

    def __hash__(self) -> int:
        return hash((self.stem, self.minsize, len(self.stoplist)))

    def term(self, word: str) -> str:
        """The index term of one word, or "" when the word is not indexed."""
        cache = _CACHES.setdefault((self.stem, self.minsize, len(self.stoplist)), {})
        term = cache.get(word)
        if term is None:
            folded = _fold(word)
            if len(folded) < self.minsize or folded in self.stoplist:
                term = ""
            else:
                term = stem(folded) if self.stem else folded
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[word] = term
        return term

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        # Untokenized (a whole value as one term): `_WHOLE` matches any text.
        whole = [m for m in (_WHOLE.match(value),) if m is not None]
        matches = _WORD.finditer(value) if tokenize else iter(whole)
        pos = start_pos
        for match in matches:
            word = match.group()
            term = self.term(word) if tokenize else _fold(word)
            if not term:
                if removestops or not word:
                    continue
                term = _fold(word)
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = pos
                pos += 1
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token


# Stemmed and accent-folded: "Núñez" finds "nunez", "couples" finds "couple".
TEXT_ANALYZER = FoldingTokenizer(stem=True)
# Names are not stemmed ("Rivers" is not "River") and keep every word, only folded.
NAME_ANALYZER = FoldingTokenizer(stem=False, stoplist=frozenset(), minsize=1)


class LeanCodec(W3Codec):
    """Whoosh 3 codec without per-term min/max field lengths.

    Those statistics only let a top-N search skip blocks early; computing them re-reads every
    posting's document length at commit, which was 40% of commit time here. Without them the
    block-quality bound is looser (never wrong), so results are identical.
    """

    length_stats = False
