"""The workshop floor: resources (staff, bays, lifts), their working time, later the planner and
time stamping (issue 13)."""
from services import DomainError


class WorkshopError(DomainError):
    """A workshop rule refused an action: a bad PIN, a staff number taken, a resource in use."""
