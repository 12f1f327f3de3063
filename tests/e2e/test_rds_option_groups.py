"""RDS option groups (stored only): the engines' default groups, your own
with MariaDB's audit plugin, copies, instances that use them, and AWS's
errors."""

from __future__ import annotations

from conftest import run_aws
from test_rds import api_server, create, err, rds, wait_gone, wait_status  # noqa: F401


def test_option_groups_and_their_members(api_server, rds):
    names = [g["OptionGroupName"] for g in rds.describe_option_groups()["OptionGroupsList"]]
    assert {"default:mysql-8-0", "default:mariadb-10-11", "default:postgres-15"} <= set(names)
    inst = create(rds, "og-default")
    assert inst["OptionGroupMemberships"] == [{"OptionGroupName": "default:mysql-8-0", "Status": "in-sync"}]

    opts = rds.describe_option_group_options(EngineName="mysql", MajorEngineVersion="8.0")["OptionGroupOptions"]
    assert [o["Name"] for o in opts] == ["MARIADB_AUDIT_PLUGIN"]
    assert rds.describe_option_group_options(EngineName="postgres")["OptionGroupOptions"] == []

    g = rds.create_option_group(OptionGroupName="audit", EngineName="mysql", MajorEngineVersion="8.0",
                                OptionGroupDescription="audit log")["OptionGroup"]
    assert g["OptionGroupArn"].endswith(":og:audit") and g["Options"] == []
    g = rds.modify_option_group(OptionGroupName="audit", ApplyImmediately=True, OptionsToInclude=[{
        "OptionName": "MARIADB_AUDIT_PLUGIN",
        "OptionSettings": [{"Name": "SERVER_AUDIT_EVENTS", "Value": "CONNECT,QUERY"}]}])["OptionGroup"]
    assert g["Options"][0]["OptionName"] == "MARIADB_AUDIT_PLUGIN"
    assert g["Options"][0]["OptionSettings"][0]["Value"] == "CONNECT,QUERY"

    copy = rds.copy_option_group(SourceOptionGroupIdentifier="audit", TargetOptionGroupIdentifier="audit-copy",
                                 TargetOptionGroupDescription="copy")["OptionGroup"]
    assert copy["SourceOptionGroup"] == "audit" and len(copy["Options"]) == 1
    got = rds.describe_option_groups(EngineName="mysql", MajorEngineVersion="8.0")["OptionGroupsList"]
    assert {g["OptionGroupName"] for g in got} == {"default:mysql-8-0", "audit", "audit-copy"}

    create(rds, "og-user", OptionGroupName="audit")
    assert rds.describe_db_instances(DBInstanceIdentifier="og-user")["DBInstances"][0][
        "OptionGroupMemberships"][0]["OptionGroupName"] == "audit"
    code = err(rds.delete_option_group, OptionGroupName="audit")[0]
    assert code == "InvalidOptionGroupStateFault"
    wait_status(api_server, rds, "og-user", "available")
    rds.modify_db_instance(DBInstanceIdentifier="og-user", OptionGroupName="default:mysql-8-0",
                           ApplyImmediately=True)
    rds.delete_option_group(OptionGroupName="audit")
    assert err(rds.describe_option_groups, OptionGroupName="audit")[:3:2] == ("OptionGroupNotFoundFault", 404)

    # As a user types it.
    out = run_aws(api_server, "rds", "create-option-group", "--option-group-name", "cli-og",
                  "--engine-name", "mariadb", "--major-engine-version", "10.11",
                  "--option-group-description", "from the CLI")
    assert out["OptionGroup"]["EngineName"] == "mariadb"
    failed = run_aws(api_server, "rds", "delete-option-group", "--option-group-name", "nope", check=False)
    assert failed.returncode != 0 and "OptionGroupNotFoundFault" in failed.stderr


def test_option_group_errors(api_server, rds):
    rds.create_option_group(OptionGroupName="og", EngineName="mysql", MajorEngineVersion="8.0",
                            OptionGroupDescription="d")
    assert err(rds.create_option_group, OptionGroupName="og", EngineName="mysql", MajorEngineVersion="8.0",
               OptionGroupDescription="d")[0] == "OptionGroupAlreadyExistsFault"
    assert err(rds.copy_option_group, SourceOptionGroupIdentifier="missing", TargetOptionGroupIdentifier="x",
               TargetOptionGroupDescription="d")[0] == "OptionGroupNotFoundFault"
    assert err(rds.copy_option_group, SourceOptionGroupIdentifier="default:mysql-8-0",
               TargetOptionGroupIdentifier="og", TargetOptionGroupDescription="d")[0] == \
        "OptionGroupAlreadyExistsFault"
    for call, kw in ((rds.delete_option_group, {}), (rds.modify_option_group, {"OptionsToRemove": ["X"]})):
        assert err(call, OptionGroupName="default:mysql-8-0", **kw)[0] == "InvalidOptionGroupStateFault"
    assert err(rds.modify_option_group, OptionGroupName="og",
               OptionsToInclude=[{"OptionName": "NOT_AN_OPTION"}])[0] == "InvalidParameterValue"
    assert err(rds.create_option_group, OptionGroupName="pg", EngineName="postgres", MajorEngineVersion="9",
               OptionGroupDescription="d")[0] == "InvalidParameterValue"
    # A group of another engine cannot serve an instance.
    code = err(rds.create_db_instance, DBInstanceIdentifier="wrong", Engine="postgres",
               DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="master",
               MasterUserPassword="Lab-Passw0rd!", OptionGroupName="og")[0]
    assert code == "InvalidParameterCombination"
    assert err(rds.create_db_instance, DBInstanceIdentifier="wrong", Engine="mysql",
               DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="admin",
               MasterUserPassword="Lab-Passw0rd!", OptionGroupName="missing")[0] == "OptionGroupNotFoundFault"
