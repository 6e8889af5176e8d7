//! The case workflow as one state machine.
//!
//! [`check`] says whether an action is allowed in a case's current state; [`apply`] folds one
//! event into a case. Commands call `apply` on a copy before writing anything, and the
//! projection calls the same `apply` when it folds a stream, so the rules that refuse a click
//! are the rules that decide how replicated events combine.

use crate::error::{Error, Reason, Result};
use crate::event::{Event, EventBody};
use crate::model::{Action, Case, CaseLink, CaseState, LinkKind, PendingExtension, Satisfaction};

/// Whether `action` is allowed on `case` at time `now_ms`.
pub fn check(case: &Case, action: Action, now_ms: i64) -> Result<()> {
    use CaseState::*;
    let allowed = match action {
        Action::Dispatch => matches!(case.state, Received | Returned),
        Action::Accept => case.state == Dispatched,
        Action::Note => !matches!(case.state, Archived | Withdrawn | Merged),
        Action::Return | Action::Transfer => matches!(case.state, Dispatched | Handling),
        Action::TransferOffice => matches!(case.state, Received | Returned | Dispatched | Handling),
        Action::RequestExtension => {
            if case.pending_extension.is_some() && matches!(case.state, Dispatched | Handling) {
                return Err(not_allowed("extension_pending", action));
            }
            matches!(case.state, Dispatched | Handling)
        }
        Action::DecideExtension => {
            case.pending_extension.is_some() && matches!(case.state, Dispatched | Handling)
        }
        Action::Urge | Action::Withdraw | Action::Merge => case.state.is_open(),
        Action::Resolve => case.state == Handling,
        Action::Visit => case.state == Resolved,
        Action::Redo => {
            case.state == Visited
                && case.visit.as_ref().is_some_and(|v| {
                    v.reachable && (!v.solved || v.satisfaction == Some(Satisfaction::Dissatisfied))
                })
        }
        Action::Archive => case.state == Visited,
        Action::Link => !matches!(case.state, Merged),
        Action::Unmerge => case.state == Merged,
        Action::ResolveOnSpot => matches!(case.state, Received | Returned),
        Action::IssueLetter => {
            if case.letter.is_some() && case.state.is_open() {
                return Err(not_allowed("letter_issued", action));
            }
            case.state.is_open()
        }
    };
    if !allowed {
        let state = if action == Action::DecideExtension && case.pending_extension.is_none() {
            "no_extension_pending"
        } else {
            case.state.as_str()
        };
        return Err(not_allowed(state, action));
    }
    if action == Action::RequestExtension && now_ms >= case.resolve_due {
        return Err(Error::DeadlinePassed {
            due: crate::calendar::format_ms(case.resolve_due),
        });
    }
    Ok(())
}

fn not_allowed(state: &str, action: Action) -> Error {
    Error::NotAllowed {
        state: state.to_owned(),
        action: action.as_str().to_owned(),
    }
}

/// What a new command must also respect beyond [`check`]. These rules came later, so the
/// fold does not apply them: an event written before them still means what it meant.
/// While a commitment letter is open its promise is the case's deadline, and the office
/// does not move it alone: no extension is requested or decided.
pub fn check_new(case: &Case, action: Action) -> Result<()> {
    let extension = matches!(action, Action::RequestExtension | Action::DecideExtension);
    if extension && case.letter.is_some() && case.state.is_open() {
        return Err(not_allowed("letter_issued", action));
    }
    Ok(())
}

/// The actions offered for `case` at `now_ms`: exactly those [`check`] and [`check_new`]
/// allow.
pub fn allowed_actions(case: &Case, now_ms: i64) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| check(case, *a, now_ms).is_ok() && check_new(case, *a).is_ok())
        .collect()
}

