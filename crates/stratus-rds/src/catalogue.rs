//! What AWS publishes rather than stores: engines and their versions,
//! instance classes, storage limits, parameter group families and their
//! parameters. A small slice of AWS's catalogue, enough for the engines
//! Stratus runs.

pub struct EngineInfo {
    pub name: &'static str,
    pub description: &'static str,
    pub port: i32,
    pub license: &'static str,
    /// Oldest first; the default is the last one whose major version is
    /// installed (see `default_version`).
    pub versions: &'static [&'static str],
}

pub const ENGINES: &[EngineInfo] = &[
    EngineInfo {
        name: "mariadb",
        description: "MariaDb Community Edition",
        port: 3306,
        license: "general-public-license",
        versions: &["10.11.8", "10.11.9", "10.11.10"],
    },
    EngineInfo {
        name: "mysql",
        description: "MySQL Community Edition",
        port: 3306,
        license: "general-public-license",
        versions: &["8.0.36", "8.0.39", "8.0.40"],
    },
    EngineInfo {
        name: "postgres",
        description: "PostgreSQL",
        port: 5432,
        license: "postgresql-license",
        versions: &["15.7", "15.8", "15.10", "16.3", "16.4", "16.6"],
    },
];

pub fn engine(name: &str) -> Option<&'static EngineInfo> {
    ENGINES.iter().find(|e| e.name == name)
}

/// The Aurora engines: clusters whose instances run the local server of
/// the engine they are compatible with (see `local_engine`).
pub const AURORA: &[EngineInfo] = &[
    EngineInfo {
        name: "aurora-mysql",
        description: "Aurora MySQL",
        port: 3306,
        license: "general-public-license",
        versions: &[
            "8.0.mysql_aurora.3.05.2",
            "8.0.mysql_aurora.3.07.1",
            "8.0.mysql_aurora.3.08.0",
        ],
    },
    EngineInfo {
        name: "aurora-postgresql",
        description: "Aurora (PostgreSQL)",
        port: 5432,
        license: "postgresql-license",
        versions: &["15.6", "15.8", "15.10", "16.4", "16.6"],
    },
];

pub fn aurora(name: &str) -> Option<&'static EngineInfo> {
    AURORA.iter().find(|e| e.name == name)
}

/// The engine whose server runs an instance of `engine`: Aurora MySQL on
/// MySQL's (MariaDB), Aurora PostgreSQL on PostgreSQL's.
pub fn local_engine(engine: &str) -> &str {
    match engine {
        "aurora-mysql" => "mysql",
        "aurora-postgresql" => "postgres",
        other => other,
    }
}

/// The classes Aurora offers (the burstable ones from medium up).
pub const AURORA_CLASSES: &[&str] = &[
    "db.t3.medium",
    "db.t3.large",
    "db.t4g.medium",
    "db.r5.large",
    "db.r6g.large",
    "db.r6i.large",
];

pub fn aurora_orderable(class_name: &str) -> bool {
    AURORA_CLASSES.contains(&class_name)
}

/// `8.0` for MySQL 8.0.36, `10.11` for MariaDB, `16` for PostgreSQL 16.4.
pub fn major(engine: &str, version: &str) -> String {
    let parts: Vec<&str> = version.split('.').collect();
    if local_engine(engine) == "postgres" {
        parts.first().copied().unwrap_or_default().to_string()
    } else {
        parts.iter().take(2).copied().collect::<Vec<_>>().join(".")
    }
}

pub fn family(engine: &str, version: &str) -> String {
    format!("{engine}{}", major(engine, version))
}

pub const FAMILIES: &[&str] = &["mariadb10.11", "mysql8.0", "postgres15", "postgres16"];

/// The engine a parameter group family belongs to.
pub fn family_engine(family: &str) -> Option<&'static str> {
    if !FAMILIES.contains(&family) {
        return None;
    }
    ENGINES
        .iter()
        .map(|e| e.name)
        .find(|n| family.starts_with(n))
}

/// A version named exactly, or by its major version (`8.0`, `16`), which
/// picks the newest minor.
pub fn resolve_version(engine: &EngineInfo, asked: &str) -> Option<&'static str> {
    if let Some(v) = engine.versions.iter().find(|v| **v == asked) {
        return Some(v);
    }
    engine
        .versions
        .iter()
        .rev()
        .find(|v| major(engine.name, v) == asked)
        .copied()
}

