"""Turn the guide's plain search-attribute dict into the SDK's typed form.

The guide writes ``{"CustomKeywordField": [email], "CustomIntField": [int(amount)]}`` (the SDK's
deprecated untyped form, where every value is a list). The type of each key is inferred from its
value: ``str`` -> Keyword, ``int`` -> Int, ``float`` -> Double, ``bool`` -> Bool,
``datetime`` -> Datetime, and a list of several strings -> KeywordList.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeAlias, cast

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

__all__ = ["SearchAttributesInput", "to_typed_search_attributes"]

SearchAttributesInput: TypeAlias = TypedSearchAttributes | Mapping[str, Any]


def _pair(name: str, value: Any) -> SearchAttributePair[Any]:
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items: list[Any] = list(cast(Sequence[Any], value))
        if len(items) == 1:
            return _pair(name, items[0])
        if items and all(isinstance(item, str) for item in items):
            return SearchAttributePair(SearchAttributeKey.for_keyword_list(name), items)
        raise TypeError(
            f"search attribute {name!r}: a list value must hold one item or only strings"
        )
    # bool before int: bool is a subclass of int.
    if isinstance(value, bool):
        return SearchAttributePair(SearchAttributeKey.for_bool(name), value)
    if isinstance(value, int):
        return SearchAttributePair(SearchAttributeKey.for_int(name), value)
    if isinstance(value, float):
        return SearchAttributePair(SearchAttributeKey.for_float(name), value)
    if isinstance(value, datetime):
        return SearchAttributePair(SearchAttributeKey.for_datetime(name), value)
    if isinstance(value, str):
        return SearchAttributePair(SearchAttributeKey.for_keyword(name), value)
    raise TypeError(
        f"search attribute {name!r}: unsupported value type {type(value).__name__}; "
        "use str, int, float, bool, datetime or a list of str"
    )


def to_typed_search_attributes(attributes: SearchAttributesInput) -> TypedSearchAttributes:
    """Return ``attributes`` as ``TypedSearchAttributes`` (typed input passes through)."""
    if isinstance(attributes, TypedSearchAttributes):
        return attributes
    return TypedSearchAttributes([_pair(name, value) for name, value in attributes.items()])
