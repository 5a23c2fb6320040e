"""Health answers: the guide's shape for readiness, a constant one for liveness."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["HealthResponse", "LivenessResponse", "TemporalHealth"]


class TemporalHealth(BaseModel):
    """Whether Temporal is configured and answering."""

    enabled: bool
    healthy: bool
    url: str = Field(examples=["localhost:7233"])
    namespace: str = Field(examples=["default"])


class HealthResponse(BaseModel):
    """``healthy`` (200) when Temporal answers, else ``degraded`` (503)."""

    status: Literal["healthy", "degraded"]
    temporal: TemporalHealth


class LivenessResponse(BaseModel):
    """The process is up and serving HTTP; says nothing about Temporal."""

    status: Literal["alive"] = "alive"
