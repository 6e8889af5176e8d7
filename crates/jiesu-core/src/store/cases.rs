//! Case commands: intake, the workflow's steps, and what they need (numbers, references, units).

use super::*;

impl Store {
    /// 受理: register a new case.
    /// The case gets its resident's lookup code in the same transaction (`store/lookup.rs`).
    pub fn receive(&mut self, input: NewCase) -> Result<Case> {
        let body = self.received(input)?;
        let id = Uuid::now_v7();
        let (code, lookup) = Store::new_lookup_code(id);
        self.commit_case_events_then(id, vec![body, lookup], None, |tx| {
            Store::keep_lookup_code(tx, id, &code)
        })
    }

    /// 新建关联案件: file a follow-up of case `of` (id or number), linked to it in the same
    /// transaction. A form without a resident (no name, no phone) takes the original's, and
    /// one without an address the original's: the window only ever sees them masked, so it
    /// cannot copy them itself.
    pub fn receive_follow_up(&mut self, of: &str, mut input: NewCase) -> Result<Case> {
        let original = self.load_case(self.resolve_case_ref(of)?)?;
        if input.resident.name.trim().is_empty() && input.resident.phone.trim().is_empty() {
            input.resident = original.resident.clone();
        }
        if input.address.display().trim().is_empty() {
            input.address = original.address.clone();
        }
        let received = self.received(input)?;
        let link = EventBody::CaseLinked {
            other: original.id,
            link: crate::model::LinkKind::Related,
        };
        let id = Uuid::now_v7();
        let (code, lookup) = Store::new_lookup_code(id);
        self.commit_case_events_then(id, vec![received, lookup, link], None, |tx| {
            Store::keep_lookup_code(tx, id, &code)
        })
    }

    /// The intake step for a validated form: its number and deadlines from this PC's clock.
    pub(super) fn received(&mut self, input: NewCase) -> Result<EventBody> {
        let input = validate_new_case(input)?;
        if let Some(a) = &input.attachment
            && !self.attachment_path(&a.sha256)?.exists()
        {
            return Err(Error::NotFound {
                what: "attachment",
                id: a.sha256.clone(),
            });
        }
        // Numbers and deadlines come from this PC's clock as the server corrected it, never
        // from the logical clock, which events from elsewhere may have moved.
        let now = self.clock.now_ms();
        let limits = self.policy.limits(&input.category, input.urgency);
        Ok(EventBody::CaseReceived(Box::new(Received {
            number: self.next_number(now)?,
            response_due: limits.response.due(&self.calendar, now),
            resolve_due: limits.resolve.due(&self.calendar, now),
            intake: input,
        })))
    }

    /// Perform a workflow step on a case.
    pub fn act(&mut self, case_id: Uuid, command: CaseCommand) -> Result<Case> {
        let case = self.load_case(case_id)?;
        let tree = crate::authority::Tree::new(self.directory()?);
        crate::authority::step(&tree, &self.identity.office, &case.office)?;
        // Refuse by state before looking at the form, so the message names the real problem.
        let now = self.clock.now_ms();
        workflow::check(&case, command.action(), now)?;
        workflow::check_new(&case, command.action())?;
        let body = self.command_body(&case, command, now)?;
        self.commit_case_event(case_id, body, Some(&case))
    }

    /// The deadline a redo at `now` gets by the office's policy.
    fn redo_due(&self, case: &Case, now: i64) -> i64 {
        self.policy
            .limits(&case.category, case.urgency)
            .resolve
            .due(&self.calendar, now)
    }