/// The newest version whose major version `installed` accepts, else the
/// newest of all.
pub fn default_version(engine: &EngineInfo, installed: impl Fn(&str) -> bool) -> &'static str {
    engine
        .versions
        .iter()
        .rev()
        .find(|v| installed(&major(engine.name, v)))
        .or(engine.versions.last())
        .copied()
        .unwrap_or_default()
}

/// Instance classes and the engines that offer them.
pub struct ClassInfo {
    pub name: &'static str,
    pub engines: &'static [&'static str],
}

const ALL: &[&str] = &["mariadb", "mysql", "postgres"];

pub const CLASSES: &[ClassInfo] = &[
    ClassInfo {
        name: "db.t2.micro",
        engines: &["mariadb"],
    },
    ClassInfo {
        name: "db.t3.micro",
        engines: ALL,
    },
    ClassInfo {
        name: "db.t3.small",
        engines: ALL,
    },
    ClassInfo {
        name: "db.t3.medium",
        engines: ALL,
    },
    ClassInfo {
        name: "db.t3.large",
        engines: ALL,
    },
    ClassInfo {
        name: "db.t4g.micro",
        engines: ALL,
    },
    ClassInfo {
        name: "db.t4g.small",
        engines: ALL,
    },
    ClassInfo {
        name: "db.t4g.medium",
        engines: ALL,
    },
    ClassInfo {
        name: "db.m5.large",
        engines: ALL,
    },
    ClassInfo {
        name: "db.m5.xlarge",
        engines: ALL,
    },
    ClassInfo {
        name: "db.m6g.large",
        engines: ALL,
    },
    ClassInfo {
        name: "db.m6i.large",
        engines: ALL,
    },
    ClassInfo {
        name: "db.r5.large",
        engines: ALL,
    },
    ClassInfo {
        name: "db.r6g.large",
        engines: ALL,
    },
];

pub fn class(name: &str) -> Option<&'static ClassInfo> {
    CLASSES.iter().find(|c| c.name == name)
}

pub fn orderable(engine: &str, class_name: &str) -> bool {
    if aurora(engine).is_some() {
        return aurora_orderable(class_name);
    }
    class(class_name).is_some_and(|c| c.engines.contains(&engine))
}

/// Storage types with the allocated storage (GiB) each allows.
pub struct StorageInfo {
    pub kind: &'static str,
    pub min: i32,
    pub max: i32,
    pub iops: bool,
}

pub const STORAGE: &[StorageInfo] = &[
    StorageInfo {
        kind: "gp2",
        min: 20,
        max: 65536,
        iops: false,
    },
    StorageInfo {
        kind: "gp3",
        min: 20,
        max: 65536,
        iops: true,
    },
    StorageInfo {
        kind: "io1",
        min: 100,
        max: 65536,
        iops: true,
    },
    StorageInfo {
        kind: "standard",
        min: 5,
        max: 3072,
        iops: false,
    },
];

pub fn storage(kind: &str) -> Option<&'static StorageInfo> {
    STORAGE.iter().find(|s| s.kind == kind)
}

/// The total allocated storage per account and region (GiB), AWS's
/// default quota.
pub const STORAGE_QUOTA_GIB: i64 = 100_000;
/// DB instances per account and region, AWS's default quota.
pub const INSTANCE_QUOTA: usize = 40;

pub const ZONE_SUFFIXES: &[&str] = &["a", "b", "c"];

/// One parameter of a family, as DescribeDBParameters lists it.
pub struct ParamInfo {
    pub name: &'static str,
    pub default: Option<&'static str>,
    pub description: &'static str,
    /// `static` or `dynamic`.
    pub apply_type: &'static str,
    pub data_type: &'static str,
    pub allowed: &'static str,
    pub modifiable: bool,
}

