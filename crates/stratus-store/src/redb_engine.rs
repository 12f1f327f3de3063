//! The default engine: redb, a copy-on-write B-tree whose commits are atomic
//! and durable, so a kill -9 loses no acknowledged batch and never leaves a
//! torn one.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, TableError};

use crate::{Batch, Engine, Op, Result, StoreError};

const CACHE_BYTES: usize = 16 << 20;

pub struct RedbEngine {
    db: Database,
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

fn def(name: &str) -> TableDefinition<'_, &'static [u8], &'static [u8]> {
    TableDefinition::new(name)
}

impl RedbEngine {
    pub fn open(path: &Path) -> Result<RedbEngine> {
        // redb's default page cache may grow to 1 GiB; Stratus keeps its
        // working state in memory already, so a small cache is enough.
        let db: Database = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(|e| StoreError(format!("{}: {e}", path.display())))?;
        Ok(RedbEngine { db })
    }
}

impl Engine for RedbEngine {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let txn = self.db.begin_read().map_err(err)?;
        let t = match txn.open_table(def(table)) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        Ok(t.get(key).map_err(err)?.map(|v| v.value().to_vec()))
    }

    fn scan(&self, table: &str, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let txn = self.db.begin_read().map_err(err)?;
        let t = match txn.open_table(def(table)) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(err(e)),
        };
        let mut out = Vec::new();
        for entry in t.range::<&[u8]>(prefix..).map_err(err)? {
            let (k, v) = entry.map_err(err)?;
            if !k.value().starts_with(prefix) {
                break;
            }
            out.push((k.value().to_vec(), v.value().to_vec()));
        }
        Ok(out)
    }

    fn commit(&self, batch: Batch) -> Result<()> {
        let txn = self.db.begin_write().map_err(err)?;
        for op in &batch.ops {
            match op {
                Op::Put { table, key, value } => {
                    let mut t = txn.open_table(def(table)).map_err(err)?;
                    t.insert(key.as_slice(), value.as_slice()).map_err(err)?;
                }
                Op::Delete { table, key } => {
                    let mut t = txn.open_table(def(table)).map_err(err)?;
                    t.remove(key.as_slice()).map_err(err)?;
                }
                Op::DeletePrefix { table, prefix } => {
                    let mut t = txn.open_table(def(table)).map_err(err)?;
                    let keys: Vec<Vec<u8>> = t
                        .range::<&[u8]>(prefix.as_slice()..)
                        .map_err(err)?
                        .map_while(|e| e.ok())
                        .map(|(k, _)| k.value().to_vec())
                        .take_while(|k| k.starts_with(prefix))
                        .collect();
                    for k in keys {
                        t.remove(k.as_slice()).map_err(err)?;
                    }
                }
            }
        }
        txn.commit().map_err(err)
    }

    fn name(&self) -> &'static str {
        "redb"
    }
}
