//! Everything a request needs: the services, the identity registry, the clock.

use std::collections::HashMap;
use std::sync::Arc;

use stratus_core::link::Link;
use stratus_core::network::{HostNetwork, Network};
use stratus_core::tasks::Tasks;
use stratus_core::{Authorizer, AwsError, Clock, Identities};
use stratus_protocol::{HttpHandler, Service};
use stratus_store::Store;

use crate::config::{Config, InstanceRuntime};
use crate::instance_roles::ProfileRoles;

/// How often background tasks run on their own (they also run whenever the
/// test clock moves).
const TASK_PERIOD: std::time::Duration = std::time::Duration::from_secs(1);

pub struct App {
    pub config: Config,
    pub clock: Clock,
    /// Runs background work on the clock (expiry, state changes).
    pub tasks: Tasks,
    pub identities: Identities,
    pub store: Store,
    /// IAM: refuses disabled keys, and applies policies when enforcing.
    pub authorizer: Option<Arc<dyn Authorizer>>,
    services: HashMap<&'static str, Arc<dyn Service>>,
    /// Services and data planes that take whole HTTP requests, asked in order.
    http_handlers: Vec<Arc<dyn HttpHandler>>,
    /// What stops the processes Stratus started, when the server stops.
    stoppers: Vec<Box<dyn Fn() + Send + Sync>>,
    /// The application load balancers' data plane, for their own ports.
    pub load_balancers: Option<Arc<stratus_elbv2::dataplane::DataPlane>>,
    /// Child processes to stop when Stratus exits (RDS's database servers).
    rds: Option<Arc<stratus_rds::Rds>>,
    /// For the bucket list `stratus hosts` asks for.
    pub s3: Option<Arc<stratus_s3::S3>>,
}

