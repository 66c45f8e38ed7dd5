"""Request body parsers of the API."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

#: No request of this API nests deeper than a few levels; anything deeper is refused before it reaches a serializer.
MAX_JSON_DEPTH = 32


def _depth_exceeds(value, limit: int) -> bool:
    """True when `value` nests lists/objects more than `limit` levels deep (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing documents nested deeper than `MAX_JSON_DEPTH` with a 400 instead of a crash.

    Python's decoder raises `RecursionError` on very deep input (about 1,000
    levels); DRF only turns `ValueError` into a parse error, so that became a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        too_deep = ParseError(f"JSON aninhado demais: no máximo {MAX_JSON_DEPTH} níveis de listas e objetos.")
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep from None
        if _depth_exceeds(data, MAX_JSON_DEPTH):
            raise too_deep
        return data