/// Fold `event` into `case` (`None` before the stream's first event).
///
/// Returns the new case, or the reason the event cannot apply; the caller decides whether
/// that refuses a command (local) or records a conflict (replicated).
pub fn apply(case: Option<&Case>, event: &Event) -> Result<Case> {
    let at = event.hlc.wall_ms;
    let Some(case) = case else {
        return match &event.body {
            EventBody::CaseReceived(r) => Ok(Case {
                id: parse_stream(&event.stream)?,
                number: r.number.clone(),
                office: event.office.clone(),
                filed_by: event.device.clone(),
                state: CaseState::Received,
                channel: r.intake.channel,
                work_order_no: r.intake.work_order_no.clone(),
                category: r.intake.category.clone(),
                urgency: r.intake.urgency,
                resident: r.intake.resident.clone(),
                address: r.intake.address.clone(),
                description: r.intake.description.clone(),
                location: r.intake.location.clone(),
                attachment: r.intake.attachment.clone(),
                handling_unit: None,
                received_at: at,
                response_due: r.response_due,
                resolve_due: r.resolve_due,
                responded_at: None,
                resolved_at: None,
                outcome: None,
                result: String::new(),
                visit: None,
                visits: Vec::new(),
                closed_at: None,
                pending_extension: None,
                extension_count: 0,
                urge_count: 0,
                redo_count: 0,
                return_count: 0,
                links: Vec::new(),
                conflict_count: 0,
                updated_at: at,
                meeting: r.intake.meeting,
                on_spot: false,
                letter: None,
                work_order: None,
                merged_from: None,
                campaign: None,
            }),
            other => Err(Error::NotAllowed {
                state: "none".into(),
                action: other.kind().into(),
            }),
        };
    };
    if let EventBody::CaseOfficeAssigned { office, .. } = &event.body {
        // Not a step of the work: only who owns it. Once only, and only for pre-enrolment work.
        if case.office != crate::wire::UNENROLLED_OFFICE {
            return Err(Error::NotAllowed {
                state: case.state.as_str().into(),
                action: event.body.kind().into(),
            });
        }
        crate::authority::assignment(&case.filed_by, event)?;
        let mut c = case.clone();
        c.office = office.clone();
        return Ok(c);
    }
    if let EventBody::WorkOrderImported(w) = &event.body {
        // Beside an intake from the hotline, once, and only from the PC that filed it: no
        // other office's PC can pin a work order (and its deadline) on someone else's case.
        if case.work_order.is_some()
            || case.channel != crate::model::Channel::Hotline12345
            || event.device != case.filed_by
        {
            return Err(Error::NotAllowed {
                state: case.state.as_str().into(),
                action: event.body.kind().into(),
            });
        }
        let mut c = case.clone();
        c.work_order = Some((**w).clone());
        return Ok(c);
    }
    if let EventBody::CaseCampaignJoined { campaign, .. } = &event.body {
        // A site of one campaign, once; a merged case lives on in the other one.
        if case.campaign.is_some() || case.state == CaseState::Merged {
            return Err(Error::NotAllowed {
                state: case.state.as_str().into(),
                action: event.body.kind().into(),
            });
        }
        let mut c = case.clone();
        c.campaign = Some(*campaign);
        return Ok(c);
    }
    if let EventBody::CaseLookupCodeSet { .. } = &event.body {
        // Not a step of the work: the resident's key to the public page, in any state. Who
        // may set it is the step rule (the holder and those above it), checked on receipt.
        return Ok(case.clone());
    }
    if let EventBody::CaseTimesCorrected(_) = &event.body {
        // A note on the trace, in any state: what it says is in the event itself.
        return Ok(case.clone());
    }
    let Some(action) = event.body.action() else {
        return Err(Error::NotAllowed {
            state: case.state.as_str().into(),
            action: event.body.kind().into(),
        });
    };
    check(case, action, at)?;
    let mut c = case.clone();
    c.updated_at = at;
    match &event.body {
        EventBody::CaseDispatched { unit, .. } => {
            c.state = CaseState::Dispatched;
            c.handling_unit = Some(unit.clone());
        }
        EventBody::CaseAccepted { .. } => {
            c.state = CaseState::Handling;
            c.responded_at.get_or_insert(at);
        }
        EventBody::CaseNoted {
            contacted_resident, ..
        }
        | EventBody::CaseNotedPublic {
            contacted_resident, ..
        } => {
            if *contacted_resident {
                c.responded_at.get_or_insert(at);
            }
        }
        EventBody::CaseReturned { .. } => {
            c.state = CaseState::Returned;
            c.handling_unit = None;
            c.return_count = c.return_count.saturating_add(1);
            c.pending_extension = None;
        }
        EventBody::CaseTransferredToOffice { office, .. } => {
            // The receiving office dispatches to its own units.
            c.office = office.clone();
            c.state = CaseState::Received;
            c.handling_unit = None;
            c.pending_extension = None;
        }
        EventBody::CaseTransferred { unit, .. } => {
            c.state = CaseState::Dispatched;
            c.handling_unit = Some(unit.clone());
            c.pending_extension = None;
        }
        EventBody::ExtensionRequested { new_due, reason } => {
            c.pending_extension = Some(PendingExtension {
                new_due: *new_due,
                reason: reason.clone(),
            });
        }
        EventBody::ExtensionDecided { approved, .. } => {
            // `check` refused a decision with nothing pending; a fold must not panic anyway.
            if let Some(pending) = c.pending_extension.take()
                && *approved
            {
                c.resolve_due = pending.new_due;
                c.extension_count = c.extension_count.saturating_add(1);
            }
        }
        EventBody::CaseUrged { .. } => c.urge_count = c.urge_count.saturating_add(1),
        EventBody::CaseResolved { outcome, result } => {
            c.state = CaseState::Resolved;
            c.resolved_at = Some(at);
            c.outcome = Some(*outcome);
            c.result = result.clone();
            c.pending_extension = None;
        }
        EventBody::CaseVisited {
            reachable,
            contacted,
            solved,
            satisfaction,
            ..
        } => {
            c.state = CaseState::Visited;
            let visit = crate::model::VisitResult {
                reachable: *reachable,
                contacted: *contacted,
                solved: *solved,
                satisfaction: if *reachable { *satisfaction } else { None },
            };
            c.visits.push(visit.clone());
            c.visit = Some(visit);
        }
        EventBody::CaseRedone { resolve_due, .. } => {
            c.state = CaseState::Handling;
            c.redo_count = c.redo_count.saturating_add(1);
            c.resolve_due = *resolve_due;
            c.resolved_at = None;
            c.outcome = None;
        }
        EventBody::CaseArchived { .. } => {
            c.state = CaseState::Archived;
            c.closed_at = Some(at);
        }
        EventBody::CaseWithdrawn { .. } => {
            c.state = CaseState::Withdrawn;
            c.closed_at = Some(at);
            c.pending_extension = None;
        }
        EventBody::CaseLinked { other, link } => {
            if !c.links.iter().any(|l| l.other == *other) {
                c.links.push(CaseLink {
                    other: *other,
                    kind: *link,
                });
            }
            if *link == LinkKind::Duplicate {
                c.merged_from = Some(case.state);
                c.state = CaseState::Merged;
                c.closed_at = Some(at);
                c.pending_extension = None;
            }
        }
        EventBody::CaseUnmerged { other, .. } => {
            // Only the merge it names; the case goes back where it stood and the other case
            // stops listing it (its links are read from this case's row).
            let merged = c
                .links
                .iter()
                .position(|l| l.other == *other && l.kind == LinkKind::Duplicate)
                .ok_or_else(|| not_allowed(case.state.as_str(), Action::Unmerge))?;
            c.links.remove(merged);
            c.state = c.merged_from.take().unwrap_or(CaseState::Received);
            c.closed_at = None;
        }
        EventBody::CaseSolvedOnSpot { result } => {
            c.state = CaseState::Resolved;
            c.responded_at.get_or_insert(at);
            c.resolved_at = Some(at);
            c.outcome = Some(crate::model::Outcome::Solved);
            c.result = result.clone();
            c.on_spot = true;
        }
        EventBody::CommitmentIssued(commitment) => {
            c.letter = Some(crate::model::Letter {
                commitment: (**commitment).clone(),
                issued_at: at,
                issued_by: event.author.clone(),
            });
        }
        // Every kind with an action is handled above; a fold must not panic regardless.
        other => {
            return Err(Error::NotAllowed {
                state: case.state.as_str().into(),
                action: other.kind().into(),
            });
        }
    }
    Ok(c)
}