impl App {
    pub fn new(config: Config) -> Result<App, String> {
        let store = match &config.data_dir {
            Some(dir) => Store::open_with(dir, config.fsync.into()).map_err(|e| e.to_string())?,
            None => Store::ephemeral(),
        };
        let identities = Identities::new(&config.default_account);
        let clock = Clock::new();
        let mut app = App {
            config,
            tasks: Tasks::new(clock.clone(), TASK_PERIOD),
            clock,
            identities: identities.clone(),
            store: store.clone(),
            authorizer: None,
            services: HashMap::new(),
            http_handlers: Vec::new(),
            stoppers: Vec::new(),
            load_balancers: None,
            rds: None,
            s3: None,
        };
        let iam = Arc::new(
            stratus_iam::Iam::new(store.clone(), identities.clone(), app.config.enforce_iam)
                .map_err(|e| e.to_string())?,
        );
        app.register(iam.clone());
        let authorizer: Arc<dyn Authorizer> = iam.clone();
        app.authorizer = Some(authorizer.clone());
        let sts = Arc::new(
            stratus_sts::Sts::new(store.clone(), identities)
                .map_err(|e| e.to_string())?
                .with_roles(iam.clone()),
        );
        app.register(sts.clone());
        // Instances get their profile's role credentials from IAM and STS.
        let ec2 = Arc::new(
            stratus_ec2::Ec2::new(
                store.clone(),
                app.clock.clone(),
                app.config.ec2_images.as_deref(),
            )
            .map_err(|e| e.message)?
            .with_instance_roles(Arc::new(ProfileRoles {
                iam,
                sts,
                clock: app.clock.clone(),
            })),
        );
        app.register(ec2.clone());
        // Data planes reach targets through the network: the instance
        // runtime's, which reaches into VPCs, or this machine's loopback.
        let network = app.start_instance_runtime(&ec2);
        let checker = Arc::new(stratus_elbv2::dataplane::checks::NetworkChecker::new(
            network.clone(),
        ));
        // Load balancers see instances, subnets and groups only through
        // Instances; their health checks and traffic go through the network.
        let elbv2 = Arc::new(
            stratus_elbv2::Elbv2::new(store.clone(), app.clock.clone())
                .map_err(|e| e.to_string())?
                .with_instances(ec2.clone())
                .with_health_checker(checker.clone()),
        );
        app.tasks.spawn(elbv2.health_task());
        let alb = elbv2.data_plane(network);
        app.load_balancers = Some(alb.clone());
        app.register_http(Arc::new(stratus_elbv2::dataplane::claim::AlbHandler(alb)));
        app.register(elbv2.clone());
        let elb = Arc::new(
            stratus_elb::Elb::new(store.clone(), app.clock.clone())
                .map_err(|e| e.to_string())?
                .with_instances(ec2.clone())
                .with_health_checker(checker),
        );
        app.tasks.spawn(elb.health_task());
        app.register(elb.clone());
        // Instance firewalls admit load balancers where a rule names their groups.
        ec2.add_balancers(elbv2.clone());
        ec2.add_balancers(elb.clone());
        let dynamodb = stratus_dynamodb::DynamoDb::new(store.clone()).map_err(|e| e.to_string())?;
        app.tasks.spawn(dynamodb.ttl_task());
        app.tasks.spawn(dynamodb.deletion_task());
        let streams = stratus_dynamodbstreams::DynamoDbStreams::new(dynamodb.streams());
        app.register(Arc::new(dynamodb));
        app.register(Arc::new(streams));
        // Queue and topic policies decide, under enforcement, what other
        // services may deliver.
        let sqs = Arc::new(
            stratus_sqs::Sqs::new(store.clone())
                .map_err(|e| e.to_string())?
                .with_authorizer(authorizer.clone()),
        );
        app.tasks.spawn(sqs.moves_task());
        app.register(sqs.clone());
        // SNS reaches queues only through the delivery interface.
        let sns = Arc::new(
            stratus_sns::Sns::new(store.clone(), sqs.clone())
                .map_err(|e| e.to_string())?
                .with_authorizer(authorizer),
        );
        app.register_http(sns.outbox_handler());
        app.register_http(sns.certificate_handler());
        app.register(sns.clone());
        // CloudWatch alarms publish to SNS and act on EC2 instances; EC2
        // publishes its instances' metrics into CloudWatch. Auto Scaling
        // fills `scaling_policies` once it exists.
        let scaling_policies: Link<dyn stratus_core::metrics::ScalingPolicies> = Link::empty();
        let cloudwatch = Arc::new(
            stratus_cloudwatch::CloudWatch::new(store.clone(), app.clock.clone())
                .map_err(|e| e.message)?
                .with_topics(sns.clone())
                .with_instances(ec2.clone())
                .with_policies(scaling_policies.clone()),
        );
        app.tasks.spawn(cloudwatch.alarm_task());
        app.tasks.spawn(ec2.metrics_task(cloudwatch.clone()));
        app.tasks.spawn(elbv2.metrics_task(cloudwatch.clone()));
        app.tasks.spawn(sqs.metrics_task(cloudwatch.clone()));
        app.register(cloudwatch.clone());
        // Auto Scaling launches through EC2's Instances, registers instances
        // in ELBv2's target groups and Classic load balancers, owns target tracking alarms in
        // CloudWatch and notifies through SNS and SQS; CloudWatch's alarms
        // run its policies through the link made empty above.
        let autoscaling = Arc::new(
            stratus_autoscaling::AutoScaling::new(store.clone(), app.clock.clone())
                .map_err(|e| e.message)?
                .with_instances(ec2.clone())
                .with_target_groups(Link::to(Arc::new(stratus_core::balancing::ByIdentifier {
                    target_groups: elbv2.clone(),
                    load_balancers: elb,
                })))
                .with_alarms(Link::to(cloudwatch.clone()))
                .with_topics(sns.clone())
                .with_queues(sqs.clone()),
        );
        scaling_policies.set(autoscaling.clone());
        app.tasks.spawn(autoscaling.reconciler_task());
        app.register(autoscaling);
        // RDS places instances in EC2's subnets and security groups, and
        // runs a real database server per instance where one is installed.
        let engines = match app.config.rds_engines {
            crate::config::RdsEngines::Auto => stratus_rds::engine::Engines::discover(),
            crate::config::RdsEngines::Off => stratus_rds::engine::Engines::none(),
        };
        let rds = Arc::new(
            stratus_rds::Rds::new(store.clone(), app.clock.clone(), engines)
                .map_err(|e| e.message)?
                .with_instances(ec2.clone()),
        );
        app.tasks.spawn(rds.lifecycle_task());
        app.tasks.spawn(rds.metrics_task(cloudwatch.clone()));
        app.register(rds.clone());
        app.rds = Some(rds);
        // S3 notifications, likewise, only through the delivery interfaces.
        let targets = stratus_s3::Targets {
            queues: Some(sqs),
            topics: Some(sns),
        };
        let s3 = Arc::new(
            stratus_s3::S3::new(
                store.clone(),
                app.authorizer.clone(),
                targets,
                app.config.verify_signatures.then(|| stratus_s3::Verifier {
                    identities: app.identities.clone(),
                }),
            )
            .map_err(|e| e.to_string())?,
        );
        // Application load balancers write their access logs into buckets.
        elbv2.set_objects(s3.clone());
        app.tasks.spawn(elbv2.access_log_task());
        let flushed = elbv2.clone();
        app.stoppers
            .push(Box::new(move || flushed.flush_access_logs()));
        // Log metric filters publish into CloudWatch; exports write to S3.
        let logs = stratus_logs::Logs::new(store, app.clock.clone())
            .map_err(|e| e.message)?
            .with_metrics(cloudwatch.clone())
            .with_objects(s3.clone());
        app.tasks.spawn(logs.retention_task());
        app.register(Arc::new(logs));
        // Lifecycle rules and storage metrics act in days: a minute's
        // period is plenty.
        let daily = Tasks::new(app.clock.clone(), std::time::Duration::from_secs(60));
        daily.spawn(s3.lifecycle_task(app.clock.clone()));
        daily.spawn(s3.storage_metrics_task(cloudwatch.clone()));
        app.s3 = Some(s3.clone());
        app.register_http(s3);
        Ok(app)
    }

