use async_graphql::ErrorExtensions;
use partnerdesk_services::Error;

/// A resolver's error: a service error already mapped to a GraphQL error with `extensions.code` (and `field`,
/// `retryAfterSeconds`), internal causes logged and hidden. Deliberately not `Display`, so `?` on a service error
/// can only come through this mapping.
#[derive(Debug, Clone)]
pub struct ApiError(async_graphql::Error);

pub type Res<T> = std::result::Result<T, ApiError>;

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let code = e.code();
        if let Error::Unexpected(cause) = &e {
            tracing::error!(error = %format!("{cause:#}"), "internal error");
            return Self(
                async_graphql::Error::new("Something went wrong on our side. Try again later.")
                    .extend_with(|_, ext| ext.set("code", code)),
            );
        }
        Self(async_graphql::Error::new(e.to_string()).extend_with(|_, ext| {
            ext.set("code", code);
            for (name, value) in e.details() {
                ext.set(name, async_graphql::Value::from_json(value).unwrap_or_default());
            }
        }))
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        e.0
    }
}