    pub(super) fn command_body(
        &self,
        case: &Case,
        command: CaseCommand,
        now: i64,
    ) -> Result<EventBody> {
        let link_kind = command.link_kind();
        Ok(match command {
            CaseCommand::Dispatch { unit, note } => EventBody::CaseDispatched {
                unit: self.known_unit(unit)?,
                note: text("note", note, false)?,
            },
            CaseCommand::Accept { note } => EventBody::CaseAccepted {
                note: text("note", note, false)?,
            },
            CaseCommand::Note {
                text: t,
                contacted_resident,
                public,
            } => {
                let text = text("text", t, true)?;
                if public {
                    EventBody::CaseNotedPublic {
                        text,
                        contacted_resident,
                    }
                } else {
                    EventBody::CaseNoted {
                        text,
                        contacted_resident,
                    }
                }
            }
            CaseCommand::Return { reason } => EventBody::CaseReturned {
                reason: text("reason", reason, true)?,
            },
            CaseCommand::Transfer { unit, reason } => {
                let unit = self.known_unit(unit)?;
                if case.handling_unit.as_deref() == Some(unit.as_str()) {
                    return Err(Error::invalid("unit", Reason::SameUnit));
                }
                EventBody::CaseTransferred {
                    unit,
                    reason: text("reason", reason, true)?,
                }
            }
            CaseCommand::TransferOffice { office, reason } => {
                let office = office.trim().to_owned();
                if office == case.office {
                    return Err(Error::invalid("office", Reason::SameOffice));
                }
                let target = self
                    .directory()?
                    .into_iter()
                    .find(|o| o.id == office)
                    .ok_or(Error::NotFound {
                        what: "office",
                        id: office,
                    })?;
                EventBody::CaseTransferredToOffice {
                    office: target.id,
                    office_name: target.name,
                    reason: text("reason", reason, true)?,
                }
            }
            CaseCommand::RequestExtension { new_due, reason } => {
                if new_due <= case.resolve_due {
                    return Err(Error::invalid("new_due", Reason::NotLater));
                }
                EventBody::ExtensionRequested {
                    new_due,
                    reason: text("reason", reason, true)?,
                }
            }
            CaseCommand::DecideExtension { approved, note } => EventBody::ExtensionDecided {
                approved,
                note: text("note", note, false)?,
            },
            CaseCommand::Urge { note } => EventBody::CaseUrged {
                note: text("note", note, true)?,
            },
            CaseCommand::Resolve { outcome, result } => EventBody::CaseResolved {
                outcome,
                result: text("result", result, true)?,
            },
            CaseCommand::Visit {
                reachable,
                contacted,
                solved,
                satisfaction,
                note,
            } => {
                if reachable && satisfaction.is_none() {
                    return Err(Error::invalid("satisfaction", Reason::Required));
                }
                EventBody::CaseVisited {
                    reachable,
                    contacted: reachable && contacted,
                    solved: reachable && solved,
                    satisfaction: if reachable { satisfaction } else { None },
                    note: text("note", note, false)?,
                }
            }
            CaseCommand::Redo { reason, due } => {
                let policy = self.redo_due(case, now);
                let resolve_due = match due {
                    // Later only: an earlier one would be a promise the policy does not give.
                    Some(d) if d < policy => return Err(Error::invalid("due", Reason::NotLater)),
                    Some(d) => d,
                    None => policy,
                };
                EventBody::CaseRedone {
                    reason: text("reason", reason, true)?,
                    resolve_due,
                }
            }
            CaseCommand::Archive { note } => EventBody::CaseArchived {
                note: text("note", note, false)?,
            },
            CaseCommand::Withdraw { reason } => EventBody::CaseWithdrawn {
                reason: text("reason", reason, true)?,
            },
            CaseCommand::Unmerge { reason } => {
                let other = case
                    .links
                    .iter()
                    .find(|l| l.kind == crate::model::LinkKind::Duplicate)
                    .map(|l| l.other)
                    .ok_or(Error::invalid("other", Reason::Required))?;
                EventBody::CaseUnmerged {
                    other,
                    reason: text("reason", reason, true)?,
                }
            }
            CaseCommand::ResolveOnSpot { result } => EventBody::CaseSolvedOnSpot {
                result: text("result", result, true)?,
            },
            CaseCommand::IssueLetter(form) => {
                let letter = self.commitment(&case.description, form, now)?;
                // A promise beyond the deadline would leave the desk and the letter telling
                // two stories: the deadline is moved by an approved extension first.
                if letter.due > case.resolve_due {
                    return Err(Error::invalid("due_date", Reason::AfterDeadline));
                }
                EventBody::CommitmentIssued(Box::new(letter))
            }
            CaseCommand::Link { other } | CaseCommand::Merge { other } => {
                let other = self.resolve_case_ref(&other)?;
                if other == case.id {
                    return Err(Error::invalid("other", Reason::SelfLink));
                }
                if case.links.iter().any(|l| l.other == other)
                    && link_kind == Some(crate::model::LinkKind::Related)
                {
                    return Err(Error::invalid("other", Reason::AlreadyLinked));
                }
                EventBody::CaseLinked {
                    other,
                    link: link_kind.expect("link or merge"),
                }
            }
        })
    }

