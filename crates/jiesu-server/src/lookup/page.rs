//! The lookup page's HTML: server-rendered, one stylesheet from this server, no script, in
//! zh-CN (the default), zh-TW and English. Every value from the log is escaped.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use jiesu_protocol::model::{Outcome, Satisfaction};
use jiesu_protocol::public::{PublicCase, Stage, Step};

/// The page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 简体中文 (default)
    ZhCn,
    /// 繁體中文
    ZhTw,
    /// English
    En,
}

impl Lang {
    /// From `?lang=` or the form's field; anything else is zh-CN.
    pub fn parse(s: &str) -> Lang {
        match s {
            "zh-TW" => Lang::ZhTw,
            "en" => Lang::En,
            _ => Lang::ZhCn,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::ZhTw => "zh-TW",
            Lang::En => "en",
        }
    }

    /// The same text in the three languages.
    fn t(self, zh_cn: &'static str, zh_tw: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::ZhCn => zh_cn,
            Lang::ZhTw => zh_tw,
            Lang::En => en,
        }
    }
}

/// What the form says above itself.
pub enum Notice {
    /// Wrong number or wrong code: one message for both.
    NotFound,
    /// Locked out for this many seconds.
    TooMany(i64),
    /// The store failed.
    Unavailable,
}

pub const CSS: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.6 system-ui,-apple-system,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;color:#1f2937;background:#f3f4f6}\
main{max-width:34rem;margin:0 auto;padding:1rem}\
h1{font-size:1.35rem;margin:.5rem 0 1rem}\
h2{font-size:1.1rem;margin:1.25rem 0 .5rem}\
form,section{background:#fff;border-radius:8px;padding:1rem;margin-bottom:1rem;box-shadow:0 1px 2px rgba(0,0,0,.06)}\
label{display:block;font-weight:600;margin:.5rem 0 .25rem}\
input{width:100%;font-size:1.1rem;padding:.6rem;border:1px solid #9ca3af;border-radius:6px}\
input:focus{outline:3px solid #93c5fd;border-color:#2563eb}\
button{margin-top:1rem;width:100%;font-size:1.1rem;padding:.7rem;border:0;border-radius:6px;background:#1d4ed8;color:#fff}\
.hint{color:#4b5563;font-size:.9rem;margin:.25rem 0 0}\
.notice{padding:.75rem;border-radius:6px;background:#fef3c7;color:#78350f;margin-bottom:1rem}\
.stage{display:inline-block;padding:.1rem .6rem;border-radius:999px;background:#dbeafe;color:#1e3a8a;font-weight:600}\
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem .75rem;margin:0}\
dt{color:#4b5563}dd{margin:0}\
.ok{color:#166534;font-weight:600}.late{color:#b91c1c;font-weight:600}\
ol{list-style:none;padding:0;margin:0}\
li{border-left:3px solid #93c5fd;padding:.25rem 0 .75rem .75rem;margin-left:.25rem}\
li time{display:block;color:#4b5563;font-size:.85rem}\
.langs{text-align:right;font-size:.9rem}.langs a{margin-left:.75rem;color:#1d4ed8}\
";

/// Escape text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn shell(lang: Lang, title: &str, body: &str) -> String {
    let langs = [("zh-CN", "简体"), ("zh-TW", "繁體"), ("en", "English")]
        .iter()
        .map(|(code, name)| format!(r#"<a href="/lookup?lang={code}" lang="{code}">{name}</a>"#))
        .collect::<String>();
    format!(
        r#"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<link rel="stylesheet" href="/lookup.css">
</head>
<body>
<main>
<nav class="langs" aria-label="Language">{langs}</nav>
{body}
</main>
</body>
</html>
"#,
        lang = lang.code(),
        title = esc(title),
    )
}

/// The form, with what it says above itself.
pub fn form(lang: Lang, number: &str, notice: Option<Notice>) -> String {
    let title = lang.t("诉求办理进度查询", "訴求辦理進度查詢", "Track your case");
    let notice = match notice {
        None => String::new(),
        Some(Notice::NotFound) => format!(
            r#"<p class="notice" role="alert" id="notice">{}</p>"#,
            lang.t(
                "未找到。请核对回执上的案件编号和查询码。",
                "未找到。請核對回執上的案件編號和查詢碼。",
                "Not found. Please check the case number and the code on your receipt.",
            )
        ),
        Some(Notice::TooMany(s)) => format!(
            r#"<p class="notice" role="alert" id="notice">{} {}</p>"#,
            lang.t(
                "尝试次数过多，请稍后再试。约需等待（分钟）：",
                "嘗試次數過多，請稍後再試。約需等待（分鐘）：",
                "Too many attempts. Please try again later; minutes to wait:",
            ),
            (s + 59) / 60
        ),
        Some(Notice::Unavailable) => format!(
            r#"<p class="notice" role="alert" id="notice">{}</p>"#,
            lang.t(
                "查询暂不可用，请稍后再试。",
                "查詢暫不可用，請稍後再試。",
                "The lookup is unavailable; please try again later.",
            )
        ),
    };
    let body = format!(
        r#"<h1>{title}</h1>
{notice}<form method="post" action="/lookup" autocomplete="off">
<input type="hidden" name="lang" value="{lang}">
<label for="number">{number_label}</label>
<input id="number" name="number" value="{number}" required maxlength="40" autocapitalize="characters" spellcheck="false">
<label for="code">{code_label}</label>
<input id="code" name="code" required maxlength="12" inputmode="numeric" spellcheck="false" aria-describedby="code-hint">
<p class="hint" id="code-hint">{code_hint}</p>
<button type="submit" id="submit">{submit}</button>
</form>
<p class="hint">{privacy}</p>"#,
        lang = lang.code(),
        number = esc(number),
        number_label = lang.t("案件编号", "案件編號", "Case number"),
        code_label = lang.t("查询码", "查詢碼", "Lookup code"),
        code_hint = lang.t(
            "回执上的 8 位查询码，或受理时所留电话的后 4 位。",
            "回執上的 8 位查詢碼，或受理時所留電話的後 4 位。",
            "The 8-digit code on your receipt, or the last 4 digits of the phone you gave.",
        ),
        submit = lang.t("查询", "查詢", "Look up"),
        privacy = lang.t(
            "本页只显示办理进度，不显示任何个人信息。",
            "本頁只顯示辦理進度，不顯示任何個人資訊。",
            "This page shows the progress only, never anyone's personal information.",
        ),
    );
    shell(lang, title, &body)
}

fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&jiesu_protocol::time::cst())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

fn category_name(lang: Lang, code: &str) -> String {
    static NAMES: OnceLock<HashMap<String, (String, String)>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        fn walk(
            nodes: &[jiesu_protocol::catalog::Category],
            out: &mut HashMap<String, (String, String)>,
        ) {
            for n in nodes {
                out.insert(n.code.clone(), (n.zh.clone(), n.en.clone()));
                walk(&n.children, out);
            }
        }
        let mut out = HashMap::new();
        walk(&jiesu_protocol::catalog::categories(), &mut out);
        out
    });
    match names.get(code) {
        Some((_, en)) if lang == Lang::En => en.clone(),
        Some((zh, _)) => zh.clone(),
        None => code.to_owned(),
    }
}

fn stage(lang: Lang, s: Stage) -> &'static str {
    match s {
        Stage::Received => lang.t("已受理", "已受理", "Received"),
        Stage::Handling => lang.t("办理中", "辦理中", "In progress"),
        Stage::Resolved => lang.t("已办结", "已辦結", "Resolved"),
        Stage::Visited => lang.t("已回访", "已回訪", "Followed up"),
        Stage::Closed => lang.t("已归档", "已歸檔", "Closed"),
        Stage::Withdrawn => lang.t("已撤销", "已撤銷", "Withdrawn"),
        Stage::Merged => lang.t("已合并办理", "已合併辦理", "Handled with another case"),
    }
}

fn met(lang: Lang, v: Option<bool>) -> String {
    match v {
        Some(true) => format!(
            r#"<span class="ok">{}</span>"#,
            lang.t("按时", "按時", "on time")
        ),
        Some(false) => format!(
            r#"<span class="late">{}</span>"#,
            lang.t("超时", "超時", "late")
        ),
        None => lang.t("未到期", "未到期", "not yet due").to_owned(),
    }
}

fn step_text(lang: Lang, step: &Step) -> String {
    let t = |a, b, c| lang.t(a, b, c).to_owned();
    match step {
        Step::Received => t("诉求已受理", "訴求已受理", "Your case was received"),
        Step::Dispatched { unit } => format!(
            "{}{}",
            lang.t("已派至：", "已派至：", "Sent to: "),
            esc(unit)
        ),
        Step::Accepted => t("承办单位已签收", "承辦單位已簽收", "The unit took it on"),
        Step::Progress { text } => format!(
            "{}{}",
            lang.t("办理进展：", "辦理進展：", "Progress: "),
            esc(text)
        ),
        Step::Transferred { unit } => {
            format!("{}{}", lang.t("转交：", "轉交：", "Passed to: "), esc(unit))
        }
        Step::TransferredToOffice { office } => format!(
            "{}{}",
            lang.t("转至办理：", "轉至辦理：", "Now handled by: "),
            esc(office)
        ),
        Step::Extended { resolve_due } => format!(
            "{}{}",
            lang.t("办理期限延至：", "辦理期限延至：", "Deadline extended to: "),
            when(*resolve_due)
        ),
        Step::Resolved { outcome, reply } => format!(
            "{}{}",
            match outcome {
                Outcome::Solved => lang.t("已办结（已解决）：", "已辦結（已解決）：", "Resolved: "),
                Outcome::Explained => lang.t(
                    "已办结（已解释说明）：",
                    "已辦結（已解釋說明）：",
                    "Answered: "
                ),
                Outcome::Unsolvable => lang.t(
                    "已办结（暂无法解决）：",
                    "已辦結（暫無法解決）：",
                    "Closed, cannot be solved: "
                ),
            },
            esc(reply)
        ),
        Step::SolvedOnSpot { reply } => format!(
            "{}{}",
            lang.t("当场解决：", "當場解決：", "Solved on the spot: "),
            esc(reply)
        ),
        Step::Visited {
            reachable,
            solved,
            satisfaction,
        } => {
            if !reachable {
                return t(
                    "回访未能联系上",
                    "回訪未能聯繫上",
                    "Follow-up call: not reached",
                );
            }
            let s = match satisfaction {
                Some(Satisfaction::Satisfied) => lang.t("满意", "滿意", "satisfied"),
                Some(Satisfaction::BasicallySatisfied) => {
                    lang.t("基本满意", "基本滿意", "mostly satisfied")
                }
                Some(Satisfaction::Dissatisfied) => lang.t("不满意", "不滿意", "not satisfied"),
                None => "",
            };
            format!(
                "{}{}，{}",
                lang.t("已回访：", "已回訪：", "Followed up: "),
                if *solved {
                    lang.t("问题已解决", "問題已解決", "solved")
                } else {
                    lang.t("问题未解决", "問題未解決", "not solved")
                },
                s
            )
        }
        Step::Redone { resolve_due } => format!(
            "{}{}",
            lang.t("重新办理，期限：", "重新辦理，期限：", "Reopened, due: "),
            when(*resolve_due)
        ),
        Step::LetterIssued { promise, due_date } => format!(
            "{}{}（{}）",
            lang.t("承诺书：", "承諾書：", "Commitment: "),
            esc(promise),
            esc(due_date)
        ),
        Step::Archived => t("已归档", "已歸檔", "Closed"),
        Step::Withdrawn => t("已撤销", "已撤銷", "Withdrawn"),
        Step::Merged => t(
            "已与同一问题的其他诉求合并办理",
            "已與同一問題的其他訴求合併辦理",
            "Handled together with another report of the same problem",
        ),
    }
}

/// A case's public page.
pub fn case(lang: Lang, c: &PublicCase, now: i64) -> String {
    let title = lang.t("办理进度", "辦理進度", "Progress");
    let mut body = String::new();
    let _ = write!(
        body,
        r#"<h1>{title}</h1>
<section aria-labelledby="summary"><h2 id="summary">{number_label} {number}</h2>
<p><span class="stage" id="stage">{stage}</span></p>
<dl>
<dt>{category_label}</dt><dd>{category}</dd>
<dt>{received_label}</dt><dd>{received}</dd>
<dt>{response_label}</dt><dd>{response_due} · {response_met}</dd>
<dt>{resolve_label}</dt><dd>{resolve_due} · {resolve_met}</dd>
"#,
        number_label = lang.t("案件编号", "案件編號", "Case"),
        number = esc(&c.number),
        stage = stage(lang, c.stage),
        category_label = lang.t("类别", "類別", "Category"),
        category = esc(&category_name(lang, &c.category)),
        received_label = lang.t("受理时间", "受理時間", "Received"),
        received = when(c.received_at),
        response_label = lang.t("响应期限", "響應期限", "Response due"),
        response_due = when(c.response_due),
        response_met = met(lang, c.responded_in_time(now)),
        resolve_label = lang.t("办结期限", "辦結期限", "Resolution due"),
        resolve_due = when(c.resolve_due),
        resolve_met = met(lang, c.resolved_in_time(now)),
    );
    if let Some(letter) = &c.letter {
        let kept = match c.letter_kept(now) {
            Some(true) => lang.t("已兑现", "已兌現", "kept"),
            Some(false) => lang.t("未按期兑现", "未按期兌現", "not kept in time"),
            None => lang.t("履约中", "履約中", "in progress"),
        };
        let _ = writeln!(
            body,
            "<dt>{}</dt><dd>{}（{}）· {}</dd>",
            lang.t("承诺", "承諾", "Commitment"),
            esc(&letter.promise),
            esc(&letter.due_date),
            kept
        );
    }
    body.push_str("</dl></section>\n");
    let _ = write!(
        body,
        r#"<section aria-labelledby="steps"><h2 id="steps">{}</h2><ol id="trace">"#,
        lang.t("办理过程", "辦理過程", "Steps")
    );
    for s in &c.steps {
        let _ = write!(
            body,
            r#"<li><time>{}</time>{}</li>"#,
            when(s.at),
            step_text(lang, &s.what)
        );
    }
    let _ = write!(
        body,
        r#"</ol></section>
<p><a href="/lookup?lang={}">{}</a></p>"#,
        lang.code(),
        lang.t("查询其他案件", "查詢其他案件", "Look up another case")
    );
    shell(lang, title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_from_the_log_is_escaped() {
        assert_eq!(
            esc(r#"<script>alert("x")</script>&'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"
        );
        let page = form(Lang::En, "\"><script>", Some(Notice::NotFound));
        assert!(!page.contains("<script>"));
        assert!(page.contains("&quot;&gt;&lt;script&gt;"));
    }
}
