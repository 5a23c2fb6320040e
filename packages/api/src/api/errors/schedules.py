"""Problems only the schedule routes answer with."""

from __future__ import annotations

from api.problems import ApiProblem

__all__ = ["ScheduleAlreadyExists", "ScheduleNotFound"]


class ScheduleNotFound(ApiProblem):
    """No schedule of this kind has this id (404)."""

    status = 404
    kind = "schedule-not-found"
    title = "Schedule not found"


class ScheduleAlreadyExists(ApiProblem):
    """A schedule with this id exists; ids are business keys, so pick another or delete it (409)."""

    status = 409
    kind = "schedule-already-exists"
    title = "Schedule already exists"
