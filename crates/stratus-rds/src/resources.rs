//! The instances, snapshots, subnet groups and parameter groups an RDS
//! request acts on, as IAM authorizes them (`arn:aws:rds:REGION:ACCOUNT:db:ID`,
//! `cluster:ID`, `snapshot:ID`, `subgrp:NAME`, `pg:NAME`).

use stratus_core::Identity;
use stratus_protocol::Value;

/// Input members naming a resource, and the ARN kind they name.
const MEMBERS: &[(&str, &str)] = &[
    ("DBInstanceIdentifier", "db"),
    ("DBClusterIdentifier", "cluster"),
    ("SourceDBInstanceIdentifier", "db"),
    ("TargetDBInstanceIdentifier", "db"),
    ("DBSnapshotIdentifier", "snapshot"),
    ("SourceDBSnapshotIdentifier", "snapshot"),
    ("TargetDBSnapshotIdentifier", "snapshot"),
    ("DBSubnetGroupName", "subgrp"),
    ("DBParameterGroupName", "pg"),
];

pub fn for_operation(caller: &Identity, region: &str, op: &str, input: &Value) -> Vec<String> {
    if matches!(
        op,
        "AddTagsToResource" | "RemoveTagsFromResource" | "ListTagsForResource"
    ) {
        return input
            .str_member("ResourceName")
            .map(str::to_string)
            .into_iter()
            .collect();
    }
    let mut arns = Vec::new();
    for (member, kind) in MEMBERS {
        if let Some(id) = input.str_member(member) {
            // Source identifiers may already be ARNs (cross-region copies).
            let arn = if id.starts_with("arn:") {
                id.to_string()
            } else {
                format!(
                    "arn:aws:rds:{region}:{}:{kind}:{}",
                    caller.account_id,
                    id.to_ascii_lowercase()
                )
            };
            if !arns.contains(&arn) {
                arns.push(arn);
            }
        }
    }
    arns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> Value {
        let mut v = Value::map();
        for (k, x) in pairs {
            v.insert(*k, Value::String(x.to_string()));
        }
        v
    }

    #[test]
    fn operations_name_their_resources() {
        let caller = Identity::root("111122223333", "AKIAEXAMPLE");
        let r = |kind: &str, id: &str| format!("arn:aws:rds:us-east-1:111122223333:{kind}:{id}");
        let cases: Vec<(&str, Value, Vec<String>)> = vec![
            (
                "CreateDBInstance",
                map(&[
                    ("DBInstanceIdentifier", "Shop"),
                    ("DBSubnetGroupName", "private"),
                    ("DBParameterGroupName", "pg15"),
                ]),
                vec![r("db", "shop"), r("subgrp", "private"), r("pg", "pg15")],
            ),
            (
                "DeleteDBInstance",
                map(&[("DBInstanceIdentifier", "shop")]),
                vec![r("db", "shop")],
            ),
            (
                "CreateDBSnapshot",
                map(&[
                    ("DBInstanceIdentifier", "shop"),
                    ("DBSnapshotIdentifier", "snap1"),
                ]),
                vec![r("db", "shop"), r("snapshot", "snap1")],
            ),
            (
                "CopyDBSnapshot",
                map(&[
                    ("SourceDBSnapshotIdentifier", "snap1"),
                    ("TargetDBSnapshotIdentifier", "snap2"),
                ]),
                vec![r("snapshot", "snap1"), r("snapshot", "snap2")],
            ),
            (
                "DeleteDBSubnetGroup",
                map(&[("DBSubnetGroupName", "private")]),
                vec![r("subgrp", "private")],
            ),
            (
                "ListTagsForResource",
                map(&[("ResourceName", &r("db", "shop"))]),
                vec![r("db", "shop")],
            ),
            ("DescribeDBEngineVersions", Value::map(), vec![]),
        ];
        for (op, inp, want) in cases {
            assert_eq!(for_operation(&caller, "us-east-1", op, &inp), want, "{op}");
        }
    }
}
