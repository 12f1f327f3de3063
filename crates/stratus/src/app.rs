//! Everything a request needs: the services, the identity registry, the clock.

use std::collections::HashMap;
use std::sync::Arc;

use stratus_core::{AwsError, Clock, Identities};
use stratus_protocol::Service;
use stratus_store::Store;

use crate::config::Config;

pub struct App {
    pub config: Config,
    pub clock: Clock,
    pub identities: Identities,
    pub store: Store,
    services: HashMap<&'static str, Arc<dyn Service>>,
}

impl App {
    pub fn new(config: Config) -> Result<App, String> {
        let store = match &config.data_dir {
            Some(dir) => Store::open(dir).map_err(|e| e.to_string())?,
            None => Store::ephemeral(),
        };
        let identities = Identities::new(&config.default_account);
        let mut app = App {
            config,
            clock: Clock::new(),
            identities: identities.clone(),
            store: store.clone(),
            services: HashMap::new(),
        };
        let sts = stratus_sts::Sts::new(store, identities).map_err(|e| e.to_string())?;
        app.register(Arc::new(sts));
        Ok(app)
    }

    fn register(&mut self, s: Arc<dyn Service>) {
        self.services.insert(s.name(), s);
    }

    pub fn service(&self, name: &str) -> Option<&Arc<dyn Service>> {
        self.services.get(name)
    }

    /// Service names, sorted.
    pub fn service_names(&self) -> Vec<&'static str> {
        let mut v: Vec<_> = self.services.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// Resets one service, or all of them.
    pub fn reset(&self, only: Option<&str>) -> Result<Vec<&'static str>, AwsError> {
        let mut done = Vec::new();
        for name in self.service_names() {
            if only.is_some_and(|o| o != name) {
                continue;
            }
            self.services[name].reset()?;
            done.push(name);
        }
        if let Some(o) = only {
            if done.is_empty() {
                return Err(AwsError::not_found(
                    "UnknownService",
                    format!("no service named {o}"),
                ));
            }
        }
        Ok(done)
    }
}