    pub(super) fn commit_case_event(
        &mut self,
        id: Uuid,
        body: EventBody,
        current: Option<&Case>,
    ) -> Result<Case> {
        let ev = self.new_event(id.to_string(), body)?;
        let case = workflow::apply(current, &ev)?;
        let sp = self.conn.savepoint()?;
        append(&sp, &ev)?;
        write_case(&sp, &case, &ev, Reindex::if_new(current.is_none()))?;
        sp.commit()?;
        Ok(case)
    }

    /// Several steps on one case at once (an intake and its lookup code; an imported work
    /// order's intake and its order): each folded and appended in order, the projection
    /// written once, with the last, and `then` in the same transaction.
    pub(super) fn commit_case_events_then(
        &mut self,
        id: Uuid,
        bodies: Vec<EventBody>,
        current: Option<&Case>,
        then: impl FnOnce(&Connection) -> Result<()>,
    ) -> Result<Case> {
        let (case, events) = self.fold_new_steps(id, bodies, current)?;
        let sp = self.conn.savepoint()?;
        write_steps(&sp, &case, &events, Reindex::if_new(current.is_none()))?;
        then(&sp)?;
        sp.commit()?;
        Ok(case)
    }

    /// Several steps on one case made and folded, not yet written ([`write_steps`]).
    pub(super) fn fold_new_steps(
        &mut self,
        id: Uuid,
        bodies: Vec<EventBody>,
        current: Option<&Case>,
    ) -> Result<(Case, Vec<Event>)> {
        let mut case = current.cloned();
        let mut events = Vec::with_capacity(bodies.len());
        for body in bodies {
            let ev = self.new_event(id.to_string(), body)?;
            case = Some(workflow::apply(case.as_ref(), &ev)?);
            events.push(ev);
        }
        match case {
            Some(case) if !events.is_empty() => Ok((case, events)),
            _ => Err(Error::invalid("events", Reason::Required)),
        }
    }

    pub(super) fn load_case(&self, id: Uuid) -> Result<Case> {
        Case::load(&self.conn, &id.to_string())?
            .map(|(c, _)| c)
            .ok_or(Error::NotFound {
                what: "case",
                id: id.to_string(),
            })
    }

