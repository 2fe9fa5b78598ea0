"""Demo CRM activity, seeded after orders, logistics and after-sales (crm
imports none of them: what it needs it reads through the hooks and the
scores): account managers, consent records, tags, company contacts,
interactions, two suggested duplicates and one merge, segments, a sent
campaign with orders that carried its code, then the nightly scores and the
care tasks they raise."""

from datetime import timedelta

from django.utils import timezone

from crm.models import Campaign, Customer, CustomerMerge, Interaction, Segment
from crm.services import customer_create
from crm.services.campaigns import campaign_create, campaign_send, campaign_send_run
from crm.services.care import care_tasks_raise
from crm.services.customers import consent_set, contact_create, customer_update
from crm.services.interactions import interaction_log
from crm.services.merge import customer_merge
from crm.services.scoring import customers_score
from crm.services.segments import segment_create

SUBJECTS = [
    ("call", "outbound", "回访：确认收货体验", "客户表示包装完好，物流略慢。"),
    ("call", "inbound", "咨询大宗采购价格", "客户询问批量采购折扣，已发送报价单。"),
    ("email", "outbound", "发送新品目录", "已按客户要求发送春季新品目录。"),
    ("visit", "outbound", "上门拜访", "拜访采购负责人，沟通下季度需求。"),
    ("chat", "inbound", "在线咨询发票", "客户咨询增值税专用发票开具，已说明流程。"),
    ("email", "inbound", "询问配送时效", "客户询问偏远地区配送时间。"),
]
CONTACTS = [
    ("buyer", "采购经理"),
    ("receiver", "仓库主管"),
    ("finance", "财务"),
]
SEGMENTS = [
    ("黄金及VIP客户", "黄金和VIP等级的客户", {"tier": ["gold", "vip"]}),
    ("流失风险客户", "流失风险高或处于风险期的客户", {"churn_level": ["high"]}),
    (
        "已授权营销的上海客户",
        "同意接收营销信息、默认地址在上海",
        {
            "marketing_consent": "yes",
            "province": "上海市",
        },
    ),
    ("企业客户", "企业采购客户", {"kind": "company"}),
]


def seed(ctx) -> None:
    if Segment.objects.exists():
        ctx.report("segments", Segment.objects.count(), 0)
        return
    rng = ctx.rng("crm-activity")
    users = ctx.data["users"]
    managers = [users["manager"], users["manager2"]]
    now = timezone.now()
    customers = list(Customer.objects.filter(merged_into__isnull=True).order_by("code"))

    # Account managers for companies and the better tiers; consent records.
    for index, customer in enumerate(customers):
        manager = None
        if (
            customer.kind == Customer.Kind.COMPANY
            or customer.tier in ("gold", "vip")
            or index % 5 == 0
        ):
            manager = managers[index % 2]
        tags = []
        if customer.kind == Customer.Kind.COMPANY:
            tags.append("企业采购")
        if index % 9 == 0:
            tags.append("2026展会")
        if manager or tags:
            customer_update(customer=customer, account_manager=manager, tags=tags)
        if customer.marketing_consent:
            consent_set(
                customer=customer,
                given=True,
                source=rng.choice(["web_form", "portal", "channel", "in_store", "phone"]),
                at=now - timedelta(days=rng.randint(30, 600)),
            )
        if customer.kind == Customer.Kind.COMPANY:
            for role, title in CONTACTS:
                contact_create(
                    customer=customer,
                    name=f"{customer.name[:2]}{title}",
                    role=role,
                    title=title,
                    phone=f"13{rng.randrange(10**9):09d}",
                    email=f"{role}.{customer.code.lower()}@demo.example.com",
                )
    ctx.report(
        "customers with an account manager",
        Customer.objects.filter(account_manager__isnull=False).count(),
    )

    # Interactions over the last three months.
    managed = (
        list(
            Customer.objects.filter(
                merged_into__isnull=True, account_manager__isnull=False
            ).order_by("code")
        )
        or customers
    )
    for index in range(60):
        customer = managed[index % len(managed)]
        kind, direction, subject, body = SUBJECTS[index % len(SUBJECTS)]
        interaction_log(
            customer=customer,
            kind=kind,
            direction=direction,
            subject=subject,
            body=body,
            occurred_at=now - timedelta(days=rng.randint(0, 90), hours=rng.randint(0, 9)),
            actor=managers[index % 2],
        )
    ctx.report("interactions", Interaction.objects.count())

    # Duplicates: the same buyer keyed in again at the phone desk (same
    # e-mail, different phone), and a third copy that was merged already.
    with_email = [c for c in customers if c.email and c.kind == Customer.Kind.PERSON]
    for index, original in enumerate(with_email[:2], start=1):
        customer_create(
            code=f"C9{index:05d}",
            name=original.name,
            phone=f"15{rng.randrange(10**9):09d}",
            email=original.email,
        )
    if len(with_email) > 2:
        original = with_email[2]
        copy = customer_create(code="C900003", name=original.name, phone=original.phone, email="")
        customer_merge(
            survivor=original, merged=copy, actor=users["manager"], reason="电话下单重复建档"
        )
    ctx.report("customer merges", CustomerMerge.objects.count())

    # Scores first: segments and care rules read them.
    customers_score()
    segments = [
        segment_create(name=name, description=description, filters=filters, actor=users["manager"])
        for name, description, filters in SEGMENTS
    ]
    ctx.report("segments", Segment.objects.count())

    # A campaign sent three weeks ago; some recipients ordered with its code.
    campaign = campaign_create(
        name="双十一老客回馈",
        segment=segments[2],
        channel=Campaign.Channel.EMAIL,
        subject="{name}，您好：老客专享优惠",
        message="{name}，感谢您一直以来的支持！下单时填写活动码即可享受老客专享优惠。",
        attribution_days=30,
        actor=users["manager"],
    )
    campaign_send(campaign=campaign, actor=users["manager"])
    # The task would run after the seeding's one transaction commits; run it here.
    campaign_send_run(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    if campaign.status == Campaign.Status.SENT:
        sent_at = now - timedelta(days=21)
        Campaign.objects.filter(pk=campaign.pk).update(sent_at=sent_at)
        recipients = list(campaign.sends.values_list("customer_id", flat=True))
        # Orders are reached through the reverse relation: crm imports no higher app.
        responded = campaign.orders.model.objects.filter(
            customer_id__in=recipients[::3], placed_at__gte=sent_at
        ).exclude(status="cancelled")
        responded.update(campaign=campaign)
    campaign_create(
        name="企业客户季度采购提醒",
        segment=segments[3],
        channel=Campaign.Channel.SMS,
        message="{name}您好，新季度采购计划可联系您的客户经理获取专属报价。",
        actor=users["manager"],
    )
    ctx.report("campaigns", Campaign.objects.count())

    result = care_tasks_raise()
    ctx.report("care tasks raised", result["created"])
