//! SNS's errors, raised by shape name; the query codec writes their codes
//! (`NotFound`, `InvalidParameter`, ...).

use stratus_core::AwsError;

pub fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("InvalidParameterException", message)
}

pub fn topic_not_found() -> AwsError {
    AwsError::not_found("NotFoundException", "Topic does not exist")
}

pub fn subscription_not_found() -> AwsError {
    AwsError::not_found("NotFoundException", "Subscription does not exist")
}

pub fn resource_not_found() -> AwsError {
    AwsError::not_found("ResourceNotFoundException", "Resource does not exist")
}
