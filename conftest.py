"""Hypothesis profiles: ``fast`` (default, for ``make test``) and ``thorough`` (``make contract``)."""

from hypothesis import HealthCheck, settings

settings.register_profile("fast", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, stateful_step_count=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("fast")