const MYSQL_PARAMS: &[ParamInfo] = &[
    ParamInfo {
        name: "autocommit",
        default: None,
        description: "Sets the autocommit mode",
        apply_type: "dynamic",
        data_type: "boolean",
        allowed: "0,1",
        modifiable: true,
    },
    ParamInfo {
        name: "binlog_format",
        default: Some("ROW"),
        description: "What form of binary logging the master will use.",
        apply_type: "dynamic",
        data_type: "string",
        allowed: "ROW,STATEMENT,MIXED",
        modifiable: true,
    },
    ParamInfo {
        name: "character_set_server",
        default: None,
        description: "The server character set.",
        apply_type: "dynamic",
        data_type: "string",
        allowed: "big5,dec8,cp850,hp8,koi8r,latin1,latin2,swe7,ascii,ujis,sjis,hebrew,tis620,euckr,koi8u,gb2312,greek,cp1250,gbk,latin5,armscii8,utf8,ucs2,cp866,keybcs2,macce,macroman,cp852,latin7,utf8mb4,cp1251,utf16,cp1256,cp1257,utf32,binary,geostd8,cp932,eucjpms",
        modifiable: true,
    },
    ParamInfo {
        name: "general_log",
        default: None,
        description: "Whether the general query log is enabled",
        apply_type: "dynamic",
        data_type: "boolean",
        allowed: "0,1",
        modifiable: true,
    },
    ParamInfo {
        name: "innodb_buffer_pool_size",
        default: Some("{DBInstanceClassMemory*3/4}"),
        description: "The size in bytes of the memory buffer innodb uses to cache data and indexes of its tables",
        apply_type: "static",
        data_type: "integer",
        allowed: "5242880-9223372036854775807",
        modifiable: true,
    },
    ParamInfo {
        name: "long_query_time",
        default: None,
        description: "Defines what MySQL considers long queries",
        apply_type: "dynamic",
        data_type: "float",
        allowed: "0-31536000",
        modifiable: true,
    },
    ParamInfo {
        name: "max_allowed_packet",
        default: None,
        description: "This value by default is small, to catch large (possibly incorrect) packets. Must be increased if using large BLOB columns or long strings. As big as largest BLOB.",
        apply_type: "dynamic",
        data_type: "integer",
        allowed: "1024-1073741824",
        modifiable: true,
    },
    ParamInfo {
        name: "max_connections",
        default: Some("{DBInstanceClassMemory/12582880}"),
        description: "The number of simultaneous client connections allowed.",
        apply_type: "dynamic",
        data_type: "integer",
        allowed: "1-100000",
        modifiable: true,
    },
    ParamInfo {
        name: "slow_query_log",
        default: None,
        description: "Enable or disable the slow query log",
        apply_type: "dynamic",
        data_type: "boolean",
        allowed: "0,1",
        modifiable: true,
    },
    ParamInfo {
        name: "sql_mode",
        default: None,
        description: "Current SQL Server Mode.",
        apply_type: "dynamic",
        data_type: "string",
        allowed: "",
        modifiable: true,
    },
    ParamInfo {
        name: "time_zone",
        default: None,
        description: "Sets the time zone",
        apply_type: "dynamic",
        data_type: "string",
        allowed: "Africa/Cairo,America/Chicago,America/Los_Angeles,America/New_York,Asia/Tokyo,Europe/Berlin,Europe/London,Europe/Paris,UTC",
        modifiable: true,
    },
];

const POSTGRES_PARAMS: &[ParamInfo] = &[
    ParamInfo {
        name: "autovacuum",
        default: Some("1"),
        description: "Starts the autovacuum subprocess.",
        apply_type: "dynamic",
        data_type: "boolean",
        allowed: "0,1",
        modifiable: true,
    },
    ParamInfo {
        name: "log_min_duration_statement",
        default: None,
        description: "Sets the minimum execution time above which statements will be logged.",
        apply_type: "dynamic",
        data_type: "integer",
        allowed: "-1-2147483647",
        modifiable: true,
    },
    ParamInfo {
        name: "log_statement",
        default: None,
        description: "Sets the type of statements logged.",
        apply_type: "dynamic",
        data_type: "string",
        allowed: "none,ddl,mod,all",
        modifiable: true,
    },
    ParamInfo {
        name: "max_connections",
        default: Some("LEAST({DBInstanceClassMemory/9531392},5000)"),
        description: "Sets the maximum number of concurrent connections.",
        apply_type: "static",
        data_type: "integer",
        allowed: "6-262143",
        modifiable: true,
    },
    ParamInfo {
        name: "rds.force_ssl",
        default: Some("1"),
        description: "Force SSL connections.",
        apply_type: "dynamic",
        data_type: "boolean",
        allowed: "0,1",
        modifiable: true,
    },
    ParamInfo {
        name: "shared_buffers",
        default: Some("{DBInstanceClassMemory/32768}"),
        description: "(8kB) Sets the number of shared memory buffers used by the server.",
        apply_type: "static",
        data_type: "integer",
        allowed: "16-1073741823",
        modifiable: true,
    },
    ParamInfo {
        name: "timezone",
        default: Some("UTC"),
        description: "Sets the time zone for displaying and interpreting time stamps.",
        apply_type: "dynamic",
        data_type: "string",
        allowed: "",
        modifiable: true,
    },
    ParamInfo {
        name: "work_mem",
        default: None,
        description: "(kB) Sets the maximum memory to be used for query workspaces.",
        apply_type: "dynamic",
        data_type: "integer",
        allowed: "64-2147483647",
        modifiable: true,
    },
];