    pub(super) fn resolve_case_ref(&self, r: &str) -> Result<Uuid> {
        let r = r.trim();
        let found: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM cases WHERE id = ?1 OR number = ?1 LIMIT 1",
                [r],
                |row| row.get(0),
            )
            .optional()?;
        found
            .and_then(|s| Uuid::parse_str(&s).ok())
            .ok_or(Error::NotFound {
                what: "case",
                id: r.to_owned(),
            })
    }

    pub(super) fn known_unit(&self, code: String) -> Result<String> {
        if self.units()?.iter().any(|u| u.code == code) {
            Ok(code)
        } else {
            Err(Error::NotFound {
                what: "unit",
                id: code,
            })
        }
    }

    pub(super) fn next_number(&self, now: i64) -> Result<String> {
        self.number_after(&self.number_prefix(now), 0)
    }

    /// `YYMMDD-TG`: the day (China time) and this device's tag.
    pub(super) fn number_prefix(&self, now: i64) -> String {
        let day = calendar::local_date(now).format("%y%m%d");
        let tag = self
            .device_tag
            .clone()
            .unwrap_or_else(|| device_tag(&self.identity.device));
        format!("{day}-{tag}")
    }

    /// The next number of a prefix, `skip` more numbers being handed out at once.
    pub(super) fn number_after(&self, prefix: &str, skip: u32) -> Result<String> {
        Ok(number_of(prefix, self.numbers_taken(prefix)? + skip))
    }

    /// How many numbers of `prefix` are taken: counted, so ask once per batch (an import
    /// hands out thousands under one prefix).
    pub(super) fn numbers_taken(&self, prefix: &str) -> Result<u32> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM cases WHERE number >= ?1 AND number < ?1 || '~'",
            [prefix],
            |r| r.get(0),
        )?)
    }

    /// A case by id.
    pub fn case(&self, id: Uuid) -> Result<Case> {
        self.load_case(id)
    }

    /// Everything the case page shows.
    /// Masked for the signed-in account ([`crate::privacy`]).
    pub fn case_detail(&self, id: Uuid) -> Result<CaseDetail> {
        let v = self.case_detail_unmasked(id)?;
        self.shown(v)
    }

    /// [`Store::case_detail`] before masking.
    fn case_detail_unmasked(&self, id: Uuid) -> Result<CaseDetail> {
        let case = self.load_case(id)?;
        let now = self.clock.now_ms();
        let timeline = self.timeline(&id.to_string())?;
        let links = self.links_of(&case)?;
        let tree = crate::authority::Tree::new(self.directory()?);
        let held_elsewhere =
            (!crate::authority::answers_for(&tree, &self.identity.office, &case.office)).then(
                || {
                    tree.get(&case.office)
                        .map_or_else(|| case.office.clone(), |o| o.name.clone())
                },
            );
        let allowed: Vec<crate::model::Action> = match held_elsewhere {
            Some(_) => Vec::new(),
            None => workflow::allowed_actions(&case, now)
                .into_iter()
                // Another office can only be named once the server's directory is known.
                .filter(|a| !tree.is_empty() || *a != crate::model::Action::TransferOffice)
                .collect(),
        };
        let mut named_cases = std::collections::BTreeMap::new();
        for t in &timeline {
            if let EventBody::CaseLinked { other, .. } | EventBody::CaseUnmerged { other, .. } =
                &t.event.body
                && let Ok(c) = self.load_case(*other)
            {
                named_cases.insert(*other, c.number);
            }
        }
        Ok(CaseDetail {
            named_cases,
            redo_due: allowed
                .contains(&crate::model::Action::Redo)
                .then(|| self.redo_due(&case, now)),
            allowed,
            held_elsewhere,
            response_status: due_status(
                case.responded_at.is_none() && case.state.is_open(),
                case.response_due,
                now,
            ),
            resolve_status: due_status(case.state.is_open(), case.due_at(), now),
            due: case.due_at(),
            meetings: self.case_meetings(case.id)?,
            letter_status: case.letter_status(now),
            case,
            timeline,
            links,
        })
    }

    /// The cases linked to `case`: its own links, then those other cases made to it (found
    /// through `case_links`, so a case merged into this one on another PC shows here once
    /// synced). A link to a case this replica does not hold is left out.
    fn links_of(&self, case: &Case) -> Result<Vec<LinkedCase>> {
        let mut links = Vec::new();
        for l in &case.links {
            if let Ok(other) = self.load_case(l.other) {
                links.push(LinkedCase {
                    id: other.id,
                    number: other.number,
                    kind: l.kind,
                    inbound: false,
                    state: other.state,
                });
            }
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.number, c.state, l.kind FROM case_links l
             JOIN cases c ON c.id = l.case_id
             WHERE l.other = ?1 ORDER BY c.received_at, c.id",
        )?;
        let inbound = stmt.query_map([case.id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        for row in inbound {
            let (id, number, state, kind) = row?;
            let (Ok(id), Some(state), Some(kind)) = (
                Uuid::parse_str(&id),
                enum_parse::<CaseState>(&state).ok(),
                enum_parse::<crate::model::LinkKind>(&kind).ok(),
            ) else {
                continue;
            };
            // Linked both ways: shown once, as this case's own step.
            if links.iter().any(|l| l.id == id) {
                continue;
            }
            links.push(LinkedCase {
                id,
                number,
                kind,
                inbound: true,
                state,
            });
        }
        Ok(links)
    }
}

/// Two characters from the device id that keep case numbers unique across an office's PCs.
pub(super) fn device_tag(device: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let h = sha2::Sha256::digest(device.as_bytes());
    [h[0], h[1]]
        .iter()
        .map(|b| ALPHABET[(*b as usize) % 32] as char)
        .collect()
}

/// The number after `taken` numbers of `prefix`.
pub(super) fn number_of(prefix: &str, taken: u32) -> String {
    format!("{prefix}{:03}", taken + 1)
}

/// Append a case's new steps and write its projection once, with the last. Atomic only
/// within the caller's transaction or savepoint.
pub(super) fn write_steps(
    conn: &Connection,
    case: &Case,
    events: &[Event],
    reindex: Reindex,
) -> Result<()> {
    for ev in events {
        append(conn, ev)?;
    }
    if let Some(last) = events.last() {
        write_case(conn, case, last, reindex)?;
    }
    Ok(())
}