fn parse_stream(stream: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::parse_str(stream).map_err(|_| Error::invalid("stream", Reason::Malformed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Received;
    use crate::hlc::Hlc;
    use crate::model::*;

    fn ev(stream: uuid::Uuid, ms: i64, body: EventBody) -> Event {
        Event {
            id: uuid::Uuid::now_v7(),
            stream: stream.to_string(),
            hlc: Hlc {
                wall_ms: ms,
                counter: 0,
            },
            author: "t".into(),
            account: None,
            prev: None,
            sig: None,
            device: "d".into(),
            office: "o".into(),
            body,
        }
    }

    fn received(id: uuid::Uuid) -> Case {
        let body = EventBody::CaseReceived(Box::new(Received {
            number: "1".into(),
            intake: crate::event::Intake {
                channel: Channel::Phone,
                work_order_no: String::new(),
                category: "parking".into(),
                urgency: Urgency::Normal,
                resident: Resident::default(),
                address: Address::default(),
                description: "x".into(),
                location: String::new(),
                attachment: None,
                meeting: None,
            },
            response_due: 100,
            resolve_due: 1000,
        }));
        apply(None, &ev(id, 1, body)).unwrap()
    }

    #[test]
    fn an_office_transfer_hands_the_case_over_for_the_new_office_to_dispatch() {
        let id = uuid::Uuid::now_v7();
        let c = received(id);
        let c = apply(
            Some(&c),
            &ev(
                id,
                2,
                EventBody::CaseDispatched {
                    unit: "property".into(),
                    note: String::new(),
                },
            ),
        )
        .unwrap();
        let moved = apply(
            Some(&c),
            &ev(
                id,
                3,
                EventBody::CaseTransferredToOffice {
                    office: "street-1".into(),
                    office_name: "花园街道".into(),
                    reason: "跨社区".into(),
                },
            ),
        )
        .unwrap();
        assert_eq!(moved.office, "street-1");
        assert_eq!(moved.state, CaseState::Received);
        assert_eq!(moved.handling_unit, None);
        assert!(allowed_actions(&moved, 4).contains(&Action::Dispatch));
        let resolved = CaseState::Resolved;
        let mut done = moved.clone();
        done.state = resolved;
        assert!(check(&done, Action::TransferOffice, 5).is_err());
    }

    #[test]
    fn a_new_case_offers_dispatch_on_the_spot_letter_note_office_transfer_urge_withdraw_link_and_merge()
     {
        let c = received(uuid::Uuid::now_v7());
        assert_eq!(
            allowed_actions(&c, 2),
            vec![
                Action::Dispatch,
                Action::ResolveOnSpot,
                Action::IssueLetter,
                Action::Note,
                Action::TransferOffice,
                Action::Urge,
                Action::Withdraw,
                Action::Link,
                Action::Merge
            ]
        );
    }

    #[test]
    fn resolving_an_undispatched_case_names_state_and_action() {
        let id = uuid::Uuid::now_v7();
        let c = received(id);
        let e = ev(
            id,
            2,
            EventBody::CaseResolved {
                outcome: Outcome::Solved,
                result: "ok".into(),
            },
        );
        let err = apply(Some(&c), &e).unwrap_err();
        assert_eq!(
            err.to_string(),
            "action 'resolve' is not allowed while the case is 'received'"
        );
    }

    #[test]
    fn extension_is_refused_at_or_after_the_deadline_and_moves_it_when_approved() {
        let id = uuid::Uuid::now_v7();
        let mut c = received(id);
        c = apply(
            Some(&c),
            &ev(
                id,
                2,
                EventBody::CaseDispatched {
                    unit: "u".into(),
                    note: String::new(),
                },
            ),
        )
        .unwrap();
        let late = ev(
            id,
            1000,
            EventBody::ExtensionRequested {
                new_due: 5000,
                reason: "r".into(),
            },
        );
        assert!(matches!(
            apply(Some(&c), &late),
            Err(Error::DeadlinePassed { .. })
        ));
        let early = ev(
            id,
            999,
            EventBody::ExtensionRequested {
                new_due: 5000,
                reason: "r".into(),
            },
        );
        c = apply(Some(&c), &early).unwrap();
        let again = ev(
            id,
            999,
            EventBody::ExtensionRequested {
                new_due: 6000,
                reason: "r".into(),
            },
        );
        assert!(
            matches!(apply(Some(&c), &again), Err(Error::NotAllowed { ref state, .. }) if state == "extension_pending")
        );
        c = apply(
            Some(&c),
            &ev(
                id,
                1001,
                EventBody::ExtensionDecided {
                    approved: true,
                    note: String::new(),
                },
            ),
        )
        .unwrap();
        assert_eq!(c.resolve_due, 5000);
        assert_eq!(c.extension_count, 1);
    }

    #[test]
    fn redo_needs_a_dissatisfied_or_unsolved_visit() {
        let id = uuid::Uuid::now_v7();
        let mut c = received(id);
        for (t, body) in [
            EventBody::CaseDispatched {
                unit: "u".into(),
                note: String::new(),
            },
            EventBody::CaseAccepted {
                note: String::new(),
            },
            EventBody::CaseResolved {
                outcome: Outcome::Solved,
                result: "r".into(),
            },
        ]
        .into_iter()
        .enumerate()
        {
            c = apply(Some(&c), &ev(id, 2 + t as i64, body)).unwrap();
        }
        let visit = |sat| EventBody::CaseVisited {
            reachable: true,
            contacted: true,
            solved: true,
            satisfaction: Some(sat),
            note: String::new(),
        };
        let happy = apply(Some(&c), &ev(id, 10, visit(Satisfaction::Satisfied))).unwrap();
        assert!(!allowed_actions(&happy, 11).contains(&Action::Redo));
        assert!(allowed_actions(&happy, 11).contains(&Action::Archive));
        let unhappy = apply(Some(&c), &ev(id, 10, visit(Satisfaction::Dissatisfied))).unwrap();
        let redone = apply(
            Some(&unhappy),
            &ev(
                id,
                12,
                EventBody::CaseRedone {
                    reason: "r".into(),
                    resolve_due: 9000,
                },
            ),
        )
        .unwrap();
        assert_eq!(redone.state, CaseState::Handling);
        assert_eq!(redone.resolve_due, 9000);
        assert_eq!(redone.resolved_at, None);
    }
}
