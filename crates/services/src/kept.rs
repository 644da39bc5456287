//! What a process keeps between requests of the tables that decide how traffic is taken (campaigns, assignments,
//! partner records, organizations, caps, API keys' revocations): the senders of leads (`leads::Keyed`) and the
//! targets of tracking links (`clicks`). An entry stays right while `config_generation` has not moved: the database
//! moves it itself (triggers, migration `m20261205_000017`) on every change of those tables, whichever process makes
//! it. The writes of a lead or a click taken on what was kept check it first ([`Batch::check_generation`]): a moved
//! one undoes them as stale, and the request is taken again from a fresh read. So no process acts on what another has
//! changed, and none need be told. The reads that fill them return `(SELECT n FROM config_generation) AS generation`
//! beside what they read, in the same snapshot.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};

use sea_orm::{DbBackend, Statement};

use crate::db::Batch;

/// The guard id of [`Batch::check_generation`].
pub const STALE: usize = usize::MAX;

/// Most entries one [`Kept`] holds before it starts again empty.
const MOST: usize = 10_000;

/// A process's entries, each as read at some generation.
pub struct Kept<K, V>(Mutex<HashMap<K, V>>);

impl<K, V> Default for Kept<K, V> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<K: Hash + Eq, V: Clone> Kept<K, V> {
    fn entries(&self) -> MutexGuard<'_, HashMap<K, V>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(&self, key: &K) -> Option<V> {
        self.entries().get(key).cloned()
    }

    pub fn put(&self, key: K, value: V) {
        let mut entries = self.entries();
        if entries.len() >= MOST {
            entries.clear();
        }
        entries.insert(key, value);
    }

    /// Forgets everything: an entry was found stale, and so, likely, are the others of its generation.
    pub fn clear(&self) {
        self.entries().clear();
    }
}

/// A row when `config_generation` is still `generation`, none when it has moved since.
pub fn generation_check(backend: DbBackend, generation: i64) -> Statement {
    Statement::from_sql_and_values(backend, "SELECT 1 FROM config_generation WHERE n = $1", [generation.into()])
}

impl Batch {
    /// The batch's first write: [`generation_check`], failing as [`STALE`].
    pub fn check_generation(&mut self, backend: DbBackend, generation: i64) {
        self.push_guarded(generation_check(backend, generation), STALE);
    }
}
