"""Local peers for every protocol, composed from wirekit's own servers, and the tour.

Public names: :class:`Lab` (async), :class:`LabThread` (runs a lab on a background loop, for
sync code and pytest), :class:`LabService` (what each protocol implements), :data:`SERVICES`.
"""

from .core import Lab, LabThread
from .registry import SERVICES, service_class
from .service import LabContext, LabService, ServiceInfo, Tour, TourRow

__all__ = [
    "SERVICES",
    "Lab",
    "LabContext",
    "LabService",
    "LabThread",
    "ServiceInfo",
    "Tour",
    "TourRow",
    "service_class",
]
