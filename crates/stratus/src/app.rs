//! Everything a request needs: the services, the identity registry, the clock.

use std::collections::HashMap;
use std::sync::Arc;

use stratus_core::{AwsError, Clock, Identities};
use stratus_protocol::{HttpHandler, Service};
use stratus_store::Store;

use crate::config::Config;

pub struct App {
    pub config: Config,
    pub clock: Clock,
    pub identities: Identities,
    pub store: Store,
    services: HashMap<&'static str, Arc<dyn Service>>,
    /// Services and data planes that take whole HTTP requests, asked in order.
    http_handlers: Vec<Arc<dyn HttpHandler>>,
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
            http_handlers: Vec::new(),
        };
        let sts = stratus_sts::Sts::new(store.clone(), identities).map_err(|e| e.to_string())?;
        app.register(Arc::new(sts));
        let s3 = Arc::new(stratus_s3::S3::new(store).map_err(|e| e.to_string())?);
        if tokio::runtime::Handle::try_current().is_ok() {
            stratus_core::tasks::Tasks::new(app.clock.clone(), std::time::Duration::from_secs(60))
                .spawn(s3.lifecycle_task());
        }
        app.register_http(s3);
        Ok(app)
    }

    fn register(&mut self, s: Arc<dyn Service>) {
        self.services.insert(s.name(), s);
    }

    fn register_http(&mut self, h: Arc<dyn HttpHandler>) {
        self.http_handlers.push(h);
    }

    pub fn http_handlers(&self) -> &[Arc<dyn HttpHandler>] {
        &self.http_handlers
    }

    pub fn service(&self, name: &str) -> Option<&Arc<dyn Service>> {
        self.services.get(name)
    }

    /// Service names (both kinds), sorted.
    pub fn service_names(&self) -> Vec<&'static str> {
        let mut v: Vec<_> = self.services.keys().copied().collect();
        v.extend(self.http_handlers.iter().map(|h| h.name()));
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Resets one service, or all of them.
    pub fn reset(&self, only: Option<&str>) -> Result<Vec<&'static str>, AwsError> {
        let mut done = Vec::new();
        for name in self.service_names() {
            if only.is_some_and(|o| o != name) {
                continue;
            }
            if let Some(s) = self.services.get(name) {
                s.reset()?;
            }
            for h in self.http_handlers.iter().filter(|h| h.name() == name) {
                h.reset()?;
            }
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
