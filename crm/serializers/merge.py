from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.models import Customer, CustomerMerge
from crm.services.merge import merge_undoable


class CustomerBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["code", "name", "kind", "phone", "email", "tier", "created_at"]
        read_only_fields = fields


class DuplicatePairSerializer(serializers.Serializer):
    first = CustomerBriefSerializer(read_only=True)
    second = CustomerBriefSerializer(read_only=True)
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=["phone", "email", "contact"]),
        read_only=True,
        help_text="What they share: phone, email, or a contact's phone / e-mail",
    )


class MergeRequestSerializer(serializers.Serializer):
    duplicate = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Customer.objects.all(),
        help_text="Code of the customer merged into this one (it is kept, marked merged)",
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class DismissRequestSerializer(serializers.Serializer):
    other = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Customer.objects.all(),
        help_text="Code of the customer that is not a duplicate of this one",
    )


class CustomerMergeSerializer(serializers.ModelSerializer):
    survivor = serializers.CharField(source="survivor.code", read_only=True)
    merged = serializers.CharField(source="merged.code", read_only=True)
    merged_by = serializers.CharField(source="merged_by.username", default=None, read_only=True)
    undone_by = serializers.CharField(source="undone_by.username", default=None, read_only=True)
    moved = serializers.SerializerMethodField()
    kept = serializers.SerializerMethodField()
    undoable = serializers.SerializerMethodField()

    class Meta:
        model = CustomerMerge
        fields = [
            "id",
            "survivor",
            "merged",
            "reason",
            "moved",
            "kept",
            "merged_by",
            "merged_at",
            "undone_at",
            "undone_by",
            "undoable",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_moved(self, merge) -> dict:
        """Rows moved per relation ("app_label.Model.field": count)."""
        return {k: len(v) for k, v in (merge.moved or {}).items() if not k.startswith("_")}

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_kept(self, merge) -> dict:
        """Rows left on the merged customer for a unique rule, per relation."""
        return {k: len(v) for k, v in ((merge.moved or {}).get("_kept") or {}).items()}

    def get_undoable(self, merge) -> bool:
        return merge_undoable(merge)
