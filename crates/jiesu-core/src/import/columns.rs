//! What a column of a 12345 export means. No platform publishes a schema and every city's
//! export names its columns its own way, so each field has the headers seen in real exports
//! (`shared/notes/research.md`), earliest preferred when a file has several of them: a
//! Beijing-style export's 工单编号, an 办件 export's 办件编号 before its 市级编号.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

/// What Jiesu reads a column as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
pub enum Field {
    /// 工单编号: what identifies the work order across exports.
    WorkOrderNo,
    /// When the platform received or dispatched it: the deadline counts from it.
    ReceivedAt,
    /// 诉求人
    Resident,
    /// 联系电话
    Phone,
    /// The city's category, a path (`城市管理->市容环境->占道经营`) or one level.
    Category,
    /// 事项大类: the path's first level, when the export splits it.
    CategoryMajor,
    /// 事项小类: the path's last level.
    CategoryMinor,
    /// 诉求内容
    Description,
    /// 诉求标题: put before the description when the description does not hold it.
    Title,
    /// 承办单位, as the city names it.
    HandlingUnit,
    /// 承诺完成时间: the work order's own deadline.
    Due,
    /// 工单类型 (咨询/求助/投诉/建议): the deadline policy's when the order has no deadline.
    OrderType,
    /// 紧急程度
    Urgency,
    /// Where the problem is (小区点位, 被反映街乡镇): several columns are joined.
    Place,
    /// A column Jiesu has no field for: kept with the case and shown there.
    Keep,
    /// Left out, by the user's choice (a 序号 column, say).
    Ignore,
}

/// Headers per field, in order of preference. Compared after [`normalise`].
const SYNONYMS: &[(Field, &[&str])] = &[
    (
        Field::WorkOrderNo,
        &[
            "工单编号",
            "工单号",
            "办件编号",
            "流水号",
            "市级编号",
            "诉求编号",
            "编号",
        ],
    ),
    (
        Field::ReceivedAt,
        &[
            "派发时间",
            "受理时间",
            "来电时间",
            "派单时间",
            "登记时间",
            "诉求时间",
            "转办时间",
        ],
    ),
    (
        Field::Resident,
        &[
            "诉求人",
            "来电人",
            "反映人",
            "来电人姓名",
            "诉求人姓名",
            "联系人",
        ],
    ),
    (
        Field::Phone,
        &[
            "联系电话",
            "诉求人电话",
            "来电人电话",
            "来电号码",
            "联系方式",
            "电话",
        ],
    ),
    (
        Field::Category,
        &[
            "问题分类",
            "诉求类型",
            "诉求分类",
            "所涉领域",
            "问题类型",
            "事项分类",
        ],
    ),
    (Field::CategoryMajor, &["事项大类", "一级分类"]),
    (Field::CategoryMinor, &["事项小类", "二级分类", "三级分类"]),
    (
        Field::Description,
        &["诉求内容", "主要内容", "问题描述", "来电内容", "工单内容"],
    ),
    (Field::Title, &["诉求标题", "诉求主题", "标题", "工单标题"]),
    (
        Field::HandlingUnit,
        &["承办单位", "办理单位", "主办单位", "处置单位"],
    ),
    (
        Field::Due,
        &[
            "承诺完成时间",
            "办理时限",
            "办结时限",
            "要求办结时间",
            "截止时间",
        ],
    ),
    (Field::OrderType, &["工单类型", "诉求性质", "来电类别"]),
    (Field::Urgency, &["紧急程度", "缓急程度", "紧急状态"]),
    (
        Field::Place,
        &[
            "被反映街乡镇",
            "村/社区",
            "小区点位",
            "问题地址",
            "事发地址",
            "事发地点",
            "被反映地址",
            "所属区域",
        ],
    ),
];

/// Fields that take one column only: a second column with such a header is kept instead.
fn single(field: Field) -> bool {
    !matches!(field, Field::Place | Field::Keep | Field::Ignore)
}

/// A header as compared: no spaces, asterisks (a required-column marker) or colons, and
/// full-width brackets as half-width.
pub fn normalise(header: &str) -> String {
    header
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | ':' | '：'))
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '／' => '/',
            c => c,
        })
        .collect()
}

/// The field a header names, with its rank among the field's synonyms (0: preferred).
/// `来电人电话/账号` and `派发时间(系统)` name what their part before `/` or `(` names.
pub fn field_of(header: &str) -> Option<(Field, usize)> {
    let h = normalise(header);
    let stem = h.split(['/', '(']).next().unwrap_or("");
    for candidate in [h.as_str(), stem] {
        if candidate.is_empty() {
            continue;
        }
        for (field, names) in SYNONYMS {
            if let Some(rank) = names.iter().position(|n| *n == candidate) {
                return Some((*field, rank));
            }
        }
    }
    None
}

/// The meaning of each column of `headers`: each single field goes to its most preferred
/// header (ties to the leftmost), every other column is kept.
pub fn guess(headers: &[String]) -> Vec<Field> {
    let found: Vec<Option<(Field, usize)>> = headers.iter().map(|h| field_of(h)).collect();
    found
        .iter()
        .enumerate()
        .map(|(i, f)| match f {
            None => Field::Keep,
            Some((field, _)) if !single(*field) => *field,
            Some((field, rank)) => {
                let better = found.iter().enumerate().any(|(j, g)| {
                    matches!(g, Some((other, r)) if other == field && (*r < *rank || (*r == *rank && j < i)))
                });
                if better { Field::Keep } else { *field }
            }
        })
        .collect()
}

/// How many columns of `headers` name a field: how a header row is told from a title row.
pub fn recognised(headers: &[String]) -> usize {
    headers.iter().filter(|h| field_of(h).is_some()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hs(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_preferred_number_wins_and_the_other_is_kept() {
        let g = guess(&hs(&["序号", "市级编号", "办件编号", "诉求内容"]));
        assert_eq!(
            g,
            [
                Field::Keep,
                Field::Keep,
                Field::WorkOrderNo,
                Field::Description
            ]
        );
    }

    #[test]
    fn headers_are_read_through_markers_and_suffixes() {
        assert_eq!(field_of(" *工单编号 ").unwrap().0, Field::WorkOrderNo);
        assert_eq!(field_of("来电人电话/账号").unwrap().0, Field::Phone);
        assert_eq!(field_of("派发时间（系统）").unwrap().0, Field::ReceivedAt);
        assert_eq!(field_of("村/社区").unwrap().0, Field::Place);
        assert_eq!(field_of("企业名称"), None);
    }

    #[test]
    fn place_takes_every_column_that_names_one() {
        let g = guess(&hs(&["被反映街乡镇", "村/社区", "小区点位"]));
        assert_eq!(g, [Field::Place, Field::Place, Field::Place]);
    }
}
