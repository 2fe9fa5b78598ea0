"""crm's Celery tasks. Each takes ids, calls a service and is safe to run twice."""

from celery import shared_task


@shared_task(name="crm.score_customers")
def score_customers() -> dict:
    """Nightly: recency, frequency, value, segment, lifetime and predicted
    value, churn risk and tier of every customer, set-based
    (crm.services.scoring.customers_score)."""
    from crm.services.scoring import customers_score

    return customers_score()


@shared_task(name="crm.raise_care_tasks")
def raise_care_tasks() -> dict:
    """Hourly: a care task for every new cause of every enabled care rule,
    at most one per rule and cause (crm.services.care.care_tasks_raise)."""
    from crm.services.care import care_tasks_raise

    return care_tasks_raise()


@shared_task(name="crm.send_campaign", bind=True, max_retries=5, default_retry_delay=30)
def send_campaign(self, campaign_id: int) -> dict:
    """Send a campaign to the consenting customers of its segment, once each
    (crm.services.campaigns.campaign_send_run)."""
    from crm.services.campaigns import campaign_send_run

    return campaign_send_run(campaign_id=campaign_id)
