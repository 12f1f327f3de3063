//! The tables (and indexes) a DynamoDB request acts on, as IAM authorizes
//! them: `arn:aws:dynamodb:REGION:ACCOUNT:table/T`, `.../table/T/index/I`.
//! Batch and transaction operations name every table they touch.

use stratus_core::Identity;
use stratus_protocol::Value;

pub fn for_operation(caller: &Identity, region: &str, op: &str, input: &Value) -> Vec<String> {
    // TableName also accepts the table's ARN.
    let table = |name: &str| {
        if name.starts_with("arn:") {
            name.to_string()
        } else {
            format!(
                "arn:aws:dynamodb:{region}:{}:table/{name}",
                caller.account_id
            )
        }
    };
    let mut arns: Vec<String> = match op {
        "ListTables" | "ExecuteStatement" | "BatchExecuteStatement" | "ExecuteTransaction" => {
            Vec::new()
        }
        "BatchGetItem" | "BatchWriteItem" => match input.get("RequestItems") {
            Some(Value::Map(m)) => m.keys().map(|n| table(n)).collect(),
            _ => Vec::new(),
        },
        "TransactGetItems" | "TransactWriteItems" => input
            .list_member("TransactItems")
            .iter()
            .filter_map(|item| match item {
                Value::Map(m) => m.values().find_map(|a| a.str_member("TableName")),
                _ => None,
            })
            .map(table)
            .collect(),
        "TagResource" | "UntagResource" | "ListTagsOfResource" => input
            .str_member("ResourceArn")
            .map(str::to_string)
            .into_iter()
            .collect(),
        "Query" | "Scan" => input
            .str_member("TableName")
            .map(|t| match input.str_member("IndexName") {
                Some(i) => format!("{}/index/{i}", table(t)),
                None => table(t),
            })
            .into_iter()
            .collect(),
        _ => input
            .str_member("TableName")
            .map(table)
            .into_iter()
            .collect(),
    };
    arns.dedup();
    arns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::String(v.to_string())
    }

    fn map(pairs: Vec<(&str, Value)>) -> Value {
        let mut v = Value::map();
        for (k, x) in pairs {
            v.insert(k, x);
        }
        v
    }

    #[test]
    fn operations_name_their_tables() {
        let caller = Identity::root("111122223333", "AKIAEXAMPLE");
        let t = |n: &str| format!("arn:aws:dynamodb:us-west-2:111122223333:table/{n}");
        let put = |n: &str| map(vec![("Put", map(vec![("TableName", s(n))]))]);
        let cases: Vec<(&str, Value, Vec<String>)> = vec![
            (
                "GetItem",
                map(vec![("TableName", s("Music"))]),
                vec![t("Music")],
            ),
            (
                "PutItem",
                map(vec![("TableName", s(&t("Music")))]),
                vec![t("Music")],
            ),
            (
                "Query",
                map(vec![
                    ("TableName", s("Music")),
                    ("IndexName", s("ByArtist")),
                ]),
                vec![format!("{}/index/ByArtist", t("Music"))],
            ),
            (
                "Scan",
                map(vec![("TableName", s("Music"))]),
                vec![t("Music")],
            ),
            (
                "CreateTable",
                map(vec![("TableName", s("New"))]),
                vec![t("New")],
            ),
            (
                "BatchGetItem",
                map(vec![(
                    "RequestItems",
                    map(vec![("A", Value::map()), ("B", Value::map())]),
                )]),
                vec![t("A"), t("B")],
            ),
            (
                "BatchWriteItem",
                map(vec![(
                    "RequestItems",
                    map(vec![("A", Value::List(vec![]))]),
                )]),
                vec![t("A")],
            ),
            (
                "TransactWriteItems",
                map(vec![(
                    "TransactItems",
                    Value::List(vec![
                        put("A"),
                        map(vec![("Delete", map(vec![("TableName", s("B"))]))]),
                    ]),
                )]),
                vec![t("A"), t("B")],
            ),
            (
                "TransactGetItems",
                map(vec![(
                    "TransactItems",
                    Value::List(vec![map(vec![("Get", map(vec![("TableName", s("A"))]))])]),
                )]),
                vec![t("A")],
            ),
            (
                "TagResource",
                map(vec![("ResourceArn", s(&t("A")))]),
                vec![t("A")],
            ),
            ("ListTables", Value::map(), vec![]),
        ];
        for (op, inp, want) in cases {
            assert_eq!(for_operation(&caller, "us-west-2", op, &inp), want, "{op}");
        }
    }
}
