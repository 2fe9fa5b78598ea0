"""Customers over the API: list (merged ones left out unless `show_merged`),
read, create, change (PATCH), merge a duplicate into one, the suggested
duplicates, and saying two customers are not duplicates; and their contacts."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.filters.customers import ContactFilter, CustomerFilter
from crm.models import Customer
from crm.selectors import contact_list, customer_active_list, duplicate_suggestions, merge_list
from crm.serializers.customers import (
    ContactSerializer,
    ContactWriteSerializer,
    CustomerCreateSerializer,
    CustomerSerializer,
    CustomerUpdateSerializer,
)
from crm.serializers.merge import (
    CustomerMergeSerializer,
    DismissRequestSerializer,
    DuplicatePairSerializer,
    MergeRequestSerializer,
)
from crm.services.customers import (
    contact_create,
    contact_deactivate,
    contact_update,
    customer_create,
    customer_edit,
)
from crm.services.merge import customer_merge, duplicate_dismiss
from erp.core.api.views import CreateReadViewSet, CrudViewSet

TAGS = ["customers"]
MERGE = "crm.merge_customer"


@extend_schema_view(
    list=extend_schema(
        summary="List customers",
        description="Merged customers are left out unless `show_merged=true`. Filter by "
        "`tier`, `kind`, `segment` (RFM), `churn_level`, `language`, `tags` (names, "
        "repeatable), `account_manager` (username), `marketing_consent`, `q`.",
        tags=TAGS,
    ),
    retrieve=extend_schema(
        summary="One customer", description="A merged one names `merged_into`.", tags=TAGS
    ),
    create=extend_schema(
        summary="Create a customer",
        tags=TAGS,
        request=CustomerCreateSerializer,
        responses={201: CustomerSerializer},
        examples=[
            OpenApiExample(
                "New consumer",
                value={
                    "name": "王芳",
                    "phone": "13800138000",
                    "email": "wang.fang@example.com",
                    "address": {
                        "recipient": "王芳",
                        "phone": "13800138000",
                        "province": "上海市",
                        "city": "上海市",
                        "district": "浦东新区",
                        "street": "世纪大道100号",
                        "postcode": "200120",
                    },
                },
                request_only=True,
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a customer",
        description="Only the fields sent change. `tags` replaces the set of tags. "
        "`marketing_consent` records the decision now with `consent_source`. "
        "409 `customer_merged` for a merged customer.",
        tags=TAGS,
        request=CustomerUpdateSerializer,
        responses={200: CustomerSerializer},
        examples=[
            OpenApiExample(
                "Consent by phone, new manager",
                value={
                    "account_manager": "amy",
                    "tags": ["wholesale"],
                    "marketing_consent": True,
                    "consent_source": "phone",
                },
                request_only=True,
            )
        ],
    ),
)
class CustomerViewSet(mixins.UpdateModelMixin, CreateReadViewSet):
    scope_domain = "crm"
    queryset = customer_active_list(show_merged=True)
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    lookup_field = "code"
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_permissions = {
        "partial_update": ["crm.change_customer"],
        "merge": [MERGE],
        "duplicates": [MERGE],
        "not_duplicate": [MERGE],
    }

    def filter_queryset(self, queryset):
        # One customer is found by its code, merged or not; lists are filtered.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def create(self, request, *args, **kwargs):
        data = CustomerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if fields.get("marketing_consent"):  # a consent is recorded with when and where
            fields.setdefault("consent_source", Customer.ConsentSource.API)
        customer = customer_create(**fields)
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        customer = self.get_object()
        data = CustomerUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        customer = customer_edit(
            customer=customer,
            actor=request.user,
            consent=changes.pop("marketing_consent", None),
            consent_source=changes.pop("consent_source", None),
            **changes,
        )
        customer = self.get_queryset().get(pk=customer.pk)
        return Response(CustomerSerializer(customer).data)

    @extend_schema(
        summary="Merge a duplicate customer into this one",
        description="Every order, ticket, return, repair, feedback, notice, address, contact, "
        "interaction, care task and campaign send of the duplicate moves to this customer; "
        "blank fields are filled from it, tags joined, the later consent decision kept. The "
        "duplicate stays, marked merged into this one. Undo with "
        "POST /api/v1/customer-merges/{id}/undo/. 409 `merge_refused` for a customer merged "
        "already or into itself.",
        tags=TAGS,
        request=MergeRequestSerializer,
        responses={201: CustomerMergeSerializer},
        examples=[
            OpenApiExample(
                "Same buyer from two channels",
                value={"duplicate": "C000123", "reason": "同一手机号"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, code=None):
        survivor = self.get_object()
        data = MergeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        merge = customer_merge(
            survivor=survivor,
            merged=data.validated_data["duplicate"],
            actor=request.user,
            reason=data.validated_data["reason"],
        )
        merge = merge_list().get(pk=merge.pk)
        return Response(CustomerMergeSerializer(merge).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Suggested duplicate customers",
        description="Pairs of active customers sharing a phone or an e-mail, or where one's "
        "phone or e-mail is an active contact's of the other; dismissed pairs left out. "
        "`customer` (code) limits them to one customer's pairs.",
        tags=TAGS,
        responses={200: DuplicatePairSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], filterset_class=None)
    def duplicates(self, request):
        customer_id = None
        code = request.query_params.get("customer")
        if code:
            customer_id = (
                Customer.objects.filter(code=code).values_list("pk", flat=True).first() or 0
            )
        page = self.paginate_queryset(duplicate_suggestions(customer_id=customer_id))
        return self.get_paginated_response(DuplicatePairSerializer(page, many=True).data)

    @extend_schema(
        summary="Say this customer and another are not duplicates",
        description="The pair is not suggested again.",
        tags=TAGS,
        request=DismissRequestSerializer,
        responses={204: None},
        examples=[OpenApiExample("Two people", value={"other": "C000124"}, request_only=True)],
    )
    @action(detail=True, methods=["post"], url_path="not-duplicate")
    def not_duplicate(self, request, code=None):
        customer = self.get_object()
        data = DismissRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        duplicate_dismiss(first=customer, second=data.validated_data["other"], actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


CONTACT_EXAMPLE = {
    "customer": "C000042",
    "name": "李娜",
    "role": "buyer",
    "title": "采购经理",
    "phone": "13900139000",
    "email": "li.na@example.com",
    "is_primary": True,
}


@extend_schema_view(
    list=extend_schema(
        summary="List contacts",
        description="Filter by `customer` (code), `role`, `active`, `q`.",
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="One contact", tags=TAGS),
    create=extend_schema(
        summary="Add a contact to a customer",
        description="The first contact of a role, or one sent with `is_primary`, becomes the "
        "role's primary contact (the other one is no longer primary).",
        tags=TAGS,
        request=ContactWriteSerializer,
        responses={201: ContactSerializer},
        examples=[OpenApiExample("A buyer", value=CONTACT_EXAMPLE, request_only=True)],
    ),
    update=extend_schema(
        summary="Change a contact",
        tags=TAGS,
        request=ContactWriteSerializer,
        responses={200: ContactSerializer},
        examples=[OpenApiExample("A buyer", value=CONTACT_EXAMPLE, request_only=True)],
    ),
    partial_update=extend_schema(
        summary="Change some of a contact's fields",
        tags=TAGS,
        request=ContactWriteSerializer,
        responses={200: ContactSerializer},
        examples=[OpenApiExample("Make primary", value={"is_primary": True}, request_only=True)],
    ),
    destroy=extend_schema(
        summary="Deactivate a contact",
        description="The contact is kept for the record, inactive and no longer primary.",
        tags=TAGS,
    ),
)
class ContactViewSet(CrudViewSet):
    scope_domain = "crm"
    queryset = contact_list()
    serializer_class = ContactSerializer
    write_serializer_class = ContactWriteSerializer
    filterset_class = ContactFilter

    def create_service(self, **fields):
        return contact_create(**fields)

    def update_service(self, instance, **changes):
        customer = changes.pop("customer", None)
        if customer is not None and customer.pk != instance.customer_id:
            raise serializers.ValidationError(
                {"customer": [_("A contact cannot move to another customer.")]}
            )
        return contact_update(contact=instance, **changes)

    def destroy(self, request, *args, **kwargs):
        contact_deactivate(contact=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    router.register("customers", CustomerViewSet, basename="customer")
    router.register("contacts", ContactViewSet, basename="contact")
