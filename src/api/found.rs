//! Reads of objects that may not exist: for a refresh, an import, a wait or a plan-time check
//! a 404 is an answer ("not there"), not a failure.

use super::ApiError;

/// Turns a 404 into `Ok(None)`; every other error stays an error.
pub trait Found<T> {
    fn found(self) -> Result<Option<T>, ApiError>;
}

impl<T> Found<T> for Result<T, ApiError> {
    fn found(self) -> Result<Option<T>, ApiError> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_404_reads_as_absent() {
        let missing = ApiError::from_status("GET", "/v2/databases/x", 404, "not_found", "gone");
        let refused = ApiError::from_status("GET", "/v2/databases/x", 401, "unauthorized", "no");
        assert_eq!(Ok::<_, ApiError>(1).found(), Ok(Some(1)));
        assert_eq!(Err::<i32, _>(missing).found(), Ok(None));
        assert_eq!(Err::<i32, _>(refused.clone()).found(), Err(refused));
    }
}
