//! What a change to the state asks of other services: messages to topics
//! and queues, targets to register or deregister. They are gathered while
//! the state is locked and carried out after, so no other service is ever
//! called with Auto Scaling's lock held (a load balancer or CloudWatch may
//! call back into Auto Scaling while holding their own).

use crate::AutoScaling;
use crate::notify::{self, Outbox};

#[derive(Default)]
pub struct Effects {
    pub messages: Outbox,
    /// (target group, instances)
    pub register: Vec<(String, Vec<String>)>,
    pub deregister: Vec<(String, Vec<String>)>,
}

impl Effects {
    pub fn register(&mut self, tgs: &[String], id: &str) {
        for tg in tgs {
            self.register.push((tg.clone(), vec![id.to_string()]));
        }
    }

    pub fn deregister(&mut self, tgs: &[String], id: &str) {
        for tg in tgs {
            self.deregister.push((tg.clone(), vec![id.to_string()]));
        }
    }

    pub fn apply(self, asg: &AutoScaling, account: &str, region: &str) {
        if let Some(tgs) = asg.target_groups.get() {
            for (tg, ids) in &self.deregister {
                if let Err(e) = tgs.deregister(account, region, tg, ids) {
                    tracing::warn!(error = %e.message, "autoscaling: deregistering from {tg} failed");
                }
            }
            for (tg, ids) in &self.register {
                if let Err(e) = tgs.register(account, region, tg, ids) {
                    tracing::warn!(error = %e.message, "autoscaling: registering in {tg} failed");
                }
            }
        }
        notify::send(asg, account, region, self.messages);
    }
}
