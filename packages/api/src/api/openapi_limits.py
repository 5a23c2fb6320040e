"""Write the limits that come from settings into the OpenAPI document.

Models can only state fixed bounds; the longest ``?wait``, the longest start delay and the
largest batch are settings (``API_*``), checked by the routes. Stating them in the document keeps
it exactly as strict as the server, so a client (or a schema-based fuzzer) that follows the
document is never refused for a rule the document did not show.
"""

from __future__ import annotations

from typing import Any

from api.settings import ApiSettings

__all__ = ["state_setting_limits"]

_BATCH = ("/orders/batch", "post")


def state_setting_limits(schema: dict[str, Any], settings: ApiSettings) -> None:
    """Add the settings' maximums to ``schema`` (the generated OpenAPI document) in place."""
    maximums: dict[str, float] = {
        "wait": settings.max_wait_seconds,
        "delay_seconds": settings.max_start_delay_seconds,
        "delay_minutes": settings.max_start_delay_seconds // 60,
    }
    for operations in schema["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                maximum = maximums.get(parameter["name"])
                if parameter["in"] == "query" and maximum is not None:
                    _numeric(parameter["schema"])["maximum"] = maximum
    path, method = _BATCH
    body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    body["maxItems"] = settings.max_batch_size
    # Two equal orders always share an order id, which the batch refuses.
    body["uniqueItems"] = True


def _numeric(parameter_schema: dict[str, Any]) -> dict[str, Any]:
    # An optional number is documented as anyOf [number, null]; the bound goes on the number.
    for option in parameter_schema.get("anyOf", [parameter_schema]):
        if option.get("type") in {"number", "integer"}:
            return option
    raise ValueError(f"no numeric schema in {parameter_schema}")
