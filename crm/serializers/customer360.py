"""GET /api/v1/customers/{code}/360/: the customer, KPI cards, the 7P
analysis and every section the caller may see, as the 360 page shows them."""

from datetime import date, datetime
from decimal import Decimal

from django.utils.functional import Promise
from rest_framework import serializers


def plain(value):
    """JSON-safe: money as strings (as every Decimal of the API), times in ISO 8601."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Promise):
        return str(value)
    return value


class Customer360HeaderSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    tier = serializers.CharField()
    tier_override = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    language = serializers.CharField()
    marketing_consent = serializers.BooleanField()
    consent_at = serializers.DateTimeField(allow_null=True)
    consent_source = serializers.CharField(allow_blank=True)
    account_manager = serializers.CharField(allow_null=True)
    merged_into = serializers.CharField(allow_null=True, help_text="code of the survivor")
    tags = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()


class Kpi360Serializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=["number", "money", "percent", "churn"])
    value = serializers.JSONField(allow_null=True)
    level = serializers.CharField(required=False, help_text="churn risk level (churn cards)")


class Customer360Serializer(serializers.Serializer):
    """Read-only: `to_representation` takes crm.selectors.customer_360()'s result."""

    customer = Customer360HeaderSerializer()
    kpis = Kpi360Serializer(many=True)
    seven_p = serializers.DictField(
        child=serializers.DictField(),
        help_text="profile, persistency, profitability, performance, prospecting, product, "
        "promotion: {figure: value}; figures of sections the caller may not see are left out",
    )
    sections = serializers.DictField(
        child=serializers.DictField(),
        help_text="per section key (profile, scores, orders, shipments, tickets, returns, "
        "repairs, feedback, interactions, care_tasks, campaigns): title, latest rows, totals; "
        "sections the caller may not see are left out",
    )

    def to_representation(self, instance: dict) -> dict:
        customer = instance["customer"]
        header = {
            "code": customer.code,
            "name": customer.name,
            "kind": customer.kind,
            "tier": customer.tier,
            "tier_override": customer.tier_override,
            "phone": customer.phone,
            "email": customer.email,
            "language": customer.language,
            "marketing_consent": customer.marketing_consent,
            "consent_at": customer.consent_at,
            "consent_source": customer.consent_source,
            "account_manager": (
                customer.account_manager.get_username() if customer.account_manager else None
            ),
            "merged_into": customer.merged_into.code if customer.merged_into else None,
            "tags": [tag.name for tag in customer.tags.all()],
            "created_at": customer.created_at,
        }
        kpis = [
            {k: kpi[k] for k in ("key", "label", "kind", "value", "level") if k in kpi}
            for kpi in instance["kpis"]
        ]
        seven_p = {
            p["key"]: {item["key"]: item["value"] for item in p["items"]}
            for p in instance["seven_p"]
        }
        sections = {
            section.key: {"title": section.title, **section.as_json(data)}
            for section, data in instance["sections"]
        }
        return plain({"customer": header, "kpis": kpis, "seven_p": seven_p, "sections": sections})
