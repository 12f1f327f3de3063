//! The errors SQS raises, with AWS's codes (model shape names), statuses and
//! messages. The codec adds the legacy query code for query-compatible clients.

use stratus_core::AwsError;

pub fn no_queue() -> AwsError {
    AwsError::bad_request("QueueDoesNotExist", "The specified queue does not exist.")
}

pub fn invalid_parameter(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("InvalidParameterValue", message)
}

pub fn missing_parameter(name: &str) -> AwsError {
    AwsError::bad_request(
        "MissingParameter",
        format!("The request must contain the parameter {name}."),
    )
}

pub fn invalid_attribute_name(name: &str) -> AwsError {
    AwsError::bad_request("InvalidAttributeName", format!("Unknown Attribute {name}."))
}

pub fn invalid_attribute_value(name: &str) -> AwsError {
    AwsError::bad_request(
        "InvalidAttributeValue",
        format!("Invalid value for the parameter {name}."),
    )
}

pub fn receipt_invalid(handle: &str) -> AwsError {
    AwsError::bad_request(
        "ReceiptHandleIsInvalid",
        format!("The input receipt handle \"{handle}\" is not a valid receipt handle."),
    )
}

pub fn store(e: stratus_store::StoreError) -> AwsError {
    AwsError::internal(e.to_string())
}
