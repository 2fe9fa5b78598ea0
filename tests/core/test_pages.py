"""Staff list pages: filters shared with the API, pagination, empty states,
a bounded number of queries; the create form validates."""

import pytest

from crm.models import Customer
from tests.factories import CustomerFactory, ProductFactory


@pytest.mark.django_db
def test_customer_list_filters_and_paginates(role_client):
    CustomerFactory.create_batch(30, tier=Customer.Tier.GOLD)
    CustomerFactory(name="独一无二的客户", tier=Customer.Tier.VIP)
    client = role_client("order_clerk")
    page = client.get("/crm/customers/?tier=gold").content.decode()
    assert "30 行" in page
    assert "第 1 页，共 2 页" in page
    page = client.get("/crm/customers/?q=独一无二").content.decode()
    assert "独一无二的客户" in page and "1 行" in page


@pytest.mark.django_db
def test_empty_states(role_client):
    client = role_client("order_clerk")
    assert "暂无数据" in client.get("/crm/customers/").content.decode()
    CustomerFactory()
    assert "没有符合筛选条件的客户" in client.get("/crm/customers/?q=nobody").content.decode()


@pytest.mark.django_db
def test_invalid_filter_is_shown_on_the_form(role_client):
    body = role_client("order_clerk").get("/crm/customers/?tier=platinum").content.decode()
    assert "invalid-feedback" in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/crm/customers/",
        "/inventory/products/",
        "/inventory/warehouses/",
        "/orders/channels/",
        "/logistics/carriers/",
        "/aftersales/teams/",
        "/analytics/targets/",
        "/audit/",
    ],
)
def test_list_pages_query_count_is_bounded(role_client, url, django_assert_max_num_queries):
    CustomerFactory.create_batch(25)
    ProductFactory.create_batch(25)
    client = role_client("admin")
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_create_customer_form(role_client):
    client = role_client("order_clerk")
    response = client.post(
        "/crm/customers/new/",
        {
            "name": "钱多多",
            "kind": "person",
            "phone": "138 0013 8000",
            "tier": "standard",
            "province": "浙江省",
            "city": "杭州市",
            "street": "文三路1号",
        },
    )
    assert response.status_code == 302
    customer = Customer.objects.get(name="钱多多")
    assert customer.phone == "13800138000"
    assert customer.default_address.city == "杭州市"
    page = client.get(response["Location"]).content.decode()
    assert "钱多多" in page
    assert f"客户 {customer.code} 钱多多 已创建" in page


@pytest.mark.django_db
def test_create_customer_form_errors(role_client):
    client = role_client("order_clerk")
    response = client.post(
        "/crm/customers/new/",
        {"name": "钱多多", "kind": "person", "tier": "standard", "city": "杭州市"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "请填写电话号码或电子邮箱。" in body
    assert "填写地址时必填。" in body
    assert not Customer.objects.exists()
    response = client.post(
        "/crm/customers/new/",
        {"name": "钱多多", "kind": "person", "tier": "standard", "phone": "abc"},
    )
    assert "请输入有效的电话号码。" in response.content.decode()
    assert not Customer.objects.exists()
