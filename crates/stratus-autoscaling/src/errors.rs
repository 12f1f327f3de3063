//! Auto Scaling's errors as the query protocol carries them.

use stratus_core::AwsError;

pub fn validation(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("ValidationError", message)
}

pub fn already_exists(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("AlreadyExists", message)
}

pub fn in_use(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("ResourceInUse", message)
}

pub fn activity_in_progress(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("ScalingActivityInProgress", message)
}

pub fn limit_exceeded(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("LimitExceeded", message)
}

pub fn group_not_found(name: &str) -> AwsError {
    validation(format!(
        "AutoScalingGroup name not found - AutoScalingGroup '{name}' not found"
    ))
}

pub fn invalid_token() -> AwsError {
    AwsError::bad_request("InvalidNextToken", "The token provided is not valid.")
}
