//! 12345 import benchmark: a generated Beijing-style .xlsx of N rows read, previewed and
//! imported into an empty store, end to end, with the process's peak memory. Run with
//! `cargo bench -p jiesu-core --bench import -- --rows 100000`. The file is written once to
//! `<workspace>/target/bench-import-<rows>.xlsx` and reused, so a run's peak memory is the
//! import's, not the writer's (run twice: the first only writes the file). Results go to
//! docs/BENCHMARKS.md by hand, with the machine and the date.

mod common;
use common::peak_mib;
use std::path::PathBuf;
use std::time::Instant;

use jiesu_core::*;

fn write_export(path: &std::path::Path, rows: usize) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let headers = [
        "工单编号",
        "工单类型",
        "问题分类",
        "标签",
        "标题",
        "主要内容",
        "工单状态",
        "来电人",
        "来电人电话/账号",
        "被反映区",
        "被反映街乡镇",
        "派发时间",
        "承诺完成时间",
        "企业名称",
        "工单性质",
        "村/社区",
        "小区点位",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let categories = [
        "城市管理->停车管理->违章停车",
        "住房->物业服务->物业收费",
        "城乡建设->房屋漏水",
        "环境保护->噪音->施工噪音",
        "城市管理->市政设施->路灯",
    ];
    let sent = ExcelDateTime::parse_from_str("2026-11-20 09:00:00").unwrap();
    let due = ExcelDateTime::parse_from_str("2026-12-04 18:00:00").unwrap();
    for i in 0..rows {
        let r = i as u32 + 1;
        let cells = [
            format!("BJ2026{i:09}"),
            ["投诉", "咨询", "求助", "建议"][i % 4].to_owned(),
            categories[i % categories.len()].to_owned(),
            "每月一题".to_owned(),
            format!("第{i}号诉求"),
            format!(
                "居民反映{}号楼附近的问题，已持续一周，请尽快处理（{i}）",
                i % 60
            ),
            "待办理".to_owned(),
            "居民".to_owned(),
            format!("138{:08}", i % 100_000_000),
            "朝阳区".to_owned(),
            "和平街道".to_owned(),
        ];
        for (c, v) in cells.iter().enumerate() {
            sheet.write_string(r, c as u16, v).unwrap();
        }
        sheet
            .write_datetime_with_format(r, 11, &sent, &date)
            .unwrap();
        if i % 3 == 0 {
            sheet
                .write_datetime_with_format(r, 12, &due, &date)
                .unwrap();
        }
        for (c, v) in [
            (13, "和美物业"),
            (14, "主办"),
            (15, "和美社区"),
            (16, "和美家园"),
        ] {
            sheet.write_string(r, c, v).unwrap();
        }
    }
    book.save(path).unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rows: usize = args
        .iter()
        .position(|a| a == "--rows")
        .and_then(|i| args.get(i + 1))
        .map_or(100_000, |s| s.parse().unwrap());
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../target/bench-import-{rows}.xlsx"));
    if !path.exists() {
        let t = Instant::now();
        write_export(&path, rows);
        eprintln!(
            "wrote {} ({:.1} MB) in {:.1} s; run again to measure",
            path.display(),
            std::fs::metadata(&path).unwrap().len() as f64 / 1e6,
            t.elapsed().as_secs_f64()
        );
        return;
    }
    let size = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;
    let before = peak_mib();
    let tmp = tempfile::tempdir().unwrap();
    let mut s = Store::open(tmp.path(), Box::new(ManualClock::new(1_795_395_600_000))).unwrap();
    s.set_identity("bench", "基准社区", "bench").unwrap();

    let t = Instant::now();
    let table = import::read_file(&path).unwrap();
    let read = t.elapsed().as_secs_f64();
    let after_read = peak_mib();
    let t = Instant::now();
    let preview = s.import_preview(&table, None).unwrap();
    let previewed = t.elapsed().as_secs_f64();
    assert_eq!(
        preview.new as usize,
        rows,
        "{:?}",
        &preview.problems[..3.min(preview.problems.len())]
    );
    let t = Instant::now();
    let report = s
        .import_work_orders(&table, &preview.mapping, &mut |_, _| true)
        .unwrap();
    let imported = t.elapsed().as_secs_f64();
    assert_eq!(report.imported as usize, rows);
    // The log is copied back on a thread of its own after the commit (`store::checkpoint`):
    // timed apart, as the window does not wait for it.
    let t = Instant::now();
    let copied = s.wait_for_checkpoint().map(|c| c.unwrap());
    let behind = t.elapsed().as_secs_f64();
    let total = read + previewed + imported;
    println!("| measure | value |");
    println!("|---|---|");
    println!("| file | {rows} rows, {size:.1} MB .xlsx |");
    println!("| read (calamine → rows of text) | {read:.2} s |");
    println!("| preview (every row read and looked up) | {previewed:.2} s |");
    println!("| import (one transaction, 2 events a row) | {imported:.2} s |");
    println!(
        "| end to end | {total:.2} s, {:.0} rows/s |",
        rows as f64 / total
    );
    if let Some(c) = copied {
        println!(
            "| log copied back behind the import (not waited for) | {:.2} s more, {} pages{} |",
            behind,
            c.pages,
            if c.truncated { ", log truncated" } else { "" }
        );
    }
    println!(
        "| peak memory (VmHWM) | {:.0} MiB at start, {after_read:.0} after reading, {:.0} at the end |",
        before,
        peak_mib()
    );
    // What the search index the import leaves costs a secretary: a word in every order, and
    // one order's own number in its text.
    for (label, words) in [
        ("a word in every order", ["处理", "持续", "附近", "一周"]),
        ("one order's number", ["12345", "67890", "4242", "99999"]),
    ] {
        let mut ms: Vec<f64> = (0..200)
            .map(|i| {
                let t = Instant::now();
                s.list_cases(&CaseQuery {
                    text: words[i % words.len()].into(),
                    page_size: 50,
                    ..Default::default()
                })
                .unwrap();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        println!(
            "| search after the import, {label}: p50 / p95 | {:.2} / {:.2} ms |",
            common::percentile(&mut ms, 0.5),
            common::percentile(&mut ms, 0.95)
        );
    }
}
