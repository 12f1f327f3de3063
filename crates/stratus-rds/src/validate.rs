//! RDS's rules for names and credentials, with AWS's messages.

use stratus_core::AwsError;

pub fn invalid_value(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("InvalidParameterValue", message)
}

pub fn invalid_combination(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("InvalidParameterCombination", message)
}

/// Instance, snapshot and group identifiers: 1 to 63 letters, digits or
/// hyphens; a letter first; no hyphen last nor two in a row.
pub fn identifier(param: &str, value: &str) -> Result<(), AwsError> {
    let ok = !value.is_empty()
        && value.len() <= 63
        && value.starts_with(|c: char| c.is_ascii_alphabetic())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !value.ends_with('-')
        && !value.contains("--");
    if ok {
        Ok(())
    } else {
        Err(invalid_value(format!(
            "The parameter {param} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens."
        )))
    }
}

/// Subnet and parameter group names, which AWS also takes in any case
/// with periods, underscores and spaces.
pub fn group_name(param: &str, value: &str) -> Result<(), AwsError> {
    let ok = !value.is_empty()
        && value.len() <= 255
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '));
    if ok && value.to_ascii_lowercase() != "default" {
        Ok(())
    } else {
        Err(invalid_value(format!(
            "The parameter {param} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens."
        )))
    }
}

/// Words each engine keeps for itself.
fn reserved_user(engine: &str, name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    match engine {
        "postgres" => {
            matches!(
                n.as_str(),
                "postgres" | "rdsadmin" | "rdsrepladmin" | "rds_superuser" | "public" | "all"
            ) || n.starts_with("pg_")
        }
        _ => matches!(n.as_str(), "rdsadmin" | "root" | "mysql" | "rdsrepladmin"),
    }
}

pub fn master_username(engine: &str, value: Option<&str>) -> Result<String, AwsError> {
    let Some(v) = value.filter(|v| !v.is_empty()) else {
        return Err(invalid_value(
            "The parameter MasterUsername must be provided and must not be blank.",
        ));
    };
    let max = if engine == "postgres" { 63 } else { 32 };
    let ok = v.len() <= max
        && v.starts_with(|c: char| c.is_ascii_alphabetic())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return Err(invalid_value(format!(
            "The parameter MasterUsername is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and underscores; and must be 1 to {max} characters long."
        )));
    }
    if reserved_user(engine, v) {
        return Err(invalid_value(format!(
            "MasterUsername {v} cannot be used as it is a reserved word used by the engine"
        )));
    }
    Ok(v.to_string())
}

/// The master password a new instance or cluster gets: the one given, or
/// none when RDS manages it (`ManageMasterUserPassword`).
pub fn new_master_password(
    engine: &str,
    given: Option<&String>,
    managed: bool,
) -> Result<Option<String>, AwsError> {
    match (given, managed) {
        (Some(_), true) => Err(invalid_combination(
            "Can't specify both ManageMasterUserPassword and MasterUserPassword.",
        )),
        (Some(p), false) => {
            master_password(engine, p)?;
            Ok(Some(p.clone()))
        }
        (None, true) => Ok(None),
        (None, false) => Err(invalid_value(
            "The parameter MasterUserPassword must be provided and must not be blank.",
        )),
    }
}

/// A port RDS lets a database listen on.
pub fn port(port: i32) -> Result<(), AwsError> {
    if (1150..=65535).contains(&port) {
        return Ok(());
    }
    Err(invalid_value(format!(
        "Invalid port number: {port}. Valid range is 1150-65535."
    )))
}

pub fn master_password(engine: &str, value: &str) -> Result<(), AwsError> {
    let max = if engine == "postgres" { 128 } else { 41 };
    if value.len() < 8 {
        return Err(invalid_value(
            "The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.",
        ));
    }
    if value.len() > max {
        return Err(invalid_value(format!(
            "The parameter MasterUserPassword is not a valid password because it is longer than {max} characters."
        )));
    }
    let printable = value
        .chars()
        .all(|c| c.is_ascii_graphic() && !matches!(c, '/' | '@' | '"'));
    if !printable {
        return Err(invalid_value(
            "The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', '@', '\"', ' ' may be used.",
        ));
    }
    Ok(())
}

