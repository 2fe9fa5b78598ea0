"""Customer feedback (STUB: replaced by the feedback module).

  feedback_request(ticket=) -> Feedback   once per ticket, when it is resolved
"""


def feedback_request(*, ticket):
    return None
