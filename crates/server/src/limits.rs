//! Limits at the edge that protect the process from clients that send too much or too slowly: the size of a
//! request's head, and how long its body may take to arrive. (Heads that arrive slowly are cut off by actix-web's
//! `client_request_timeout`, 5 s; bodies by [`BODY_DEADLINE`] here.)

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpMessage as _, HttpResponse, web};
use futures_util::Stream;

/// Largest request head (request line and headers) taken: 32 KiB, like nginx's default `large_client_header_buffers`
/// in front. A larger one is answered 431 `HEADERS_TOO_LARGE` (above 128 KiB actix-web itself answers 431 and closes).
pub const MAX_HEAD_BYTES: usize = 32 * 1024;

/// How long a request body may take to arrive, from the end of its head: 10 s, so a 1 MiB body (the largest taken)
/// needs about 100 KiB/s. A client that sends more slowly (one byte a second, to hold a connection and a request open
/// for hours) gets 408 `REQUEST_TIMEOUT` and the connection is closed. WebSocket upgrades are not limited: their
/// "body" is the socket.
pub const BODY_DEADLINE: Duration = Duration::from_secs(10);

/// Refuses oversized heads and puts [`BODY_DEADLINE`] on reading the body.
pub async fn edge_limits(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let head_bytes = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len())
        + req.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum::<usize>();
    if head_bytes > MAX_HEAD_BYTES {
        let res = crate::http::error_response(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "HEADERS_TOO_LARGE",
            &format!("The request line and headers are {head_bytes} bytes; at most {MAX_HEAD_BYTES} are taken."),
        );
        return Ok(req.into_response(res).map_into_right_body());
    }
    if !req.head().upgrade() {
        let payload = req.take_payload();
        let limited: BoxedBody = Box::pin(Deadline {
            inner: payload,
            deadline: Box::pin(tokio::time::sleep(BODY_DEADLINE)),
            expired: false,
        });
        req.set_payload(Payload::from(limited));
    }
    Ok(next.call(req).await?.map_into_left_body())
}

type BoxedBody = Pin<Box<dyn Stream<Item = Result<web::Bytes, PayloadError>>>>;

/// The request body, ending in an error once [`BODY_DEADLINE`] has passed.
struct Deadline {
    inner: Payload,
    deadline: Pin<Box<tokio::time::Sleep>>,
    expired: bool,
}

impl Stream for Deadline {
    type Item = Result<web::Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut this.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.expired = true;
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body did not arrive in time",
            )))));
        }
        Poll::Pending
    }
}

/// True when reading the body failed because it did not arrive within [`BODY_DEADLINE`].
pub fn body_timed_out(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}

/// 408 `REQUEST_TIMEOUT`, closing the connection (the rest of the body is not waited for).
pub fn body_timeout_response() -> HttpResponse {
    let message = format!("The request body did not arrive within {} s.", BODY_DEADLINE.as_secs());
    HttpResponse::build(StatusCode::REQUEST_TIMEOUT)
        .force_close()
        .json(serde_json::json!({ "error": { "code": "REQUEST_TIMEOUT", "message": message } }))
}