pub fn parameters(family: &str) -> &'static [ParamInfo] {
    if family.starts_with("postgres") {
        POSTGRES_PARAMS
    } else {
        MYSQL_PARAMS
    }
}

/// Whether `value` fits a parameter's allowed values (a list, or a range
/// of integers).
pub fn allowed(p: &ParamInfo, value: &str) -> bool {
    if p.allowed.is_empty() || value.starts_with('{') {
        return true;
    }
    if p.data_type == "integer" || p.data_type == "float" {
        let Ok(v) = value.parse::<f64>() else {
            return false;
        };
        // A range such as `-1-2147483647`: the separator is the first `-`
        // after the first character.
        if let Some(i) = p.allowed[1..].find('-').map(|i| i + 1) {
            let (lo, hi) = (&p.allowed[..i], &p.allowed[i + 1..]);
            if let (Ok(lo), Ok(hi)) = (lo.parse::<f64>(), hi.parse::<f64>()) {
                return v >= lo && v <= hi;
            }
        }
        return true;
    }
    p.allowed.split(',').any(|a| a == value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_resolve_by_name_or_major() {
        let pg = engine("postgres").unwrap();
        assert_eq!(resolve_version(pg, "15.8"), Some("15.8"));
        assert_eq!(resolve_version(pg, "16"), Some("16.6"));
        assert_eq!(resolve_version(pg, "14"), None);
        let my = engine("mysql").unwrap();
        assert_eq!(resolve_version(my, "8.0"), Some("8.0.40"));
        assert_eq!(family("mysql", "8.0.36"), "mysql8.0");
        assert_eq!(family("postgres", "15.7"), "postgres15");
        assert_eq!(family("mariadb", "10.11.9"), "mariadb10.11");
    }

    #[test]
    fn the_default_version_follows_what_is_installed() {
        let pg = engine("postgres").unwrap();
        assert_eq!(default_version(pg, |m| m == "15"), "15.10");
        assert_eq!(default_version(pg, |_| false), "16.6");
    }

    #[test]
    fn families_name_their_engine() {
        assert_eq!(family_engine("mysql8.0"), Some("mysql"));
        assert_eq!(family_engine("mariadb10.11"), Some("mariadb"));
        assert_eq!(family_engine("postgres16"), Some("postgres"));
        assert_eq!(family_engine("oracle-ee-19"), None);
    }

    #[test]
    fn parameter_values_are_checked_against_their_ranges_and_lists() {
        let p = parameters("postgres15");
        let lmds = p
            .iter()
            .find(|p| p.name == "log_min_duration_statement")
            .unwrap();
        assert!(allowed(lmds, "-1"));
        assert!(allowed(lmds, "500"));
        assert!(!allowed(lmds, "-2"));
        assert!(!allowed(lmds, "abc"));
        let ls = p.iter().find(|p| p.name == "log_statement").unwrap();
        assert!(allowed(ls, "ddl"));
        assert!(!allowed(ls, "everything"));
    }

    #[test]
    fn classes_pair_with_engines() {
        assert!(orderable("postgres", "db.t3.micro"));
        assert!(!orderable("postgres", "db.t2.micro"));
        assert!(!orderable("mysql", "db.x9.huge"));
    }
}
