//! Errors on the wire: every refusal is `{code, message, params}` with a 4xx status, and
//! nothing was written. Server faults are 5xx with code `server`; their details go to the log,
//! not to the caller.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiesu_core::{Code, WireError};

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

    /// 422 for an event the core would not have written ([`jiesu_core::validate`]): the
    /// event's id, and the field and reason as a refused form names them.
    pub fn invalid_event(event: uuid::Uuid, e: jiesu_core::Error) -> Self {
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
    /// time `server_time`, further than [`jiesu_core::wire::CLOCK_TOLERANCE_MS`] allows.
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
            E::Refused(api) => api,
            E::NotFound(what) => ApiError::not_found(what),
            E::Conflict(what) => ApiError::invalid(what),
            E::Backend(cause) => ApiError::internal(cause),
        }
    }
}
