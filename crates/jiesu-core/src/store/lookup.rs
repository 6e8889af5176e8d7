//! The resident's lookup code (查询码) and the receipt (回执) that carries it.
//!
//! Every case filed through the intake form gets a code in the same transaction as its intake:
//! eight random digits, of which the log (and so the server) holds only
//! [`jiesu_protocol::public::lookup_hash`]. The code itself is kept in `lookup_codes`, inside the
//! encrypted store, so the receipt can be printed again; a case filed on another PC, or before
//! codes existed, gets one when someone here issues a new code (the newest hash counts).
//! Reading a code is allowed to the roles that may issue one.

use jiesu_protocol::public::{lookup_hash, new_code};
use rand::Rng;

use super::*;
use crate::api::CaseReceipt;

const KIND: &str = "case_lookup_code_set";

impl Store {
    /// A fresh code for `case` and the step that records its hash.
    pub(super) fn new_lookup_code(case: Uuid) -> (String, EventBody) {
        let code = new_code(rand::rng().random());
        let hash = lookup_hash(case, &code);
        (code, EventBody::CaseLookupCodeSet { hash })
    }

    /// Keep the code of `case` (inside the caller's transaction).
    pub(super) fn keep_lookup_code(tx: &Connection, case: Uuid, code: &str) -> Result<()> {
        tx.prepare_cached(
            "INSERT INTO lookup_codes (case_id, code) VALUES (?1, ?2)
             ON CONFLICT(case_id) DO UPDATE SET code = ?2",
        )?
        .execute([case.to_string(), code.to_owned()])?;
        Ok(())
    }

    /// The receipt of a case (id or number): its number, its code if this PC holds one, and
    /// where the resident looks it up.
    pub fn receipt(&mut self, case_ref: &str) -> Result<CaseReceipt> {
        self.check_write(KIND)?;
        let case = self.load_case(self.resolve_case_ref(case_ref)?)?;
        let code: Option<String> = self
            .conn
            .query_row(
                "SELECT code FROM lookup_codes WHERE case_id = ?1",
                [case.id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        let lookup_url = self
            .enrolment()?
            .map(|e| format!("{}/lookup", e.server_url.trim_end_matches('/')));
        let office_name = self
            .directory()?
            .into_iter()
            .find(|o| o.id == case.office)
            .map(|o| o.name)
            .unwrap_or_else(|| self.identity.office_name.clone());
        Ok(CaseReceipt {
            case: case.id,
            number: case.number,
            received_at: case.received_at,
            code: code.map(|c| format!("{} {}", &c[..4], &c[4..])),
            lookup_url,
            office_name,
        })
    }

    /// 重新生成查询码: a new code for a case (the old one stops working once the server has
    /// the new hash), for a resident who lost theirs or a case filed elsewhere.
    pub fn issue_lookup_code(&mut self, case_ref: &str) -> Result<CaseReceipt> {
        let id = self.resolve_case_ref(case_ref)?;
        let case = self.load_case(id)?;
        let tree = crate::authority::Tree::new(self.directory()?);
        crate::authority::step(&tree, &self.identity.office, &case.office)?;
        let (code, body) = Store::new_lookup_code(id);
        let ev = self.new_event(id.to_string(), body)?;
        let folded = workflow::apply(Some(&case), &ev)?;
        let sp = self.conn.savepoint()?;
        append(&sp, &ev)?;
        write_case(&sp, &folded, &ev, Reindex::Keep)?;
        Store::keep_lookup_code(&sp, id, &code)?;
        sp.commit()?;
        self.receipt(&id.to_string())
    }
}
