//! The `--ephemeral` engine: ordered maps in memory.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use parking_lot::RwLock;

use crate::{Batch, Engine, Op, Result};

#[derive(Default)]
pub struct MemoryEngine {
    tables: RwLock<HashMap<String, BTreeMap<Vec<u8>, Vec<u8>>>>,
}

impl Engine for MemoryEngine {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self
            .tables
            .read()
            .get(table)
            .and_then(|t| t.get(key).cloned()))
    }

    fn scan(&self, table: &str, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let tables = self.tables.read();
        let Some(t) = tables.get(table) else {
            return Ok(Vec::new());
        };
        Ok(
            t.range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded))
                .take_while(|(k, _)| k.starts_with(prefix))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    fn commit(&self, batch: Batch) -> Result<()> {
        let mut tables = self.tables.write();
        for op in batch.ops {
            match op {
                Op::Put { table, key, value } => {
                    tables.entry(table).or_default().insert(key, value);
                }
                Op::Delete { table, key } => {
                    if let Some(t) = tables.get_mut(&table) {
                        t.remove(&key);
                    }
                }
                Op::DeletePrefix { table, prefix } => {
                    if let Some(t) = tables.get_mut(&table) {
                        t.retain(|k, _| !k.starts_with(&prefix));
                    }
                }
            }
        }
        Ok(())
    }

    fn name(&self) -> &'static str {
        "memory"
    }
}
