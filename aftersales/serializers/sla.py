from datetime import time

from rest_framework import serializers

from aftersales.models import BusinessCalendar, CalendarDay, Priority, SlaPolicy
from crm.models import Customer


class CalendarDaySerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarDay
        fields = ["date", "working", "name"]
        read_only_fields = fields


class CalendarDayWriteSerializer(serializers.Serializer):
    date = serializers.DateField()
    working = serializers.BooleanField(
        default=False, help_text="true: a make-up working day; false: a holiday"
    )
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class BusinessCalendarSerializer(serializers.ModelSerializer):
    working_days = serializers.ListField(
        child=serializers.IntegerField(), help_text="ISO weekdays: 1 = Monday ... 7 = Sunday"
    )
    days = CalendarDaySerializer(many=True, read_only=True)

    class Meta:
        model = BusinessCalendar
        fields = [
            "code",
            "name",
            "always_open",
            "working_days",
            "day_start",
            "day_end",
            "days",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class BusinessCalendarWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=100)
    always_open = serializers.BooleanField(default=False)
    working_days = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7),
        max_length=7,
        required=False,
        default=lambda: [1, 2, 3, 4, 5],
        help_text="ISO weekdays: 1 = Monday ... 7 = Sunday",
    )
    day_start = serializers.TimeField(required=False, default=time(9, 0))
    day_end = serializers.TimeField(required=False, default=time(18, 0))


class SlaPolicySerializer(serializers.ModelSerializer):
    calendar = serializers.CharField(source="calendar.code", read_only=True)

    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "name",
            "priority",
            "customer_tier",
            "first_response_minutes",
            "resolution_minutes",
            "warn_at_percent",
            "calendar",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SlaPolicyWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    priority = serializers.ChoiceField(choices=Priority.choices)
    customer_tier = serializers.ChoiceField(
        choices=Customer.Tier.choices,
        allow_blank=True,
        required=False,
        default="",
        help_text="blank: any tier",
    )
    first_response_minutes = serializers.IntegerField(min_value=1, max_value=525_600)
    resolution_minutes = serializers.IntegerField(min_value=1, max_value=525_600)
    warn_at_percent = serializers.IntegerField(min_value=1, max_value=99, default=80)
    calendar = serializers.SlugRelatedField(
        slug_field="code", queryset=BusinessCalendar.objects.all()
    )
    active = serializers.BooleanField(required=False)
