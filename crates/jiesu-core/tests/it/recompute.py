"""Recompute every figure of a Jiesu report's 指标 sheet from its 案件清单 sheet alone, as
a superior auditing the figures would in a spreadsheet: read with openpyxl, the settings
taken from the definitions' own text. Prints JSON: the figures checked and every
discrepancy (figure, in the report, recomputed)."""
import json
import re
import sys

import openpyxl

book = openpyxl.load_workbook(sys.argv[1])
figures = {}
for row in book["指标"].iter_rows(min_row=4, values_only=True):
    if row[0]:
        figures[row[0]] = (row[1], row[2] or "")

sheet = book["案件清单"].iter_rows(values_only=True)
head = next(sheet)
cases = [dict(zip(head, r)) for r in sheet]
population = [c for c in cases if c["受理"] == 1]


def total(column, rows=population):
    return sum(c[column] or 0 for c in rows)


def ratio(n, d):
    return n / d if d else None


def mean(column, over="办结"):
    done = [c[column] for c in population if c[over] == 1]
    return sum(done) / len(done) if done else None


basic = float(re.search(r"\+ ([\d.]+) × 基本满意", figures["满意率"][1]).group(1))
weights = [
    float(w)
    for w in re.fullmatch(
        r"([\d.]+) × 响应率 \+ ([\d.]+) × 解决率 \+ ([\d.]+) × 满意率", figures["综合得分"][1]
    ).groups()
]
valid = total("有效回访")
satisfaction = ratio(total("满意") + basic * total("基本满意"), valid)
response, solution = ratio(total("表示已联系"), valid), ratio(total("表示已解决"), valid)
recomputed = {
    "受理": len(population),
    "办结": total("办结"),
    "办结率": ratio(total("办结"), len(population)),
    "3天办结": total("3天办结"),
    "3天未到期": total("3天未到期"),
    "3天办结率": ratio(total("3天办结"), len(population) - total("3天未到期")),
    "平均办理天数": mean("办理天数"),
    "平均办理工作日": mean("办理工作日"),
    "首次响应": total("首次响应"),
    "按时响应": total("按时响应"),
    "响应未到期": total("响应未到期"),
    "按时响应率": ratio(total("按时响应"), len(population) - total("响应未到期")),
    "平均响应小时": mean("响应小时", over="首次响应"),
    "当前超期": total("当前超期"),
    "期内超期": total("期内超期", cases),
    "延期次数": total("延期次数"),
    "重办次数": total("重办次数"),
    "有效回访": valid,
    "响应率": response,
    "解决率": solution,
    "满意率": satisfaction,
    "综合得分": None
    if valid == 0
    else weights[0] * response + weights[1] * solution + weights[2] * satisfaction,
    "承诺书": total("承诺书"),
    "承诺兑现": total("承诺兑现"),
    "承诺违约": total("承诺违约"),
}

discrepancies = []
for label, (value, _) in figures.items():
    want = recomputed.get(label, "no rule to recompute it")
    same = (
        value is None and want is None
        or isinstance(want, (int, float))
        and value is not None
        and abs(value - want) < 1e-9
    )
    if not same:
        discrepancies.append([label, value, want])
# Each case's 3天办结 agrees with its own working days: the column is a fact, not a verdict.
for c in population:
    within = c["办结"] == 1 and c["办理工作日"] is not None and c["办理工作日"] <= 3
    if (c["3天办结"] == 1) != within:
        discrepancies.append(["3天办结 of " + c["案件编号"], c["3天办结"], within])
print(
    json.dumps(
        {
            "checked": sorted(figures),
            "cases": len(cases),
            "discrepancies": discrepancies,
        },
        ensure_ascii=False,
    )
)
