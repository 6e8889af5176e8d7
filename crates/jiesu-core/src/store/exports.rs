//! Exports (feature `exports`): the weekly or monthly report (.xlsx), case lists (CSV), the
//! minutes (.docx) and a meeting's calendar entry (.ics), written into a folder the shell
//! chooses. The server, which exports nothing, builds without them.

use uuid::Uuid;

use super::*;
use crate::figures::{Dimension, Figure, FigureQuery};
use crate::report;

impl Store {
    /// The weekly or monthly report of a period as `.xlsx`: figures with definitions, unit
    /// ranking, categories, and every case counted with its facts.
    pub fn report_xlsx(&self, q: &FigureQuery, title: &str) -> Result<Vec<u8>> {
        let d = self.dashboard(q, Dimension::Week)?;
        let cases = self.shown(self.figure_audit(q)?)?;
        let (units, categories) = (self.all_units()?, crate::catalog::category_paths());
        let offices = self.office_names()?;
        let names = report::Names {
            units: &units,
            categories: &categories,
            offices: &offices,
        };
        report::report_xlsx(title, &d, &cases, &names)
    }

    /// A campaign's board (问题清单, 整改清单, each office's counts) as .xlsx into `dir`.
    pub fn save_campaign_board(&self, dir: &std::path::Path, id: Uuid) -> Result<ExportedFile> {
        let board = self.campaign_board(id)?;
        let bytes = crate::campaign::board_xlsx(&board)?;
        let day = crate::calendar::local_date(self.clock.now_ms()).format("%Y-%m-%d");
        let title = crate::export::safe_title(&board.summary.title);
        crate::export::save(dir, &format!("{title} 专项整改 {day}.xlsx"), &bytes)
    }

    /// Write the report of `[from, to)` into `dir`, named for the office and the period.
    pub fn save_report(&self, dir: &std::path::Path, q: &FigureQuery) -> Result<ExportedFile> {
        let office = self.office_label();
        let span = format!(
            "{}至{}",
            crate::calendar::local_date(q.from).format("%Y-%m-%d"),
            crate::calendar::local_date(q.to - 1).format("%Y-%m-%d")
        );
        let title = format!("{office} 接诉即办统计（{span}）");
        let bytes = self.report_xlsx(q, &title)?;
        crate::export::save(dir, &format!("{office} {span} 接诉即办统计.xlsx"), &bytes)
    }

    /// The cases behind a figure as CSV, written into `dir`.
    pub fn save_figure_csv(
        &self,
        dir: &std::path::Path,
        q: &FigureQuery,
        figure: Figure,
        group: Option<(Dimension, String)>,
    ) -> Result<ExportedFile> {
        let rows = self.figure_cases(q, figure, group, 0, 0)?.rows;
        self.save_csv(dir, &enum_name(&figure), &rows)
    }

    /// A case list as filtered in the window, every page (up to the count cap), as CSV.
    pub fn save_list_csv(&self, dir: &std::path::Path, q: &CaseQuery) -> Result<ExportedFile> {
        let mut rows = Vec::new();
        let mut page = CaseQuery {
            page: 0,
            page_size: 200,
            ..q.clone()
        };
        loop {
            let p = self.list_cases(&page)?;
            let done = p.rows.len() < 200 || rows.len() + p.rows.len() >= super::COUNT_CAP as usize;
            rows.extend(p.rows);
            if done {
                break;
            }
            page.page += 1;
        }
        self.save_csv(dir, "list", &rows)
    }

    fn save_csv(
        &self,
        dir: &std::path::Path,
        what: &str,
        rows: &[CaseRow],
    ) -> Result<ExportedFile> {
        let (units, categories) = (self.all_units()?, crate::catalog::category_paths());
        let names = report::Names {
            units: &units,
            categories: &categories,
            offices: &[],
        };
        let bytes = report::cases_csv(rows, &names)?;
        let stamp = crate::calendar::format_ms(self.clock.now_ms()).replace([':', ' '], "");
        crate::export::save(
            dir,
            &format!("{} 案件清单 {what} {stamp}.csv", self.office_label()),
            &bytes,
        )
    }

    /// The access log as CSV (UTF-8 with BOM, as Excel in China opens it), written into
    /// `dir` (administrators).
    pub fn save_access_log_csv(&mut self, dir: &std::path::Path) -> Result<ExportedFile> {
        let log = self.access_log(u32::MAX)?;
        let mut out = "\u{feff}".as_bytes().to_vec();
        {
            let mut w = csv::Writer::from_writer(&mut out);
            let io = |e: csv::Error| Error::Io(std::io::Error::other(e));
            w.write_record(["时间", "账号", "姓名", "案件编号", "查看内容"])
                .map_err(io)?;
            for r in &log {
                let field = match r.field {
                    crate::privacy::PersonalField::Phone => "联系电话",
                    crate::privacy::PersonalField::Name => "姓名",
                    crate::privacy::PersonalField::Address => "住址",
                };
                w.write_record([
                    crate::calendar::format_ms(r.at).as_str(),
                    r.account.as_str(),
                    r.name.as_str(),
                    r.number.as_str(),
                    field,
                ])
                .map_err(io)?;
            }
            w.flush()?;
        }
        let stamp = crate::calendar::format_ms(self.clock.now_ms()).replace([':', ' '], "");
        crate::export::save(
            dir,
            &format!("{} 个人信息查看记录 {stamp}.csv", self.office_label()),
            &out,
        )
    }

    /// The minutes as a `.docx` (see [`crate::export::minutes_docx`]).
    pub fn export_minutes_docx(&self, id: Uuid) -> Result<Vec<u8>> {
        let detail = self.meeting_detail(id)?;
        crate::export::minutes_docx(
            &detail,
            &self.all_units()?,
            &self.office_label(),
            self.clock.now_ms(),
        )
    }

    /// The meeting as an `.ics` calendar file.
    pub fn export_meeting_ics(&self, id: Uuid) -> Result<String> {
        Ok(crate::export::meeting_ics(
            &self.load_meeting(id)?,
            &self.office_label(),
        ))
    }

    /// Write the minutes' `.docx` into `dir`; returns where.
    pub fn save_minutes_docx(&self, dir: &std::path::Path, id: Uuid) -> Result<ExportedFile> {
        let m = self.load_meeting(id)?;
        let bytes = self.export_minutes_docx(id)?;
        crate::export::save(dir, &crate::export::file_name(&m, "纪要", "docx"), &bytes)
    }

    /// Write the meeting's `.ics` into `dir`; returns where.
    pub fn save_meeting_ics(&self, dir: &std::path::Path, id: Uuid) -> Result<ExportedFile> {
        let m = self.load_meeting(id)?;
        let ics = self.export_meeting_ics(id)?;
        crate::export::save(
            dir,
            &crate::export::file_name(&m, "日程", "ics"),
            ics.as_bytes(),
        )
    }

    /// Office code → name for the offices a report names: the directory's, and this office
    /// before enrolment (`local`).
    fn office_names(&self) -> Result<Vec<(String, String)>> {
        let mut names: Vec<(String, String)> = self
            .directory()?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        names.push(("local".to_owned(), self.office_label()));
        Ok(names)
    }

    /// The office as files and headings name it.
    fn office_label(&self) -> String {
        if self.identity.office_name.is_empty() {
            self.identity.office.clone()
        } else {
            self.identity.office_name.clone()
        }
    }
}
