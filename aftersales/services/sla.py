"""SLA clocks of tickets (STUB: the real engine replaces this module).

Interface used by aftersales.services.tickets; every function takes a
ticket row already locked by the caller, sets its SLA fields and saves them
with update_fields:
  sla_start(ticket=, now=)          the policy that applies; due and warn times
  sla_pause(ticket=, now=)          entering waiting_customer
  sla_resume(ticket=, now=)         leaving waiting_customer
  sla_recompute(ticket=, now=)      after a priority change
  sla_first_response(ticket=, now=) the first customer-visible reply
  sla_stop(ticket=, now=)           resolved: resolution met or not
"""


def sla_start(*, ticket, now) -> None:
    return None


def sla_pause(*, ticket, now) -> None:
    return None


def sla_resume(*, ticket, now) -> None:
    return None


def sla_recompute(*, ticket, now) -> None:
    return None


def sla_first_response(*, ticket, now) -> None:
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
        ticket.save(update_fields=["first_responded_at", "updated_at"])


def sla_stop(*, ticket, now) -> None:
    return None
