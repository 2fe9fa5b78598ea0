"""Demo staff: one user for every role. Password is the same for all."""

from django.contrib.auth import get_user_model

from erp.core.roles import Role
from erp.core.services import staff_user_create

DEMO_PASSWORD = "erp-demo-2026"  # noqa: S105 - printed on purpose, demo only

# username, family name, given name, roles
DEMO_STAFF = [
    ("admin", "张", "伟", [Role.ADMIN]),
    ("clerk", "李", "娜", [Role.ORDER_CLERK]),
    ("warehouse", "王", "强", [Role.WAREHOUSE]),
    ("whmanager", "孙", "杰", [Role.WAREHOUSE_MANAGER]),
    ("dispatcher", "刘", "洋", [Role.DISPATCHER]),
    ("agent", "陈", "静", [Role.AFTERSALES_AGENT]),
    ("agent2", "杨", "磊", [Role.AFTERSALES_AGENT]),
    ("manager", "赵", "敏", [Role.ACCOUNT_MANAGER]),
    ("manager2", "钱", "芳", [Role.ACCOUNT_MANAGER]),
    ("analyst", "黄", "磊", [Role.ANALYST]),
]


def seed(ctx) -> None:
    User = get_user_model()
    users = {}
    for username, family, given, roles in DEMO_STAFF:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = staff_user_create(
                username=username,
                password=DEMO_PASSWORD,
                roles=[r.value for r in roles],
                first_name=given,
                last_name=family,
                email=f"{username}@demo.example.com",
            )
        users[username] = user
    ctx.data["users"] = users
    ctx.report("staff users", len(users))
