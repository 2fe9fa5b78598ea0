"""A merge rescores the kept customer once committed (when the scoring offers it)."""

import pytest

from crm.models import CustomerScore
from crm.services.merge import customer_merge, customer_merge_undo
from tests.orders.conftest import place, stock, world  # noqa: F401  (shared fixtures)

pytestmark = pytest.mark.django_db


def test_merge_and_undo_rescore_the_customers(place, django_capture_on_commit_callbacks):  # noqa: F811
    scoring = pytest.importorskip("crm.services.scoring")
    if not hasattr(scoring, "customer_score_refresh"):
        pytest.skip("no customer_score_refresh")
    survivor = place(("tea", 1), phone="13800000001").customer
    merged = place(("tea", 2), phone="13700000002").customer
    scoring.customers_score()
    assert CustomerScore.objects.get(customer=merged).orders_count == 1
    with django_capture_on_commit_callbacks(execute=True):
        merge = customer_merge(survivor=survivor, merged=merged)
    assert not CustomerScore.objects.filter(customer=merged).exists()
    assert CustomerScore.objects.get(customer=survivor).orders_count == 2
    with django_capture_on_commit_callbacks(execute=True):
        customer_merge_undo(merge=merge)
    assert CustomerScore.objects.get(customer=survivor).orders_count == 1
    assert CustomerScore.objects.get(customer=merged).orders_count == 1