/// The initial database's name: letters, digits and underscores, a letter
/// first (PostgreSQL up to 63, MySQL and MariaDB up to 64), never a word
/// the engine keeps.
pub fn db_name(engine: &str, value: &str) -> Result<(), AwsError> {
    let max = if engine == "postgres" { 63 } else { 64 };
    let ok = !value.is_empty()
        && value.len() <= max
        && value.starts_with(|c: char| c.is_ascii_alphabetic())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let reserved = match engine {
        "postgres" => matches!(value, "template0" | "template1" | "rdsadmin"),
        _ => matches!(
            value.to_ascii_lowercase().as_str(),
            "mysql" | "information_schema" | "performance_schema" | "sys" | "rdsadmin"
        ),
    };
    if ok && !reserved {
        Ok(())
    } else {
        Err(invalid_value(format!(
            "The parameter DBName is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and underscores; and must be 1 to {max} characters long and not a reserved word."
        )))
    }
}

/// `ddd:hh24:mi-ddd:hh24:mi` (maintenance) or `hh24:mi-hh24:mi` (backup),
/// at least 30 minutes long.
pub fn window(param: &str, value: &str, with_day: bool) -> Result<(), AwsError> {
    const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let minute_of = |s: &str| -> Option<i32> {
        let (day, hm) = if with_day {
            let (d, hm) = s.split_once(':')?;
            (
                DAYS.iter().position(|x| *x == d.to_ascii_lowercase())? as i32,
                hm,
            )
        } else {
            (0, s)
        };
        let (h, m) = hm.split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m) = (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?);
        (h < 24 && m < 60).then_some(day * 1440 + h * 60 + m)
    };
    let bad = || {
        invalid_value(format!(
            "The parameter {param} must be in the format {}.",
            if with_day {
                "ddd:hh24:mi-ddd:hh24:mi"
            } else {
                "hh24:mi-hh24:mi"
            }
        ))
    };
    let (a, b) = value.split_once('-').ok_or_else(bad)?;
    let (a, b) = (minute_of(a).ok_or_else(bad)?, minute_of(b).ok_or_else(bad)?);
    let span = if with_day { 7 * 1440 } else { 1440 };
    let len = (b - a).rem_euclid(span);
    if len < 30 {
        return Err(invalid_value(format!(
            "The {param} must be at least 30 minutes."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_follow_aws_rules() {
        assert!(identifier("DBInstanceIdentifier", "mydb-1").is_ok());
        for bad in ["1db", "my--db", "mydb-", "my_db", "", &"a".repeat(64)] {
            let e = identifier("DBInstanceIdentifier", bad).unwrap_err();
            assert_eq!(e.code, "InvalidParameterValue", "{bad}");
        }
    }

    #[test]
    fn master_usernames_refuse_reserved_words() {
        assert_eq!(master_username("mysql", Some("admin")).unwrap(), "admin");
        assert!(master_username("mysql", Some("rdsadmin")).is_err());
        assert!(master_username("postgres", Some("postgres")).is_err());
        assert!(master_username("postgres", Some("1user")).is_err());
        assert!(master_username("mysql", None).is_err());
        assert!(master_username("mysql", Some(&"a".repeat(33))).is_err());
        assert!(master_username("postgres", Some(&"a".repeat(33))).is_ok());
    }

    #[test]
    fn passwords_are_printable_and_long_enough() {
        assert!(master_password("mysql", "secret99").is_ok());
        assert!(master_password("mysql", "short").is_err());
        assert!(master_password("mysql", "has/slash").is_err());
        assert!(master_password("mysql", "has space").is_err());
        assert!(master_password("mysql", "has\"quote").is_err());
        assert!(master_password("mysql", &"a".repeat(42)).is_err());
        assert!(master_password("postgres", &"a".repeat(42)).is_ok());
    }

    #[test]
    fn database_names() {
        assert!(db_name("mysql", "sample_db").is_ok());
        assert!(db_name("mysql", "mysql").is_err());
        assert!(db_name("postgres", "9db").is_err());
        assert!(db_name("postgres", "my-db").is_err());
        assert!(db_name("postgres", "template1").is_err());
    }

    #[test]
    fn windows_are_formatted_and_long_enough() {
        assert!(window("PreferredBackupWindow", "03:00-03:30", false).is_ok());
        assert!(window("PreferredBackupWindow", "23:45-00:15", false).is_ok());
        assert!(window("PreferredBackupWindow", "03:00-03:10", false).is_err());
        assert!(window("PreferredBackupWindow", "3:00-03:30", false).is_err());
        assert!(window("PreferredMaintenanceWindow", "sun:05:00-sun:06:00", true).is_ok());
        assert!(window("PreferredMaintenanceWindow", "sat:23:50-sun:00:30", true).is_ok());
        assert!(window("PreferredMaintenanceWindow", "xyz:05:00-sun:06:00", true).is_err());
    }
}
