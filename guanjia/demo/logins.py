"""The demo logins: whether they exist (the login page says so), and the table load_demo prints
and writes, in the terminal and as Markdown."""

from __future__ import annotations

import unicodedata

from guanjia.demo.company import DEMO_COMPANY_CODE, DEMO_COMPANY_NAME, DEMO_PASSWORD
from guanjia.demo.loader import Login
from guanjia.estates.models import Company


def demo_loaded() -> bool:
    """Whether load_demo has run here: the demo logins, whose password is public, exist only
    then (load_demo is the only thing that makes them)."""
    return Company.objects.filter(code=DEMO_COMPANY_CODE).exists()


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_table(rows: list[list[str]]) -> str:
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append(
            "  ".join(cell + " " * (width - display_width(cell)) for cell, width in zip(row, widths, strict=True))
        )
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


HEADER = ["岗位", "用户名", "密码", "小区", "登录后首页"]


def compressed(logins: list[Login]) -> list[Login]:
    """Long runs of butlers (big --units) shown as one line: butler1 … butler350."""
    result: list[Login] = []
    index = 0
    while index < len(logins):
        run = [logins[index]]
        while (
            index + len(run) < len(logins)
            and logins[index + len(run)].post == run[0].post
            and logins[index + len(run)].estate == run[0].estate
        ):
            run.append(logins[index + len(run)])
        if len(run) > 12:
            result.append(
                Login(
                    run[0].post,
                    f"{run[0].username} … {run[-1].username}（{len(run)} 个）",
                    run[0].estate,
                    "我的区域待办：本人负责区域的未关闭工单、待回访、欠费与收缴率",
                )
            )
        else:
            result.extend(run)
        index += len(run)
    return result


def markdown(logins: list[Login], units: int, estates: int) -> str:
    lines = [
        "# 演示账号 / Demo logins",
        "",
        f"`make run` 会执行 `manage.py load_demo`，载入演示公司「{DEMO_COMPANY_NAME}」（代码 `{DEMO_COMPANY_CODE}`）："
        f"{estates} 个小区、约 {units:,} 套房屋，数据为虚构。所有演示账号的密码都是 `{DEMO_PASSWORD}`。",
        "",
        f"`make run` loads the demo company with `manage.py load_demo`; every demo login's password is "
        f"`{DEMO_PASSWORD}`.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    for login in compressed(logins):
        lines.append(f"| {login.post} | `{login.username}` | `{DEMO_PASSWORD}` | {login.estate} | {login.home} |")
    lines.append("")
    return "\n".join(lines)
