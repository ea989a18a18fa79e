//! Long-lived streams: logs, events, stats. The dashboard consumes these instead of polling.

use std::collections::HashMap;
use std::pin::Pin;

use bollard::query_parameters::{EventsOptionsBuilder, LogsOptionsBuilder, StatsOptionsBuilder};
use futures::{Stream, StreamExt};

use super::exec::chunk_of;
use super::{Engine, EngineEvent, LogChunk, LogsQuery, StatsSample};
use crate::Result;

pub type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T>> + Send>>;

impl Engine {
    /// A container's logs. With `tail` the engine sends only the last lines (fast even for huge
    /// logs); with `follow` the stream stays open.
    pub fn logs(&self, id: &str, q: &LogsQuery) -> BoxStream<LogChunk> {
        let tail = q.tail.map(|t| t.to_string()).unwrap_or_else(|| "all".into());
        let mut b = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .follow(q.follow)
            .timestamps(q.timestamps)
            .tail(&tail);
        if let Some(s) = q.since {
            b = b.since(s as i32);
        }
        let engine = self.name.clone();
        Box::pin(self.docker.logs(id, Some(b.build())).map(move |r| {
            r.map(chunk_of)
                .map_err(|e| super::map_bollard(e).context(format!("engine {engine}")))
        }))
    }

    /// Container events; `labels` restricts to containers with these labels.
    pub fn events(&self, labels: &[String]) -> BoxStream<EngineEvent> {
        let mut filters: HashMap<String, Vec<String>> = HashMap::new();
        filters.insert("type".into(), vec!["container".into()]);
        if !labels.is_empty() {
            filters.insert("label".into(), labels.to_vec());
        }
        let opts = EventsOptionsBuilder::default().filters(&filters).build();
        let engine = self.name.clone();
        Box::pin(self.docker.events(Some(opts)).map(move |r| {
            r.map(|m| {
                let actor = m.actor.unwrap_or_default();
                let attrs = actor.attributes.unwrap_or_default();
                EngineEvent {
                    id: actor.id.unwrap_or_default(),
                    action: m.action.unwrap_or_default(),
                    name: attrs.get("name").cloned(),
                    time: m.time.unwrap_or_default(),
                }
            })
            .map_err(|e| super::map_bollard(e).context(format!("engine {engine}")))
        }))
    }

    /// Live stats of one container, one sample per engine tick (about 1 s).
    pub fn stats(&self, id: &str) -> BoxStream<StatsSample> {
        let opts = StatsOptionsBuilder::default().stream(true).build();
        let engine = self.name.clone();
        Box::pin(self.docker.stats(id, Some(opts)).map(move |r| {
            r.map(|s| {
                let cpu = s.cpu_stats.unwrap_or_default();
                let pre = s.precpu_stats.unwrap_or_default();
                let total = |c: &bollard::models::ContainerCpuStats| {
                    c.cpu_usage.as_ref().and_then(|u| u.total_usage).unwrap_or(0)
                };
                let cpu_delta = total(&cpu).saturating_sub(total(&pre)) as f64;
                let sys_delta = cpu
                    .system_cpu_usage
                    .unwrap_or(0)
                    .saturating_sub(pre.system_cpu_usage.unwrap_or(0)) as f64;
                let ncpu = cpu.online_cpus.filter(|n| *n > 0).unwrap_or(1) as f64;
                let cpu_percent = if sys_delta > 0.0 && cpu_delta > 0.0 {
                    cpu_delta / sys_delta * ncpu * 100.0
                } else {
                    0.0
                };
                let mem = s.memory_stats.unwrap_or_default();
                let cache = mem
                    .stats
                    .as_ref()
                    .and_then(|m| m.get("inactive_file").or_else(|| m.get("cache")).copied())
                    .unwrap_or(0);
                StatsSample {
                    cpu_percent,
                    mem_bytes: mem.usage.unwrap_or(0).saturating_sub(cache),
                    mem_limit: mem.limit.unwrap_or(0),
                    pids: s.pids_stats.and_then(|p| p.current).unwrap_or(0),
                }
            })
            .map_err(|e| super::map_bollard(e).context(format!("engine {engine}")))
        }))
    }
}
