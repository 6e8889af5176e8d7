//! `jiesu import FILE`: the window's importer from a command line (a night job, or an office
//! that receives its exports by mail), through the same core calls. It signs in as an
//! account of the office (`--login`, the password from `JIESU_PASSWORD` or the first line of
//! standard input), reads the file under the mapping remembered for its headers (or the
//! guess), and prints what it did and every row it could not take. `--dry-run` prints the
//! preview and writes nothing.
//!
//! Exit status: 0 every row imported or already held; 3 some rows could not be imported (the
//! others were); 2 nothing imported (a refusal, a file that is no export, a wrong password).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use jiesu_core::import::report::reason_zh;
use jiesu_core::store::{self, StoreFile};
use jiesu_core::{CorrectedClock, Error, Store};

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
pub struct ImportArgs {
    /// The export.
    pub file: PathBuf,
    /// The account to act as.
    pub login: String,
    /// Show the preview only.
    pub dry_run: bool,
}

const USAGE: &str = "用法: jiesu import 文件.xlsx|文件.csv --login 登录名 [--dry-run]\n\
                     密码取自环境变量 JIESU_PASSWORD，否则读标准输入的第一行。";

/// `args` after the program's name, when they ask for an import (`None`: start the window).
pub fn parse(args: &[String]) -> Option<Result<ImportArgs, String>> {
    let (first, rest) = args.split_first()?;
    if first != "import" {
        return None;
    }
    let mut file = None;
    let mut login = None;
    let mut dry_run = false;
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--login" => login = it.next().cloned(),
            "--dry-run" => dry_run = true,
            "-h" | "--help" => return Some(Err(USAGE.to_owned())),
            s if s.starts_with("--") => return Some(Err(format!("未知选项 {s}\n{USAGE}"))),
            s => file = Some(PathBuf::from(s)),
        }
    }
    Some(match (file, login) {
        (Some(file), Some(login)) => Ok(ImportArgs {
            file,
            login,
            dry_run,
        }),
        _ => Err(USAGE.to_owned()),
    })
}

/// The password: `JIESU_PASSWORD`, else the first line of `stdin`.
pub fn password(stdin: &mut dyn BufRead) -> String {
    if let Ok(p) = std::env::var("JIESU_PASSWORD") {
        return p;
    }
    let mut line = String::new();
    let _ = stdin.read_line(&mut line);
    line.trim_end_matches(['\r', '\n']).to_owned()
}

fn say(e: &Error) -> String {
    match e {
        Error::Invalid { field, reason } => format!("{field}: {}", reason_zh(*reason)),
        other => other.to_string(),
    }
}

/// Run the import on the store in `dir`; the status to exit with.
pub fn run(
    dir: &Path,
    clock: &CorrectedClock,
    args: &ImportArgs,
    password: &str,
    out: &mut dyn Write,
) -> i32 {
    match import(dir, clock, args, password, out) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(out, "未导入: {}", say(&e));
            2
        }
    }
}

/// The first opening after an upgrade can take minutes: each step said once, as it begins,
/// on stderr (the import's own report goes to `out`).
fn upgrade_told_on_stderr() -> store::Opening {
    let last = std::sync::Mutex::new(None);
    store::Opening::watched(move |p| {
        let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
        if *last == Some(p.step) {
            return;
        }
        *last = Some(p.step);
        let step = match p.step {
            store::OpeningStep::Migrating => "升级数据结构",
            store::OpeningStep::RewritingCases => "整理案件记录",
            store::OpeningStep::Folding => "按操作留痕重新核对记录",
            store::OpeningStep::Indexing => "重建检索和账号记录",
            store::OpeningStep::Compacting => "压缩数据文件",
            store::OpeningStep::Encrypting => "加密本机数据文件",
        };
        match p.total {
            0 => eprintln!("正在升级本机数据（只需一次）：{step}"),
            n => eprintln!("正在升级本机数据（只需一次）：{step}，共 {n} 项"),
        }
    })
}