    /// Runs instances for real when the configuration and the machine allow
    /// it; returns the network load balancers reach instances through.
    fn start_instance_runtime(&mut self, ec2: &Arc<stratus_ec2::Ec2>) -> Arc<dyn Network> {
        use stratus_ec2::runtime::{Mode, RuntimeConfig};
        let mode = match self.config.instance_runtime {
            InstanceRuntime::None => Mode::None,
            InstanceRuntime::Process => Mode::Process,
            InstanceRuntime::Auto => Mode::detect(),
        };
        if mode == Mode::None {
            return Arc::new(HostNetwork);
        }
        let dir = match &self.config.data_dir {
            Some(d) => d.join("instances"),
            None => std::env::temp_dir().join(format!("stratus-{}", std::process::id())),
        };
        let ephemeral = self.config.data_dir.is_none();
        let runtime = ec2.runtime(RuntimeConfig {
            dir: dir.clone(),
            api_port: self.config.port,
        });
        // Boots follow launches closely: a shorter period than other tasks.
        Tasks::new(self.clock.clone(), std::time::Duration::from_millis(100))
            .spawn(runtime.clone());
        let stop = runtime.clone();
        self.stoppers.push(Box::new(move || {
            stop.shutdown();
            if ephemeral {
                let _ = std::fs::remove_dir_all(&dir);
            }
        }));
        tracing::info!("instances run as processes in their own namespaces");
        runtime
    }

    /// Stops what Stratus started (instance processes and namespaces,
    /// database servers) before it exits.
    pub fn shutdown(&self) {
        for stop in &self.stoppers {
            stop();
        }
        if let Some(rds) = &self.rds {
            rds.shutdown();
        }
        if !self.store.flush(std::time::Duration::from_secs(5)) {
            tracing::warn!("the last writes stay in the log until the next start");
        }
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
