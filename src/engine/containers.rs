//! Container list, inspect, create and lifecycle.

use std::collections::{BTreeMap, HashMap};

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, KillContainerOptionsBuilder, ListContainersOptionsBuilder,
    RemoveContainerOptionsBuilder, RestartContainerOptionsBuilder, StopContainerOptionsBuilder,
};

use super::{ContainerDetails, ContainerState, ContainerSummary, CreateSpec, Engine, Health};
use super::{HealthInfo, Limits, MountInfo, PortMapping, SecurityInfo};
use crate::{Error, Result};

/// Filters for [`Engine::list`].
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Include stopped containers.
    pub all: bool,
    /// `key=value` or `key` label filters, all must match.
    pub labels: Vec<String>,
    /// Ask the engine for the writable layer size (slower).
    pub size: bool,
    /// Restrict to these ids.
    pub ids: Vec<String>,
}

impl ListQuery {
    fn filters(&self) -> HashMap<String, Vec<String>> {
        let mut filters: HashMap<String, Vec<String>> = HashMap::new();
        if !self.labels.is_empty() {
            filters.insert("label".into(), self.labels.clone());
        }
        if !self.ids.is_empty() {
            filters.insert("id".into(), self.ids.clone());
        }
        filters
    }
}

impl Engine {
    /// The container list through the lenient raw path (see [`super::raw`]); `list` falls back
    /// to it when the typed parse fails.
    pub async fn list_raw(&self, q: &ListQuery) -> Result<Vec<ContainerSummary>> {
        let list = self.list_raw_models(q).await?;
        Ok(list.into_iter().map(|c| self.summary(c)).collect())
    }

    async fn list_raw_models(&self, q: &ListQuery) -> Result<Vec<bollard::models::ContainerSummary>> {
        let filters_json = serde_json::to_string(&q.filters())?;
        let path = format!(
            "/containers/json?all={}&size={}&filters={}",
            q.all,
            q.size,
            percent_encode(&filters_json)
        );
        let mut v = self.raw_get(&path).await?;
        super::raw::normalize_list(&mut v);
        serde_json::from_value(v).map_err(|e| Error::failed(format!("engine {}: container list: {e}", self.name)))
    }

    /// List containers.
    pub async fn list(&self, q: &ListQuery) -> Result<Vec<ContainerSummary>> {
        let filters = q.filters();
        let opts = ListContainersOptionsBuilder::default()
            .all(q.all)
            .size(q.size)
            .filters(&filters)
            .build();
        let list = match self.docker.list_containers(Some(opts)).await {
            Ok(l) => l,
            // Podman may answer with states outside Docker's enum: parse it leniently.
            Err(e) if super::raw::is_parse_error(&e) => self.list_raw_models(q).await?,
            Err(e) => return Err(self.err(e)),
        };
        Ok(list.into_iter().map(|c| self.summary(c)).collect())
    }

    fn summary(&self, c: bollard::models::ContainerSummary) -> ContainerSummary {
        let status = c.status.unwrap_or_default();
        ContainerSummary {
            id: c.id.unwrap_or_default(),
            name: c
                .names
                .and_then(|n| n.into_iter().next())
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_default(),
            image: c.image.unwrap_or_default(),
            state: c
                .state
                .map(|s| ContainerState::parse(s.as_ref()))
                .unwrap_or(ContainerState::Unknown),
            health: Health::from_status(&status),
            status,
            labels: c.labels.map(|l| l.into_iter().collect()).unwrap_or_default(),
            created: c.created.unwrap_or_default(),
            size_rw: c.size_rw,
            engine: self.name.clone(),
        }
    }

