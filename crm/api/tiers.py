"""(filled in by the CRM work)"""


def register(router) -> None:
    pass
