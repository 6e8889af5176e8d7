//! Residents' personal information at the store's door: what each role is shown
//! ([`crate::privacy`]), the deliberate showing of a full value, and the access log it writes.

use rusqlite::params;
use uuid::Uuid;

use super::*;
use crate::access::Act;
use crate::privacy::{Exposure, Mask, PersonalField};

/// One showing of a resident's full value, as the access log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct AccessRecord {
    /// When (ms, the store's clock).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: i64,
    /// The account that asked.
    pub account: String,
    /// Its name then.
    pub name: String,
    /// The case.
    pub case_id: Uuid,
    /// Its number.
    pub number: String,
    /// Which field was shown.
    pub field: PersonalField,
}

impl Store {
    /// How much of a resident the signed-in account sees. With accounts in force and nobody
    /// signed in, the least (the shell refuses such reads anyway).
    pub fn exposure(&self) -> Result<Exposure> {
        Ok(match self.session() {
            Some(s) => Exposure::of(Some(s.role)),
            None if self.enforced()? => Exposure::Outsider,
            None => Exposure::Full,
        })
    }

    /// `v` as the signed-in account may see it: what the shell returns from a command that
    /// answers with a case (an intake, a step) passes through here.
    pub fn shown<T: Mask>(&self, mut v: T) -> Result<T> {
        v.mask(self.exposure()?);
        Ok(v)
    }

    /// Show one field of a case's resident in full (the "显示" button), to the roles that
    /// handle cases; the showing is written to the access log first.
    pub fn reveal(&mut self, case_id: Uuid, field: PersonalField) -> Result<String> {
        self.check(Act::RevealPersonal)?;
        let case = self.load_case(case_id)?;
        let value = match field {
            PersonalField::Phone => case.resident.phone.clone(),
            PersonalField::Name => case.resident.name.clone(),
            PersonalField::Address => case.address.display(),
        };
        let (account, name) = self
            .session()
            .map(|s| (s.account.to_string(), s.name.clone()))
            .unwrap_or_else(|| (String::new(), self.identity.author.clone()));
        self.conn
            .prepare_cached(
                "INSERT INTO access_log (at_ms, account, name, case_id, number, field)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                self.clock.now_ms(),
                account,
                name,
                case_id.to_string(),
                case.number,
                enum_name(&field)
            ])?;
        Ok(value)
    }

    /// The access log, newest first (administrators).
    pub fn access_log(&mut self, limit: u32) -> Result<Vec<AccessRecord>> {
        self.check(Act::ReadAccessLog)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT at_ms, account, name, case_id, number, field FROM access_log
             ORDER BY seq DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (at, account, name, case_id, number, field) = row?;
            out.push(AccessRecord {
                at,
                account,
                name,
                case_id: Uuid::parse_str(&case_id)
                    .map_err(|_| Error::invalid("case_id", Reason::Malformed))?,
                number,
                field: enum_parse(&field)?,
            });
        }
        Ok(out)
    }
}