fn import(
    dir: &Path,
    clock: &CorrectedClock,
    args: &ImportArgs,
    password: &str,
    out: &mut dyn Write,
) -> jiesu_core::Result<i32> {
    let mut s = match store::store_file(dir)? {
        StoreFile::Encrypted => Store::unlock_watched(
            dir,
            Box::new(clock.clone()),
            &args.login,
            password,
            &upgrade_told_on_stderr(),
        )?,
        // A store whose first administrator does not exist yet: the window's first run first.
        StoreFile::New | StoreFile::Plain => {
            let _ = writeln!(
                out,
                "未导入: {} 还没有设置好的接诉数据，请先打开接诉完成首次设置",
                dir.display()
            );
            return Ok(2);
        }
    };
    let table = jiesu_core::import::read_file(&args.file)?;
    let preview = s.import_preview(&table, None)?;
    let w = |out: &mut dyn Write, line: String| {
        let _ = writeln!(out, "{line}");
    };
    w(
        out,
        format!(
            "{}: 按 {} 读取，第 {} 行是表头，共 {} 行；{}",
            args.file.display(),
            preview.encoding,
            preview.header_row,
            preview.rows,
            if preview.remembered {
                "沿用上次的对应关系"
            } else {
                "按表头识别的对应关系"
            }
        ),
    );
    for c in &preview.city_categories {
        let place = c.category.as_deref().unwrap_or("（未对应，这些行不导入）");
        w(out, format!("  分类 {} ({} 行) → {place}", c.city, c.rows));
    }
    if args.dry_run {
        w(
            out,
            format!(
                "预览：新工单 {} 件，已有未变 {} 件，有变化 {} 件，无法导入 {} 行（未写入）",
                preview.new,
                preview.unchanged,
                preview.changed.len(),
                preview.problems.len()
            ),
        );
        return Ok(if preview.problems.is_empty() { 0 } else { 3 });
    }
    let report = s.import_work_orders(&table, &preview.mapping, &mut |_, _| true)?;
    w(
        out,
        format!(
            "已导入 {} 件；已有未变 {} 件；有变化未改动 {} 件；无法导入 {} 行",
            report.imported,
            report.unchanged,
            report.changed.len(),
            report.problems.len()
        ),
    );
    for d in &report.changed {
        for c in &d.changes {
            w(
                out,
                format!(
                    "  有变化 第{}行 {} (案件 {}) {}: {} → {}",
                    d.row, d.work_order_no, d.case_number, c.field, c.was, c.now
                ),
            );
        }
    }
    for p in &report.problems {
        w(
            out,
            format!(
                "  无法导入 第{}行 {}: {} 「{}」",
                p.row,
                p.column,
                reason_zh(p.reason),
                p.value
            ),
        );
    }
    Ok(if report.problems.is_empty() { 0 } else { 3 })
}

