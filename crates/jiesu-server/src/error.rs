//! Errors on the wire: every refusal is `{code, message, params}` with a 4xx status, and
//! nothing was written. Server faults are 5xx with code `server`; their details go to the log,
//! not to the caller.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiesu_protocol::{Code, WireError};

/// A request refused or failed.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: WireError,
}

impl ApiError {
    /// Any status with a code.
    pub fn with_status(status: StatusCode, code: Code, message: impl Into<String>) -> Self {
        Self::new(status, code, message)
    }

    fn new(status: StatusCode, code: Code, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: WireError::new(code, message),
        }
    }

    /// 422: well-formed but invalid input.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::InvalidInput,
            message,
        )
    }

    /// 400 for a body that does not parse.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Code::InvalidInput, message)
    }

    /// 401.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, Code::Unauthorized, message)
    }

    /// 403: outside the caller's scope.
    pub fn out_of_scope(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, Code::OutOfScope, message)
    }

    /// 422 for an event the app would not have written ([`jiesu_protocol::validate`]), 403
    /// for one claiming what its writer may not ([`jiesu_protocol::authority`]): the event's
    /// id, and the field and reason (or the rule) as a refused form names them.
    pub fn invalid_event(event: uuid::Uuid, e: jiesu_protocol::Refusal) -> Self {
        let mut body = e.to_wire();
        if let Some(p) = body.params.as_object_mut() {
            p.insert("event".into(), serde_json::json!(event));
        }
        body.message = format!("event {event}: {}", body.message);
        let status = if body.code == Code::OutOfScope {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        ApiError { status, body }
    }

    /// 422 `clock_ahead`: the push holds an event stamped `ahead_ms` after the server's
    /// time `server_time`, further than [`jiesu_protocol::wire::CLOCK_TOLERANCE_MS`] allows.
    pub fn clock_ahead(event: uuid::Uuid, ahead_ms: i64, server_time: i64) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: WireError {
                code: Code::ClockAhead,
                message: format!(
                    "event {event} is stamped {} minutes after the server's time: the clock of the PC that wrote it is ahead",
                    ahead_ms / 60_000
                ),
                params: serde_json::json!({
                    "event": event,
                    "ahead_ms": ahead_ms,
                    "server_time": server_time,
                }),
            },
        }
    }

    /// 429: too many failed attempts from one address; `retry_after_s` until the next.
    pub fn too_many(retry_after_s: i64) -> Self {
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            body: WireError {
                code: Code::TooManyAttempts,
                message: format!(
                    "too many failed enrolment attempts from this address; try again in {retry_after_s} s"
                ),
                params: serde_json::json!({ "retry_after_s": retry_after_s }),
            },
        }
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, Code::NotFound, message)
    }

    /// 413.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, Code::TooLarge, message)
    }

    /// 500; the cause is logged, the caller gets a generic message.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "server error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            Code::Server,
            "the server failed; try again later",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

impl From<crate::storage::StorageError> for ApiError {
    fn from(e: crate::storage::StorageError) -> Self {
        use crate::storage::StorageError as E;
        match e {
            E::Refused(refused) => refused.into(),
            E::NotFound(what) => ApiError::not_found(what),
            E::Conflict(what) => ApiError::invalid(what),
            E::Backend(cause) => ApiError::internal(cause),
        }
    }
}

/// The one place a refusal gets its status: 422 for what the app could not have written or
/// a push that contradicts the log, 403 for writing outside one's reach, 409 for enrolling a
/// live device.
impl From<crate::scope::Refused> for ApiError {
    fn from(r: crate::scope::Refused) -> Self {
        use crate::scope::Refused as R;
        match r {
            R::ClockAhead {
                event,
                ahead_ms,
                server_time,
            } => ApiError::clock_ahead(event, ahead_ms, server_time),
            R::Event { event, refusal } => ApiError::invalid_event(event, refusal),
            R::Invalid(message) => ApiError::invalid(message),
            R::OutOfScope(message) => ApiError::out_of_scope(message),
            R::DeviceEnrolled { .. } => {
                let mut e = ApiError::new(StatusCode::CONFLICT, Code::InvalidInput, r.to_string());
                e.body.params =
                    serde_json::json!({ "reason": jiesu_protocol::Reason::DeviceEnrolled });
                e
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::Refused;
    use jiesu_protocol::{Reason, Refusal};

    fn answer(r: Refused) -> (StatusCode, Code, serde_json::Value) {
        let e = ApiError::from(r);
        (e.status, e.body.code, e.body.params)
    }

    #[test]
    fn each_refusal_gets_its_status_here_and_keeps_what_the_app_reads() {
        let event = uuid::Uuid::nil();
        let (status, code, params) = answer(Refused::ClockAhead {
            event,
            ahead_ms: 3_600_000,
            server_time: 1,
        });
        assert_eq!(
            (status, code),
            (StatusCode::UNPROCESSABLE_ENTITY, Code::ClockAhead)
        );
        assert_eq!(params["ahead_ms"], 3_600_000);
        let (status, code, params) = answer(Refused::Event {
            event,
            refusal: Refusal::invalid("text", Reason::TooLong),
        });
        assert_eq!(
            (status, code),
            (StatusCode::UNPROCESSABLE_ENTITY, Code::InvalidInput)
        );
        assert_eq!(params["field"], "text");
        assert_eq!(params["event"], serde_json::json!(event));
        let (status, code, _) = answer(Refused::Event {
            event,
            refusal: Refusal::NoAuthority { why: "x".into() },
        });
        assert_eq!((status, code), (StatusCode::FORBIDDEN, Code::OutOfScope));
        let (status, code, _) = answer(Refused::Invalid("x".into()));
        assert_eq!(
            (status, code),
            (StatusCode::UNPROCESSABLE_ENTITY, Code::InvalidInput)
        );
        let (status, code, _) = answer(Refused::OutOfScope("x".into()));
        assert_eq!((status, code), (StatusCode::FORBIDDEN, Code::OutOfScope));
        let (status, code, params) = answer(Refused::DeviceEnrolled { device: "d".into() });
        assert_eq!((status, code), (StatusCode::CONFLICT, Code::InvalidInput));
        assert_eq!(params["reason"], "device_enrolled");
    }
}
