//! The scan pipeline end to end: targets → resolve → probe → aggregate → sinks.
//!
//! Targets are worked on in a bounded window, and their records are handed to the sinks
//! strictly in target order (then address order) as soon as every earlier target is
//! done. Memory therefore depends on the window, not on the length of the list.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use crate::record::{Record, aggregate};
use crate::report::summary::Summary;
use crate::report::{ScanContext, Sink};
use crate::resolve::NameResolver;
use crate::scan::{Observer, Prober};
use crate::target::Target;
use crate::version::TlsVersion;

/// Targets resolved and probed at once. Each holds at most a few connections (the
/// prober's limits apply), so the window only bounds memory and DNS parallelism.
pub const TARGET_WINDOW: usize = 256;

pub struct Pipeline {
    pub resolver: NameResolver,
    pub prober: Prober,
    pub observer: Arc<dyn Observer>,
    pub ctx: ScanContext,
}

impl Pipeline {
    /// Runs the scan, feeding every sink, and returns the summary.
    pub async fn run(
        &self,
        targets: Vec<Target>,
        sinks: &mut [Box<dyn Sink>],
    ) -> io::Result<Summary> {
        let start = Instant::now();
        let mut summary = Summary::default();
        let mut pending = VecDeque::new();
        let mut targets = targets.into_iter();
        let mut spawn_next = |pending: &mut VecDeque<_>| {
            if let Some(t) = targets.next() {
                pending.push_back(tokio::spawn(scan_target(
                    self.resolver.clone(),
                    self.prober.clone(),
                    self.observer.clone(),
                    t,
                )));
            }
        };
        for _ in 0..TARGET_WINDOW {
            spawn_next(&mut pending);
        }
        while let Some(task) = pending.pop_front() {
            let records = match task.await {
                Ok(r) => r,
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            };
            spawn_next(&mut pending);
            for (i, r) in records.iter().enumerate() {
                summary.add(r, i == 0, self.ctx.fails(r));
                for sink in sinks.iter_mut() {
                    sink.record(r)?;
                }
            }
        }
        summary.elapsed = start.elapsed();
        for sink in sinks.iter_mut() {
            sink.finish(&summary)?;
        }
        Ok(summary)
    }
}

/// Resolves one target and probes each of its addresses concurrently.
async fn scan_target(
    resolver: NameResolver,
    prober: Prober,
    observer: Arc<dyn Observer>,
    target: Target,
) -> Vec<Record> {
    let probed: Vec<TlsVersion> = prober.settings().range.iter().collect();
    let resolved = resolver.resolve(&target).await;
    let addrs = match resolved.addrs {
        Err(e) => {
            return vec![Record::dns_failure(
                &target.host,
                target.port,
                e.to_string(),
            )];
        }
        Ok(a) => a,
    };
    observer.planned(addrs.len() as u64 * prober.probes_per_address());
    let mut set = tokio::task::JoinSet::new();
    for (i, ip) in addrs.into_iter().enumerate() {
        let (prober, host) = (prober.clone(), target.host.clone());
        let addr = SocketAddr::new(ip, target.port);
        set.spawn(async move { (i, prober.scan_address(host, addr.port(), addr).await) });
    }
    let mut done = set.join_all().await;
    done.sort_by_key(|(i, _)| *i);
    done.into_iter()
        .map(|(_, scan)| {
            let mut r = aggregate(scan, &probed);
            r.cnames = resolved.cnames.clone();
            r
        })
        .collect()
}
