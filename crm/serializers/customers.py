from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.models import Address, Contact, Customer


class AddressSerializer(serializers.ModelSerializer):
    class Meta:
        model = Address
        fields = ["recipient", "phone", "province", "city", "district", "street", "postcode"]


class CustomerSerializer(serializers.ModelSerializer):
    default_address = AddressSerializer(read_only=True)
    account_manager = serializers.CharField(
        source="account_manager.username", default=None, read_only=True
    )
    tags = serializers.SerializerMethodField()
    merged_into = serializers.CharField(source="merged_into.code", default=None, read_only=True)

    class Meta:
        model = Customer
        fields = [
            "code",
            "name",
            "kind",
            "phone",
            "email",
            "tier",
            "language",
            "marketing_consent",
            "consent_at",
            "consent_source",
            "account_manager",
            "tags",
            "note",
            "default_address",
            "merged_into",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, customer) -> list[str]:
        return sorted(tag.name for tag in customer.tags.all())


class CustomerCreateSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20, required=False)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Customer.Kind.choices, default=Customer.Kind.PERSON)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    tier = serializers.ChoiceField(choices=Customer.Tier.choices, default=Customer.Tier.STANDARD)
    marketing_consent = serializers.BooleanField(default=False)
    consent_source = serializers.ChoiceField(
        choices=Customer.ConsentSource.choices,
        required=False,
        help_text="Where the customer gave consent (with marketing_consent); default api.",
    )
    address = AddressSerializer(required=False)


class CustomerUpdateSerializer(serializers.Serializer):
    """PATCH /api/v1/customers/{code}/: the fields given are changed. `tags`
    replaces the whole set; `marketing_consent` needs `consent_source`."""

    name = serializers.CharField(max_length=200, required=False)
    kind = serializers.ChoiceField(choices=Customer.Kind.choices, required=False)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=Customer.Language.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True)
    account_manager = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, allow_empty=True
    )
    marketing_consent = serializers.BooleanField(required=False)
    consent_source = serializers.ChoiceField(choices=Customer.ConsentSource.choices, required=False)

    def validate(self, attrs):
        if "marketing_consent" in attrs and not attrs.get("consent_source"):
            raise serializers.ValidationError(
                {"consent_source": [_("Say where the customer gave or withdrew consent.")]}
            )
        return attrs


class ContactSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.code", read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "customer",
            "name",
            "role",
            "title",
            "phone",
            "email",
            "is_primary",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ContactWriteSerializer(serializers.Serializer):
    customer = serializers.SlugRelatedField(
        slug_field="code", queryset=Customer.objects.all(), required=True
    )
    name = serializers.CharField(max_length=100)
    role = serializers.ChoiceField(choices=Contact.Role.choices, default=Contact.Role.BUYER)
    title = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    is_primary = serializers.BooleanField(default=False)