/// Where the window keeps its store: `JIESU_DATA_DIR`, else the platform's data folder under
/// the app's identifier (what Tauri's `app_data_dir` gives the window).
pub fn data_dir() -> Option<PathBuf> {
    std::env::var_os("JIESU_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::data_dir().map(|d| d.join("cn.jiesu.desk")))
}

/// The command line's entry: read the password, run, say the status.
pub fn main(args: ImportArgs) -> i32 {
    let Some(dir) = data_dir() else {
        eprintln!("jiesu: no data folder");
        return 2;
    };
    let clock = match CorrectedClock::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("jiesu: {e}");
            return 2;
        }
    };
    let password = password(&mut std::io::stdin().lock());
    run(&dir, &clock, &args, &password, &mut std::io::stdout())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiesu_core::access::{NewAccount, Role};

    const PASSWORD: &str = "li-password-2026";

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// A data directory as the window's first run leaves it: an administrator, encrypted.
    fn office() -> (tempfile::TempDir, CorrectedClock) {
        let dir = tempfile::tempdir().unwrap();
        let clock = CorrectedClock::new(0);
        let (mut s, _) = crate::open_data_dir(dir.path(), &clock).unwrap();
        s.create_first_admin(
            "和美社区",
            NewAccount {
                login: "li".into(),
                name: "李书记".into(),
                role: Role::Admin,
                password: PASSWORD.into(),
            },
        )
        .unwrap();
        assert!(s.encrypt_now().unwrap());
        (dir, clock)
    }

    fn export(dir: &Path) -> PathBuf {
        let path = dir.join("工单.csv");
        std::fs::write(
            &path,
            "工单编号,派发时间,问题分类,主要内容,来电人电话\n\
             CLI-1,2026-11-29 09:00,城市管理->停车管理->违章停车,楼下车辆乱停,13800138000\n\
             CLI-2,后天,城市管理->停车管理->违章停车,小区门口车辆乱停,13900139000\n\
             CLI-3,2026-11-29 11:00,住房->物业服务,物业费上涨,13700137000\n",
        )
        .unwrap();
        path
    }

    /// Cases in the store (its events grow by a sign-in at each opening).
    fn cases(dir: &Path, clock: &CorrectedClock) -> u32 {
        Store::unlock(dir, Box::new(clock.clone()), "li", PASSWORD)
            .unwrap()
            .stats()
            .unwrap()
            .cases
    }

    #[test]
    fn the_command_line_is_read_or_left_to_the_window() {
        assert_eq!(parse(&[]), None);
        assert_eq!(parse(&args(&["--verbose"])), None);
        assert_eq!(
            parse(&args(&["import", "a.xlsx", "--login", "li", "--dry-run"])),
            Some(Ok(ImportArgs {
                file: "a.xlsx".into(),
                login: "li".into(),
                dry_run: true
            }))
        );
        assert!(matches!(parse(&args(&["import", "a.xlsx"])), Some(Err(_))));
        assert!(matches!(
            parse(&args(&["import", "a.xlsx", "--login", "li", "--force"])),
            Some(Err(_))
        ));
    }

    #[test]
    fn an_import_from_the_command_line_reports_what_it_did_and_every_row_it_could_not_take() {
        let (dir, clock) = office();
        let file = export(dir.path());
        assert_eq!(cases(dir.path(), &clock), 0);
        let run_it = |dry_run, password: &str| {
            let mut out = Vec::new();
            let a = ImportArgs {
                file: file.clone(),
                login: "li".into(),
                dry_run,
            };
            let code = run(dir.path(), &clock, &a, password, &mut out);
            (code, String::from_utf8(out).unwrap())
        };

        let (code, out) = run_it(true, PASSWORD);
        assert_eq!(code, 3, "{out}");
        assert!(out.contains("预览：新工单 2 件"), "{out}");
        assert_eq!(cases(dir.path(), &clock), 0, "a dry run writes nothing");

        let (code, out) = run_it(false, "not-the-password");
        assert_eq!(code, 2, "{out}");
        assert!(out.starts_with("未导入"), "{out}");

        let (code, out) = run_it(false, PASSWORD);
        assert_eq!(code, 3, "{out}");
        assert!(out.contains("已导入 2 件"), "{out}");
        assert!(
            out.contains("无法导入 第3行 派发时间: 日期时间无法识别 「后天」"),
            "{out}"
        );
        assert_eq!(cases(dir.path(), &clock), 2);

        let (code, out) = run_it(false, PASSWORD);
        assert!(out.contains("已导入 0 件；已有未变 2 件"), "{code}: {out}");
    }

    #[test]
    fn a_pc_without_an_office_yet_is_told_to_set_it_up_first() {
        let dir = tempfile::tempdir().unwrap();
        let mut out = Vec::new();
        let a = ImportArgs {
            file: dir.path().join("x.csv"),
            login: "li".into(),
            dry_run: false,
        };
        assert_eq!(
            run(dir.path(), &CorrectedClock::new(0), &a, "pw", &mut out),
            2
        );
        assert!(String::from_utf8(out).unwrap().contains("首次设置"));
    }
}
