"""`manage.py load_demo`: the demo company 安居物业, its estates, staff, owners and logins.

The default demo is a high-rise estate 翠湖天地 (about 1,600 flats in ten buildings) and a
villa estate 云栖山庄 (about 250 villas and 150 flat mansions), about 2,000 units in all,
with one login per post. `--units N --estates K` makes any size: N units spread over K
estates. The data is made by guanjia.demo.people from a fixed seed, so every run gives the
same company.

Every write goes through the action functions, so the demo carries a full audit trail. Above
BULK_THRESHOLD units (or with --bulk) units, people, residencies, vehicles and zone butlers
are inserted in batches instead, and each estate gets one audit Change that says so.

Running it again when the demo company exists prints a note and does nothing, unless the
configured field key cannot read the demo's ID numbers (a database made under other keys):
then it stops and says to reload (`make clean && make run`).
"""

from __future__ import annotations

import time
from pathlib import Path

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from guanjia.core.errors import DomainError
from guanjia.demo.company import (
    BULK_THRESHOLD,
    DEFAULT_ESTATES,
    DEFAULT_UNITS,
    DEMO_COMPANY_CODE,
    DEMO_COMPANY_NAME,
    DEMO_PASSWORD,
    SEED,
)
from guanjia.demo.loader import DemoLoader
from guanjia.demo.logins import HEADER, compressed, markdown, text_table
from guanjia.demo.plans import plan_estates
from guanjia.estates.models import Company
from guanjia.people.models import Person


def check_the_keys_read_the_demo() -> None:
    """Refuse to go on with a demo database whose ID numbers the configured key cannot read:
    one made before the field keys were random (they were derived from a public SECRET_KEY)
    or after var/secrets.json was deleted. Reloading is the way out (docs/deploy.md); the old
    derivation is not offered for re-encryption, since anyone can compute that key."""
    sample = (
        Person.objects.filter(estate__company__code=DEMO_COMPANY_CODE)
        .exclude(id_number_encrypted="")
        .only("pk", "id_number_encrypted")
        .first()
    )
    if sample is None:
        return
    try:
        sample.reveal_id_number()
    except InvalidToken:
        raise CommandError(
            "演示数据库中的身份证号不是用当前密钥（var/secrets.json 或 GUANJIA_FIELD_KEYS）加密的，"
            "可能是旧版本用公开的开发密钥生成的。请删除旧数据库并重新载入演示：make clean && make run"
        ) from None


class Command(BaseCommand):
    help = "载入演示公司「安居物业」：小区、房屋、业主、员工和每个岗位的登录账号（已载入则跳过）。"

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=DEFAULT_UNITS, help="房屋总数（默认 2000）")
        parser.add_argument("--estates", type=int, default=DEFAULT_ESTATES, help="小区数（默认 2）")
        parser.add_argument(
            "--bulk", action="store_true", help=f"批量插入房屋和住户（超过 {BULK_THRESHOLD} 套时自动启用）"
        )
        parser.add_argument("--seed", type=int, default=SEED, help="随机种子：同一种子生成同样的数据")
        parser.add_argument(
            "--logins-file",
            default=None,
            help="账号表（Markdown）写到哪里；默认规模时为 docs/demo-logins.md，空字符串表示不写",
        )

    def handle(self, *args, **options):
        if Company.objects.filter(code=DEMO_COMPANY_CODE).exists():
            check_the_keys_read_the_demo()
            self.stdout.write(f"演示公司「{DEMO_COMPANY_NAME}」（{DEMO_COMPANY_CODE}）已载入，跳过。")
            return
        units, estates = options["units"], options["estates"]
        if estates < 1 or units < estates:
            raise CommandError("--estates 至少为 1，且 --units 不少于小区数。")
        bulk = options["bulk"] or units > BULK_THRESHOLD
        started = time.monotonic()
        self.stdout.write(
            f"载入演示公司「{DEMO_COMPANY_NAME}」：{estates} 个小区，{units} 套房屋{'（批量插入）' if bulk else ''}…"
        )
        loader = DemoLoader(seed=options["seed"], bulk=bulk, say=self.stdout.write)
        try:
            with transaction.atomic():
                logins = loader.load(plan_estates(units, estates))
        except DomainError as error:
            raise CommandError(f"载入失败：{error.message}") from None
        total = loader.total
        self.stdout.write(
            f"完成：{total.units} 套房屋，{total.people} 位住户，{total.vehicles} 辆车，"
            f"{len(logins)} 个账号，用时 {time.monotonic() - started:.1f} 秒。\n"
        )
        rows = [HEADER] + [
            [login.post, login.username, DEMO_PASSWORD, login.estate, login.home] for login in compressed(logins)
        ]
        self.stdout.write(text_table(rows))
        path = options["logins_file"]
        if path is None and units == DEFAULT_UNITS and estates == DEFAULT_ESTATES:
            path = str(Path(settings.BASE_DIR) / "docs" / "demo-logins.md")
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(markdown(logins, units, estates), encoding="utf-8")
            self.stdout.write(f"\n账号表已写入 {path}")
