//! AWS's error codes and messages for CloudWatch Logs (all HTTP 400).

use stratus_core::AwsError;

pub fn invalid(msg: impl Into<String>) -> AwsError {
    AwsError::bad_request("InvalidParameterException", msg)
}

pub fn group_not_found() -> AwsError {
    AwsError::bad_request(
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    )
}

pub fn stream_not_found() -> AwsError {
    AwsError::bad_request(
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
    )
}

pub fn not_found(msg: impl Into<String>) -> AwsError {
    AwsError::bad_request("ResourceNotFoundException", msg)
}

pub fn already_exists(msg: impl Into<String>) -> AwsError {
    AwsError::bad_request("ResourceAlreadyExistsException", msg)
}

pub fn limit_exceeded() -> AwsError {
    AwsError::bad_request("LimitExceededException", "Resource limit exceeded.")
}

pub fn bad_token() -> AwsError {
    invalid("The specified nextToken is invalid.")
}
