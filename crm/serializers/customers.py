from rest_framework import serializers

from crm.models import Address, Customer


class AddressSerializer(serializers.ModelSerializer):
    class Meta:
        model = Address
        fields = ["recipient", "phone", "province", "city", "district", "street", "postcode"]


class CustomerSerializer(serializers.ModelSerializer):
    default_address = AddressSerializer(read_only=True)

    class Meta:
        model = Customer
        fields = [
            "code",
            "name",
            "kind",
            "phone",
            "email",
            "tier",
            "marketing_consent",
            "default_address",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CustomerCreateSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20, required=False)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Customer.Kind.choices, default=Customer.Kind.PERSON)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    tier = serializers.ChoiceField(choices=Customer.Tier.choices, default=Customer.Tier.STANDARD)
    marketing_consent = serializers.BooleanField(default=False)
    address = AddressSerializer(required=False)