    /// Inspect one container by id or name.
    pub async fn inspect(&self, id: &str) -> Result<ContainerDetails> {
        let r = match self.docker.inspect_container(id, None).await {
            Ok(r) => r,
            Err(e) if super::raw::is_parse_error(&e) => {
                let mut v = self
                    .raw_get(&format!("/containers/{}/json", percent_encode(id)))
                    .await?;
                super::raw::normalize_inspect(&mut v);
                serde_json::from_value(v)
                    .map_err(|e| Error::failed(format!("engine {}: inspect {id}: {e}", self.name)))?
            }
            Err(e) => return Err(self.err(e)),
        };
        let raw = serde_json::to_value(&r).unwrap_or(serde_json::Value::Null);
        let state = r.state.clone().unwrap_or_default();
        let cfg = r.config.clone().unwrap_or_default();
        let hc = r.host_config.clone().unwrap_or_default();
        let security_opt = hc.security_opt.clone().unwrap_or_default();
        let ports = r
            .network_settings
            .as_ref()
            .and_then(|n| n.ports.clone())
            .map(|m| {
                let mut v: Vec<PortMapping> = Vec::new();
                for (cport, binds) in m {
                    match binds {
                        Some(bs) if !bs.is_empty() => {
                            for b in bs {
                                v.push(PortMapping {
                                    container_port: cport.clone(),
                                    host_ip: b.host_ip,
                                    host_port: b.host_port,
                                });
                            }
                        }
                        _ => v.push(PortMapping {
                            container_port: cport.clone(),
                            host_ip: None,
                            host_port: None,
                        }),
                    }
                }
                v.sort_by(|a, b| a.container_port.cmp(&b.container_port));
                v
            })
            .unwrap_or_default();
        let mounts = r
            .mounts
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|m| MountInfo {
                kind: m.typ.map(|t| t.to_string()).unwrap_or_default(),
                source: m.source.unwrap_or_default(),
                destination: m.destination.unwrap_or_default(),
                read_only: !m.rw.unwrap_or(true),
                name: m.name,
            })
            .collect();
        let health = state.health.as_ref().map(|h| {
            let last = h.log.as_ref().and_then(|l| l.last());
            HealthInfo {
                status: h.status.map(|s| s.to_string()).unwrap_or_default(),
                failing_streak: h.failing_streak.unwrap_or_default(),
                last_output: last.and_then(|l| l.output.clone()),
                last_exit_code: last.and_then(|l| l.exit_code),
            }
        });
        let status_str = state.status.map(|s| s.to_string()).unwrap_or_default();
        Ok(ContainerDetails {
            id: r.id.clone().unwrap_or_default(),
            name: r.name.clone().unwrap_or_default().trim_start_matches('/').to_string(),
            image: cfg.image.clone().unwrap_or_default(),
            state: ContainerState::parse(&status_str),
            running: state.running.unwrap_or(false),
            paused: state.paused.unwrap_or(false),
            exit_code: state.exit_code,
            pid: state.pid,
            started_at: state.started_at.clone(),
            finished_at: state.finished_at.clone(),
            created: r.created.as_ref().map(|c| c.to_string()),
            labels: cfg.labels.clone().map(|l| l.into_iter().collect()).unwrap_or_default(),
            cmd: cfg.cmd.clone().unwrap_or_default(),
            env: cfg.env.clone().unwrap_or_default(),
            working_dir: cfg.working_dir.clone().filter(|s| !s.is_empty()),
            user: cfg.user.clone().filter(|s| !s.is_empty()),
            ports,
            mounts,
            health,
            exec_ids: r.exec_ids.clone().unwrap_or_default(),
            security: SecurityInfo {
                privileged: hc.privileged.unwrap_or(false),
                read_only_rootfs: hc.readonly_rootfs.unwrap_or(false),
                init: hc.init.unwrap_or(false),
                no_new_privileges: security_opt
                    .iter()
                    .any(|o| o.starts_with("no-new-privileges") && !o.ends_with("false")),
                cap_add: hc.cap_add.clone().unwrap_or_default(),
                cap_drop: hc.cap_drop.clone().unwrap_or_default(),
                security_opt,
                network_mode: hc.network_mode.clone().unwrap_or_default(),
                tmpfs: hc.tmpfs.clone().map(|t| t.into_iter().collect()).unwrap_or_default(),
                binds: hc.binds.clone().unwrap_or_default(),
            },
            limits: Limits {
                memory_bytes: hc.memory.filter(|m| *m > 0),
                nano_cpus: hc.nano_cpus.filter(|m| *m > 0),
                pids_limit: hc.pids_limit.filter(|m| *m > 0),
            },
            raw,
        })
    }

    /// Create a container; returns its id.
    pub async fn create(&self, spec: &CreateSpec) -> Result<String> {
        let mut security_opt = Vec::new();
        if spec.no_new_privileges {
            security_opt.push("no-new-privileges".to_string());
        }
        let host_config = HostConfig {
            memory: spec.memory_bytes,
            nano_cpus: spec.nano_cpus,
            pids_limit: spec.pids_limit,
            network_mode: spec.network.clone(),
            readonly_rootfs: Some(spec.read_only),
            tmpfs: (!spec.tmpfs.is_empty()).then(|| spec.tmpfs.clone().into_iter().collect()),
            binds: (!spec.binds.is_empty()).then(|| spec.binds.clone()),
            cap_drop: (!spec.cap_drop.is_empty()).then(|| spec.cap_drop.clone()),
            cap_add: (!spec.cap_add.is_empty()).then(|| spec.cap_add.clone()),
            init: Some(spec.init),
            privileged: Some(false),
            security_opt: (!security_opt.is_empty()).then_some(security_opt),
            ..Default::default()
        };
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            cmd: spec.cmd.clone(),
            env: (!spec.env.is_empty()).then(|| spec.env.clone()),
            working_dir: spec.working_dir.clone(),
            user: spec.user.clone(),
            labels: Some(spec.labels.clone().into_iter().collect::<HashMap<_, _>>()),
            host_config: Some(host_config),
            tty: Some(false),
            open_stdin: Some(false),
            ..Default::default()
        };
        let opts = CreateContainerOptionsBuilder::default().name(&spec.name).build();
        let r = self
            .docker
            .create_container(Some(opts), body)
            .await
            .map_err(|e| self.err(e))?;
        Ok(r.id)
    }

    pub async fn start(&self, id: &str) -> Result<()> {
        self.docker.start_container(id, None).await.map_err(|e| self.err(e))
    }

    /// Stop with a grace period in seconds.
    pub async fn stop(&self, id: &str, grace_secs: i32) -> Result<()> {
        let opts = StopContainerOptionsBuilder::default().t(grace_secs).build();
        self.docker
            .stop_container(id, Some(opts))
            .await
            .map_err(|e| self.err(e))
    }

    pub async fn restart(&self, id: &str, grace_secs: i32) -> Result<()> {
        let opts = RestartContainerOptionsBuilder::default().t(grace_secs).build();
        self.docker
            .restart_container(id, Some(opts))
            .await
            .map_err(|e| self.err(e))
    }

    pub async fn pause(&self, id: &str) -> Result<()> {
        self.docker.pause_container(id).await.map_err(|e| self.err(e))
    }

    pub async fn unpause(&self, id: &str) -> Result<()> {
        self.docker.unpause_container(id).await.map_err(|e| self.err(e))
    }

    pub async fn kill(&self, id: &str, signal: &str) -> Result<()> {
        let opts = KillContainerOptionsBuilder::default().signal(signal).build();
        self.docker
            .kill_container(id, Some(opts))
            .await
            .map_err(|e| self.err(e))
    }

    /// Remove a container; `force` kills a running one, `volumes` removes its anonymous volumes.
    pub async fn remove(&self, id: &str, force: bool, volumes: bool) -> Result<()> {
        let opts = RemoveContainerOptionsBuilder::default().force(force).v(volumes).build();
        self.docker
            .remove_container(id, Some(opts))
            .await
            .map_err(|e| self.err(e))
    }

    /// Labels of a container as a sorted map (convenience for tests and the CLI).
    pub async fn labels(&self, id: &str) -> Result<BTreeMap<String, String>> {
        Ok(self.inspect(id).await?.labels)
    }
}

/// Percent-encode a query value.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
