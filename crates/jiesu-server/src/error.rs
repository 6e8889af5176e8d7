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
